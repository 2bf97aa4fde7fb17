"""Plain-Markdown helpers for ``kb import``: code-aware mapping, titles and link rewriting.

Everything here is a pure function over text. Fenced code is never touched: a link or a macro
inside a code sample is part of the sample. :func:`rewrite_links` hands every link and image
target to a callback, so the importer decides where things went and this module only edits text.

>>> leading_title("# Вход в кабинет {#login}\\n\\nТекст.\\n")
('Вход в кабинет', 'login', 'Текст.\\n')
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

_ATTR_ID = re.compile(r"\s*\{\s*:?\s*#([^\s}]+)[^}]*\}\s*$")


_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})([^\n]*)$", re.MULTILINE)


@lru_cache(maxsize=32)  # each transform asks again about the same, often unchanged, page
def fenced_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """Return ``(start, end)`` character ranges of fenced code blocks (fences included).

    An unclosed fence runs to the end of the text, as CommonMark says.
    """
    ranges: list[tuple[int, int]] = []
    start, fence = -1, ""
    for m in _FENCE_LINE.finditer(text):
        if start < 0:
            start, fence = m.start(), m.group(1)
        elif m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2).strip():
            ranges.append((start, min(m.end() + 1, len(text))))  # with the closing newline
            start = -1
    if start >= 0:
        ranges.append((start, len(text)))
    return tuple(ranges)


def map_prose(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to the parts of ``text`` outside fenced code blocks."""
    out: list[str] = []
    pos = 0
    for start, end in fenced_ranges(text):
        out.append(fn(text[pos:start]))
        out.append(text[start:end])
        pos = end
    out.append(fn(text[pos:]))
    return "".join(out)


