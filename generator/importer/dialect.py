"""The VK Cloud Markdown dialect (Diplodoc/YFM-like macros) turned into kb's Markdown.

Each macro family is one small ``str -> str`` transform; :func:`convert` runs them in order.
Macros inside fenced code are left alone (they are part of the sample). What cannot be carried
over (a missing include, a local video, an API reference) is dropped and reported through
``warn``, never silently. Unknown ``{macro(...)}`` stay as text, with a warning.

>>> replace_headings("## {heading(Что дальше)[id=vnet-next]}")
'## Что дальше {#vnet-next}'
>>> replace_linkto("{linkto(../dns#dns)[text=сервис DNS]}")
'[сервис DNS](../dns#dns)'
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from functools import lru_cache

from kb_helpcenter.generator.importer.blocks import convert_blocks, split_block_tags
from kb_helpcenter.generator.importer.macros import (
    Macro,
    Warn,
    ignore,
    parse_attrs,
    sub_macro,
    sub_tag,
    whole_line,
)
from kb_helpcenter.generator.importer.text import fenced_ranges, in_ranges

# (reference as written, path of the file that wrote it) -> (path of the included file, text)
ReadInclude = Callable[[str, str], "tuple[str, str] | None"]

BUILD_POINT = "public"
DEFAULT_VARIABLES: Mapping[str, str] = {"cloud": "VK Cloud"}
MAX_INCLUDE_DEPTH = 5


# --- the transforms, in the order convert() runs them ---------------------------------

def strip_comments(text: str) -> str:
    """Remove HTML comments outside code: they are invisible, and often hold dead macros."""
    code = fenced_ranges(text)
    return re.sub(r"<!--.*?-->", lambda m: m.group(0) if in_ranges(m.start(), code) else "",
                  text, flags=re.DOTALL)


def expand_includes(text: str, read: ReadInclude, *, origin: str, depth: int = 0,
                    warn: Warn = ignore) -> str:
    """Inline ``{include(path)[tags=a,b]}`` with the included file (or its tagged parts).

    Paths resolve from the file that wrote them (``read`` does that); includes nest up to
    :data:`MAX_INCLUDE_DEPTH`. A missing file or tag is dropped with a warning.
    """
    def render(m: Macro) -> str:
        if depth >= MAX_INCLUDE_DEPTH:
            warn(f"include {m.arg}: nested deeper than {MAX_INCLUDE_DEPTH} levels, dropped")
            return ""
        found = read(m.arg.strip(), origin)
        if found is None:
            warn(f"include {m.arg}: file not found, dropped")
            return ""
        path, content = found
        tags = [t.strip() for t in parse_attrs(m.attrs).get("tags", "").split(",")]
        tags = [t for t in tags if t and "=" not in t]  # "shift=2" is not a tag
        if tags:
            parts, found = tagged_parts(content, tags)
            for tag in tags:
                if tag not in found:
                    warn(f"include {m.arg}: tag {tag!r} not found, dropped")
            if parts is not None:
                content = parts
        content = expand_includes(content, read, origin=path, depth=depth + 1, warn=warn)
        content = textwrap.dedent(remove_includetags(content)).strip("\n")
        if m.indent:
            content = re.sub(r"\n(?=[^\n])", "\n" + m.indent, content)
        return content

    return sub_macro(text, "include", render)


_TAGGED = re.compile(r"\{includetag\(([^)\n]*)\)\}(.*?)\{/includetag\}", re.DOTALL)


def tagged_parts(content: str, tags: list[str]) -> tuple[str | None, set[str]]:
    """The parts of ``content`` marked with any of ``tags``, in order, and the tags found.

    A part is ``{includetag(a,b)}...{/includetag}``; a tag may mark several parts (they are
    joined, as the dialect does, even when a tab or note opens in one and closes in another).
    A file without any markers is included whole (``None``).
    """
    wanted = set(tags)
    found: set[str] = set()
    parts: list[str] = []
    blocks = _tag_blocks(content)
    if not blocks:
        return None, wanted
    for marks, text in blocks:
        if marks & wanted:
            found |= marks & wanted
            parts.append(text)
    return "\n".join(parts), found


@lru_cache(maxsize=256)  # the same include file is cut up for many pages
def _tag_blocks(content: str) -> tuple[tuple[frozenset[str], str], ...]:
    return tuple((frozenset(t.strip() for t in m.group(1).split(",")), m.group(2).strip("\n"))
                 for m in _TAGGED.finditer(content))


_INCLUDETAG = re.compile(r"\{includetag\([^)\n]*\)\}|\{/includetag\}")


def remove_includetags(text: str) -> str:
    """Drop ``{includetag(x)}`` / ``{/includetag}`` markers, keeping what they enclose."""
    return sub_tag(text, _INCLUDETAG, "")


_CONDITION = re.compile(r"\{(/?)(ifdef|ifndef)(?:\(([^)\n]*)\))?\}")


def resolve_conditionals(text: str, *, build_point: str = BUILD_POINT) -> str:
    """Keep what ``{ifdef(points)}`` / ``{ifndef(points)}`` show for ``build_point``.

    ``{ifdef(public)}x{/ifdef}`` keeps ``x``; ``{ifdef(private)}x{/ifdef}`` drops it;
    ``{ifndef(...)}`` is the opposite. Conditions nest; a stray closer is ignored.
    """
    code = fenced_ranges(text)
    out: list[str] = []
    stack: list[tuple[str, bool]] = []
    pos = 0
    for m in _CONDITION.finditer(text):
        if in_ranges(m.start(), code):
            continue
        start, end = whole_line(text, m.start(), m.end())
        if all(keep for _, keep in stack):
            out.append(text[pos:start])
        pos = end
        closer, kind = m.group(1), m.group(2)
        if closer:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == kind:
                    del stack[i:]
                    break
        else:
            points = {p.strip() for p in (m.group(3) or "").split(",")}
            stack.append((kind, (build_point in points) == (kind == "ifdef")))
    if all(keep for _, keep in stack):
        out.append(text[pos:])
    return "".join(out)


def replace_vars(text: str, variables: Mapping[str, str] = DEFAULT_VARIABLES) -> str:
    """``{var(cloud)}`` -> ``VK Cloud``; a variable nobody defined becomes its own name."""
    return sub_macro(text, "var", lambda m: variables.get(m.arg.strip(), m.arg.strip()))


def replace_counters(text: str) -> str:
    """Number ``{counter(table)[id=x]}`` per counter name; ``{const(x)}`` repeats that number."""
    counts: dict[str, int] = {}
    named: dict[str, str] = {}

    def counter(m: Macro) -> str:
        name = m.arg.strip()
        counts[name] = counts.get(name, 0) + 1
        number = str(counts[name])
        if ident := parse_attrs(m.attrs).get("id"):
            named[ident] = number
        return number

    text = sub_macro(text, "counter", counter)
    return sub_macro(text, "const", lambda m: named.get(m.arg.strip(), ""))


def replace_captions(text: str) -> str:
    """``{caption(Таблица 1 — Цены)[...]}`` -> an emphasised paragraph; ``{/caption}`` goes."""
    def render(m: Macro) -> str:
        caption = f"*{m.arg.strip()}*" if m.arg.strip() else ""
        return caption + "\n" if m.indent is not None and caption else caption

    text = sub_macro(text, "caption", render)
    return sub_tag(text, re.compile(r"\{/caption\}"), "")


def replace_headings(text: str) -> str:
    """``# {heading(Title)[id=anchor]}`` -> ``# Title {#anchor}`` (the anchor stays pinned)."""
    def render(m: Macro) -> str:
        line_start = text.rfind("\n", 0, m.start) + 1
        anchor = parse_attrs(m.attrs).get("id", "")
        on_heading = text[line_start:m.start].lstrip().startswith("#")
        return f"{m.arg.strip()} {{#{anchor}}}" if anchor and on_heading else m.arg.strip()

    return sub_macro(text, "heading", render)


