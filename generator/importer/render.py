"""Writing planned pages as kb files: front matter, re-pointed links, copied images.

Every relative link or image in a body is looked up among the imported pages (by the paths
the old site used: ``x.md``, ``x/``, ``x/index.md``, VK's ``x/x.md``) and among the files of
the source; it becomes a relative link to the new ``.md`` file, or to a copy of the image in
``kb/<section>/images/``. A link to a page that was not imported becomes plain text, a missing
image its alt text, each with a warning.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from kb_helpcenter.generator.importer.plan import ASSETS_DIR, Folder, Page, Plan
from kb_helpcenter.generator.importer.source import PAGE_SUFFIXES, Source, locate
from kb_helpcenter.generator.importer.text import (
    LinkTarget,
    fenced_ranges,
    in_ranges,
    prettify,
    rewrite_links,
)
from kb_helpcenter.generator.sanitize import sanitize_markdown
from kb_helpcenter.generator.slugs import slugify, unique_slug

ASSET_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".pdf")


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML as writers would type it: keys in the given order, Unicode as is, no wrapping."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


class Assets:
    """Images to copy, one name per file and section: ``kb/<section>/images/<name>``."""

    def __init__(self) -> None:
        self.files: dict[str, Path] = {}  # kb path -> source file
        self._placed: dict[tuple[str, Path], str] = {}
        self._names: dict[str, set[str]] = {}

    def place(self, origin: Path, section: str) -> str:
        """The kb path of ``origin``'s copy in ``section`` (the same file is copied once)."""
        key = (section, origin.resolve())
        if key not in self._placed:
            names = self._names.setdefault(section, set())
            stem = unique_slug(slugify(origin.stem) or "image", names)
            names.add(stem)
            path = f"{section}/{ASSETS_DIR}/{stem}{origin.suffix.lower()}"
            self._placed[key] = path
            self.files[path] = origin
        return self._placed[key]


def render_all(plan: Plan, source: Source, *,
               warn: Callable[[str, str], None]) -> tuple[dict[str, str], dict[str, Path]]:
    """The text of every file to write (articles, ``_section.yml``) and the images to copy."""
    files: dict[str, str] = {}
    assets = Assets()
    headings = Headings()
    for folder in plan.folders:
        files[f"{folder.target}/_section.yml"] = section_yaml(folder)
    for page in plan.pages:
        resolve = Resolver(page, plan, source, assets, headings, warn)
        body = sanitize_markdown(rewrite_links(page.body, resolve))  # imported text: always cleaned
        files[page.target] = f"---\n{dump_yaml(front_matter(page))}---\n\n{body}"
    return files, assets.files


def section_yaml(folder: Folder) -> str:
    """``_section.yml``: title, and description and order when known."""
    data: dict[str, Any] = {"title": folder.title}
    if folder.description:
        data["description"] = folder.description
    if folder.order is not None:
        data["order"] = folder.order
    return dump_yaml(data)


def front_matter(page: Page) -> dict[str, Any]:
    """The article's front matter, in the order of kb's field table; empty fields left out."""
    data: dict[str, Any] = {"id": page.id, "title": page.title}
    optional: list[tuple[str, Any]] = [
        ("summary", page.summary), ("aliases", page.aliases), ("tags", page.tags),
        ("updated", dt.date.fromisoformat(page.updated) if page.updated else None),
        ("status", page.status), ("order", page.order),
        ("redirect_from", [page.redirect] if page.redirect else []),
    ]
    data.update((k, v) for k, v in optional if v not in (None, "", []))
    return data


def page_candidates(path: str) -> Iterator[str]:
    """The page files a link to ``path`` may mean, most literal first."""
    if path.lower().endswith(PAGE_SUFFIXES):
        yield path
    if path.lower().endswith(".html"):
        yield path[:-5] + ".md"
        path = path[:-5]
    prefix = f"{path}/" if path else ""
    name = posixpath.basename(path)
    yield from (f"{path}.md", f"{path}.markdown", f"{prefix}index.md", f"{prefix}README.md",
                f"{prefix}readme.md")
    if name:
        yield f"{prefix}{name}.md"


