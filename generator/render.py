"""Pure Markdown helpers: headings, links and plain text of an article body.

Rendering uses the dialect of :mod:`generator.markdown_config`, so heading ids match the built
site. Link scanning skips fenced and inline code, where a ``[x](y)`` is an example, not a link.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import markdown

from kb_helpcenter.generator.markdown_config import EXTENSIONS, extension_configs


@dataclass(frozen=True)
class Heading:
    id: str
    title: str
    level: int


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    text: str


@dataclass(frozen=True)
class Link:
    line: int  # 1-based line inside the body
    target: str
    image: bool


_local = threading.local()


def _markdown() -> markdown.Markdown:
    # Building a Markdown instance costs more than converting a page: keep one per thread.
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=extension_configs())
        _local.md = md
    return md


_TAG_RE = re.compile(r"<[^>]+>")
_BLOCK_END_RE = re.compile(r"</(p|h[1-6]|li|td|th|tr|div|pre|blockquote|dd|dt)>", re.I)
_PERMALINK_RE = re.compile(r'<a class="headerlink"[^>]*>.*?</a>')
_SPACE_RE = re.compile(r"[ \t\r\f\v]+")


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blocks on their own lines."""
    fragment = _PERMALINK_RE.sub("", fragment)
    fragment = _BLOCK_END_RE.sub("\n", fragment)
    text = html.unescape(_TAG_RE.sub(" ", fragment))
    lines = (_SPACE_RE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


_HEADING_RE = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)


@lru_cache(maxsize=20_000)
def render(body: str) -> Rendered:
    """Render an article body; return its HTML, its headings (with the site's ids) and text.

    Cached by the body's text: the checks (anchors) and the manifest ask for the same articles
    in one build, and an unchanged article need not be rendered again in a preview session.

    Headings are read from the HTML, not the table of contents: the TOC stops at level 3, but
    a link may point at any heading's anchor.
    """
    md = _markdown()
    md.reset()
    out = md.convert(body)
    headings = tuple(
        Heading(anchor, html_to_text(inner).strip(), int(level)) for level, anchor, inner in _HEADING_RE.findall(out)
    )
    return Rendered(out, headings, html_to_text(out))


_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE_RE = re.compile(r"(`+)(?:(?!\1).)+\1")
_LINK_RE = re.compile(r"(!?)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_HTML_SRC_RE = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.I)


def iter_links(body: str) -> Iterator[Link]:
    """Yield the Markdown links and images of ``body`` with their line numbers.

    >>> [(l.line, l.target, l.image) for l in iter_links("See [a](b.md#x)\\n```\\n[no](c.md)\\n```\\n![i](p.png)")]
    [(1, 'b.md#x', False), (5, 'p.png', True)]
    """
    in_fence = ""
    for number, line in enumerate(body.splitlines(), 1):
        fence = _FENCE_RE.match(line)
        if fence:
            if not in_fence:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = ""
            continue
        if in_fence:
            continue
        code_free = _INLINE_CODE_RE.sub("", line)
        for match in _LINK_RE.finditer(code_free):
            yield Link(number, match.group(2), bool(match.group(1)))
        ref = _REF_DEF_RE.match(code_free)
        if ref:
            yield Link(number, ref.group(1), False)
        for match in _HTML_SRC_RE.finditer(code_free):
            yield Link(number, match.group(1), True)


def is_external(target: str) -> bool:
    """True for links that leave the site (schemes, protocol-relative, mail and phone)."""
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//)", target, re.I))