def replace_linkto(text: str) -> str:
    """``{linkto(../path#anchor)[text=Label]}`` -> ``[Label](../path#anchor)``.

    The target is left as written; the importer maps it to the imported file. Without a
    label (or with ``%text``) the link text stays empty, and the importer fills in the title
    of the target heading or page.
    """
    def render(m: Macro) -> str:
        attrs = m.attrs
        label = attrs[5:] if attrs.startswith("text=") else parse_attrs(attrs).get("", "")
        label = "" if label.strip() == "%text" else label.strip()  # %text: the target's title
        return f"[{label}]({m.arg.strip()})"

    return sub_macro(text, "linkto", render)


def replace_videos(text: str, *, warn: Warn = ignore) -> str:
    """``{video(https://...)}`` -> a link to the video; local video files are dropped."""
    def render(m: Macro) -> str:
        url = m.arg.strip()
        if url.startswith(("http://", "https://")):
            return f"[Видео]({url})"
        warn(f"video {url}: local video files are not imported, dropped")
        return ""

    return sub_macro(text, "video", render)


_SWAGGER = re.compile(r"!\[\{swagger\}\]\(([^)\n]*)\)")


def drop_swagger(text: str, *, warn: Warn = ignore) -> str:
    """Drop ``![{swagger}](api.json)`` API references: kb has no OpenAPI renderer."""
    for m in _SWAGGER.finditer(text):
        warn(f"swagger {m.group(1)}: API references are not imported, dropped")
    return sub_tag(text, _SWAGGER, "")


_UNKNOWN = re.compile(r"\{([a-z][a-z0-9_-]*)\((?=[^)\n]*\)(?:\[[^\]\n]*\])?\})")


def unknown_macros(text: str) -> list[str]:
    """Names of ``{name(...)}`` macros still in ``text`` outside code, each once, in order."""
    code = fenced_ranges(text)
    names = [m.group(1) for m in _UNKNOWN.finditer(text) if not in_ranges(m.start(), code)]
    return list(dict.fromkeys(names))


def convert(text: str, *, origin: str, read_include: ReadInclude,
            variables: Mapping[str, str] = DEFAULT_VARIABLES, warn: Warn = ignore) -> str:
    """Turn a page written in the VK dialect into kb Markdown (a no-op on plain Markdown).

    ``origin`` is the page's path, from which ``read_include`` resolves include references.
    """
    if "{" not in text and "<!--" not in text:
        return text
    text = strip_comments(text)
    text = expand_includes(text, read_include, origin=origin, warn=warn)
    text = remove_includetags(text)
    text = resolve_conditionals(text)
    text = replace_vars(text, variables)
    text = replace_counters(text)
    text = replace_captions(text)
    text = replace_headings(text)
    text = replace_linkto(text)
    text = replace_videos(text, warn=warn)
    text = drop_swagger(text, warn=warn)
    text = convert_blocks(split_block_tags(text), warn=warn)
    for name in unknown_macros(text):
        warn(f"macro {{{name}(...)}}: unknown, left as text")
    return text