def in_ranges(index: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    """Tell whether ``index`` falls inside one of ``ranges`` (sorted, not overlapping)."""
    at = bisect.bisect_right(ranges, (index, float("inf"))) - 1
    return at >= 0 and ranges[at][0] <= index < ranges[at][1]


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Split ``text`` into the YAML front-matter block (``None`` if absent) and the body.

    Raises ``ValueError`` when a front matter starts but never ends.
    """
    if not text.startswith("---"):
        return None, text
    lines = text.splitlines(keepends=True)
    if lines[0].strip() != "---":
        return None, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1:])
    raise ValueError("the front matter starts with '---' but has no closing '---'")


def leading_title(body: str) -> tuple[str | None, str | None, str]:
    """Find a level-1 heading that opens ``body``; return ``(title, anchor, body_without_it)``.

    Both ATX (``# Title``) and setext (``Title`` over ``===``) headings count, and a pinned
    anchor (``{#id}``) is returned separately. Without a leading H1, returns ``(None, None, body)``.
    """
    lines = body.splitlines(keepends=True)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return None, None, body
    line = lines[i].rstrip("\n")
    m = re.match(r"^ {0,3}#(?!#)\s*(.*?)\s*#*\s*$", line)
    used = 1
    if m is None and i + 1 < len(lines) and re.match(r"^ {0,3}=+\s*$", lines[i + 1]):
        m = re.match(r"^ {0,3}(\S.*?)\s*$", line)
        used = 2
    if m is None or not m.group(1).strip():
        return None, None, body
    title, anchor = m.group(1), None
    attr = _ATTR_ID.search(title)
    if attr:
        anchor, title = attr.group(1), title[: attr.start()].rstrip()
    rest = "".join(lines[i + used:]).lstrip("\n")
    return title.strip(), anchor, rest


def demote_h1(body: str) -> str:
    """Turn level-1 ATX headings into level 2: the page title is the only H1 on a kb page."""
    return map_prose(body, lambda text: re.sub(r"(?m)^( {0,3})#(?=[ \t])", r"\1##", text))


def prettify(name: str) -> str:
    """Turn a file or folder name into a title: ``getting-started`` -> ``Getting started``."""
    words = re.sub(r"[-_.\s]+", " ", name).strip()
    return words[:1].upper() + words[1:] if words else name


def tidy(body: str) -> str:
    """Drop trailing spaces on blank lines, squeeze 3+ blank lines to one, end with a newline."""
    def squeeze(prose: str) -> str:
        prose = re.sub(r"(?m)^[ \t]+$", "", prose)  # whitespace-only lines; keep hard breaks
        return re.sub(r"\n{3,}", "\n\n", prose)

    text = map_prose(body, squeeze).strip("\n")
    return text + "\n" if text else ""


# --- links and images -----------------------------------------------------------------

_TEXT = r"\[((?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]"
_DEST = (r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"  # <url> or url (with (parens))
         r"(\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)")  # optional "title"
_IMAGE = re.compile(r"!" + _TEXT + _DEST)
_LINK = re.compile(r"(?<!!)" + _TEXT + _DEST)
_REF_DEF = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_ATTR = re.compile(r"(<(?:img|a|source|video)\b[^>]*?\b(?:src|href)=)([\"'])([^\"'>]*)\2",
                        re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def is_external(url: str) -> bool:
    """Tell whether ``url`` leaves the site (has a scheme or ``//host``); empty counts too."""
    return bool(_SCHEME.match(url)) or url.startswith("//") or not url


@dataclass(frozen=True)
class LinkTarget:
    """What :func:`rewrite_links` asks about: one link or image in the page."""

    url: str
    text: str
    image: bool


# Returns the new URL, or None to replace the link with its text (images: the alt text),
# and optionally new text for a link whose text was empty.
Resolver = Callable[[LinkTarget], tuple[str | None, str | None]]


def rewrite_links(body: str, resolve: Resolver) -> str:
    """Rewrite every relative link and image target in ``body`` through ``resolve``.

    External URLs and anything inside code (fenced or inline) are left alone.
    When ``resolve`` returns no URL, a link becomes its plain text and an image its alt text.
    """
    def destination(raw: str) -> str:
        return raw[1:-1] if raw.startswith("<") else raw

    def image(m: re.Match[str]) -> str:
        url = destination(m.group(2))
        if is_external(url):
            return m.group(0)
        new, _ = resolve(LinkTarget(url, m.group(1), True))
        if new is None:
            return m.group(1)
        return f"![{m.group(1)}]({new}{m.group(3) or ''})"

    def link(m: re.Match[str]) -> str:
        url = destination(m.group(2))
        text = _IMAGE.sub(image, m.group(1))
        if is_external(url):
            return f"[{text}]({m.group(2)}{m.group(3) or ''})" if text != m.group(1) else m.group(0)
        new, new_text = resolve(LinkTarget(url, text, False))
        if not text.strip() and new_text:
            text = new_text
        if new is None:
            return text
        return f"[{text}]({new}{m.group(3) or ''})"

    def ref_def(m: re.Match[str]) -> str:
        url = destination(m.group(2))
        if is_external(url):
            return m.group(0)
        new, _ = resolve(LinkTarget(url, "", False))
        return m.group(1) + (new if new is not None else url)

    def html_attr(m: re.Match[str]) -> str:
        url = m.group(3)
        if is_external(url):
            return m.group(0)
        is_img = m.group(1).lower().startswith(("<img", "<source", "<video"))
        new, _ = resolve(LinkTarget(url, "", is_img))
        return f"{m.group(1)}{m.group(2)}{new if new is not None else url}{m.group(2)}"

    def prose(text: str) -> str:
        spans: list[str] = []

        def hide(m: re.Match[str]) -> str:
            spans.append(m.group(0))
            return f"\x00{len(spans) - 1}\x00"

        text = _CODE_SPAN.sub(hide, text)
        text = _IMAGE.sub(image, text)
        text = _LINK.sub(link, text)
        text = _REF_DEF.sub(ref_def, text)
        text = _HTML_ATTR.sub(html_attr, text)
        return re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], text)

    return map_prose(body, prose)
