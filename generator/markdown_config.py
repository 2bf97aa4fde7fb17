"""The Markdown dialect of kb articles, declared once.

The stage hands this list to the site builder, and :mod:`generator.render` uses the same one to
extract headings and text for the manifest and for anchor checks, so the anchors ``kb check``
verifies are exactly the anchors the site will have.
"""

from __future__ import annotations

from typing import Any

# Readable anchors for Cyrillic headings: "Настройка APN" -> "#настройка-apn"
# (MkDocs' default would give "#_1"). Writers can pin one with `## Heading {#my-anchor}`.
SLUGIFY_CASE = "lower"

EXTENSIONS: list[str] = [
    "toc",
    "admonition",
    "attr_list",
    "md_in_html",
    "tables",
    "footnotes",
    "def_list",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.mark",
    "pymdownx.keys",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
]


def extension_configs() -> dict[str, dict[str, Any]]:
    """Configuration of :data:`EXTENSIONS` as Python objects (for python-markdown)."""
    from pymdownx.slugs import slugify

    return {
        "toc": {"slugify": slugify(case=SLUGIFY_CASE), "permalink": True,
                "permalink_title": "Ссылка на этот раздел", "toc_depth": "2-3"},
        "pymdownx.tabbed": {"alternate_style": True},
        "pymdownx.tasklist": {"custom_checkbox": True},
        "pymdownx.highlight": {"anchor_linenums": True},
    }


def mkdocs_yaml() -> str:
    """The ``markdown_extensions`` block of a generated ``mkdocs.yml`` (YAML text).

    The slugify function is a Python object, so it is written with the tag MkDocs' loader knows.
    """
    lines = ["markdown_extensions:"]
    configs = {
        "toc": [
            "      slugify: !!python/object/apply:pymdownx.slugs.slugify",
            f"        kwds: {{case: {SLUGIFY_CASE}}}",
            "      permalink: true",
            "      permalink_title: Ссылка на этот раздел",
            '      toc_depth: "2-3"',
        ],
        "pymdownx.tabbed": ["      alternate_style: true"],
        "pymdownx.tasklist": ["      custom_checkbox: true"],
        "pymdownx.highlight": ["      anchor_linenums: true"],
    }
    for name in EXTENSIONS:
        if name in configs:
            lines.append(f"  - {name}:")
            lines.extend(configs[name])
        else:
            lines.append(f"  - {name}")
    return "\n".join(lines) + "\n"