class Resolver:
    """Maps the links of one page to their new places (see :func:`rewrite_links`)."""

    def __init__(self, page: Page, plan: Plan, source: Source, assets: Assets,
                 headings: Headings, warn: Callable[[str, str], None]) -> None:
        self.page, self.plan, self.source, self.assets = page, plan, source, assets
        self.headings, self.warn = headings, warn
        self.here = posixpath.dirname(page.target)
        self.folders = {f.source: f for f in plan.folders if f.source}

    def __call__(self, link: LinkTarget) -> tuple[str | None, str | None]:
        raw_path, _, anchor = link.url.partition("#")
        anchor = anchor.rsplit("#", 1)[-1]  # "page#a#b" happens; the last one is meant
        path = unquote(raw_path.split("?", 1)[0])
        if not path:
            heading = self.headings.title(self.page, anchor)
            if heading is not None:
                return link.url, heading
            self.warn(self.page.source, f"anchor #{anchor}: no such heading on the page, text kept")
            return None, None
        candidates = locate(self.source.root, self.page.source, path)
        if not link.image:
            for candidate in candidates:
                target = next((self.plan.by_source[c] for c in page_candidates(candidate)
                               if c in self.plan.by_source), None)
                if target is not None:
                    return self._to_page(target, anchor, link.url)
            for candidate in candidates:
                if candidate.rstrip("/") in self.folders:  # a folder whose own page was empty
                    folder = self.folders[candidate.rstrip("/")]
                    return posixpath.relpath(folder.target, self.here) + "/", folder.title
        for candidate in candidates:
            origin = self.source.root / candidate
            if candidate and origin.suffix.lower() in ASSET_SUFFIXES and origin.is_file():
                section = self.page.target.split("/", 1)[0]
                return posixpath.relpath(self.assets.place(origin, section), self.here), None
        if link.image:
            self.warn(self.page.source, f"image {link.url}: file not found, alt text kept")
        else:
            self.warn(self.page.source, f"link {link.url}: no imported page there, text kept")
        return None, prettify(posixpath.basename(path.rstrip("/")))

    def _to_page(self, target: Page, anchor: str, written: str) -> tuple[str, str]:
        """The relative link to ``target`` (and ``#anchor`` if it exists there), and its title."""
        url = posixpath.relpath(target.target, self.here)
        if not anchor or anchor == target.anchor:  # the H1 anchor: now the page's top
            return url, target.title
        heading = self.headings.title(target, anchor)
        if heading is not None:
            return f"{url}#{anchor}", heading
        self.warn(self.page.source, f"anchor {written}: no such heading there, linked to the page")
        return url, target.title


_HEADING = re.compile(r"<h[1-6][^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h[1-6]>", re.DOTALL)
_PERMALINK = re.compile(r"<a class=\"headerlink\".*?</a>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


_PINNED = re.compile(r"^[ \t]*#{1,6}[ \t]+(.*?)[ \t]*\{[ \t]*:?[ \t]*#([^\s}]+)[^}\n]*\}[ \t]*$",
                     re.MULTILINE)


class Headings:
    """Heading ids of each page as the site will render them (kb's Markdown dialect), cached.

    Pinned anchors (``## Title {#id}``) are read from the text; the page is rendered only when
    an anchor is not pinned, since rendering a long page costs far more than reading it.
    """

    def __init__(self) -> None:
        self._pinned: dict[str, dict[str, str]] = {}
        self._rendered: dict[str, dict[str, str]] = {}
        self._md: Any = None

    def title(self, page: Page, anchor: str) -> str | None:
        """The text of the heading with id ``anchor`` on ``page``; None if there is none."""
        if page.source not in self._pinned:
            code = fenced_ranges(page.body)
            self._pinned[page.source] = {
                m.group(2): m.group(1) for m in _PINNED.finditer(page.body)
                if not in_ranges(m.start(), code)}
        found = self._pinned[page.source].get(anchor)
        return found if found is not None else self._render(page).get(anchor)

    def _render(self, page: Page) -> dict[str, str]:
        if page.source not in self._rendered:
            if self._md is None:
                import markdown

                from kb_helpcenter.generator.markdown_config import EXTENSIONS, extension_configs

                self._md = markdown.Markdown(extensions=EXTENSIONS,
                                             extension_configs=extension_configs())
            rendered = self._md.reset().convert(page.body)
            self._rendered[page.source] = {
                html.unescape(ident): " ".join(html.unescape(_TAG.sub("", _PERMALINK.sub("", text))).split())
                for ident, text in _HEADING.findall(rendered)}
        return self._rendered[page.source]
