"""Block macros of the VK dialect: notes, cuts and tabs, as Material-flavoured Markdown.

``{note:warn}`` becomes an admonition, ``{cut(Question)}`` a collapsible ``???`` block
(pymdownx.details), ``{tabs}{tab(Name)}`` content tabs (pymdownx.tabbed) — all extensions
of kb's Markdown dialect. The work is re-indentation: block content moves 4 spaces right of
its tag, so a note inside a list item stays inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb_helpcenter.generator.importer.macros import Warn, ignore, scan
from kb_helpcenter.generator.importer.text import fenced_ranges, in_ranges

NOTE_KINDS = {"info": "info", "warn": "warning", "err": "danger", "": "note"}

_BLOCK_TAG = re.compile(r"\{(?:note(?::[a-z]+)?|/note|/cut|tabs|/tabs|/tab)\}")


def split_block_tags(text: str) -> str:
    """Put each block tag (note, cut, tabs, tab) on a line of its own, keeping the indent."""
    code = fenced_ranges(text)
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    for line in lines:
        if in_ranges(pos, code) or "{" not in line:
            out.append(line)
            pos += len(line)
            continue
        spans = [m.span() for m in _BLOCK_TAG.finditer(line)]
        for name in ("cut", "tab"):
            at = line.find("{" + name + "(")
            while at >= 0:
                macro = scan(line, at, name)
                if macro:
                    spans.append((macro.start, macro.end))
                at = line.find("{" + name + "(", at + 1)
        body = line.rstrip("\n")
        indent = body[: len(body) - len(body.lstrip())]
        cuts = sorted({p for span in spans for p in span} - {len(indent), len(body)})
        if not spans or not cuts:
            out.append(line)
        else:
            pieces = [body[a:b].strip() for a, b in zip([len(indent), *cuts], [*cuts, len(body)],
                                                          strict=True)]
            out.extend(indent + p + "\n" for p in pieces if p)
        pos += len(line)
    return "".join(out)


@dataclass
class _Block:
    kind: str  # note | cut | tabs | tab
    base: int  # indent of the opening tag in the source
    inner: int  # indent of the block's content in the output


_OPEN_NOTE = re.compile(r"^\{note(?::([a-z]+))?\}$")
_CLOSERS = {"{/note}": "note", "{/cut}": "cut", "{/tab}": "tab", "{/tabs}": "tabs"}


def _title(text: str) -> str:
    return text.strip().replace('"', "'")


def convert_blocks(text: str, *, warn: Warn = ignore) -> str:
    """Notes, cuts and tabs -> admonitions, collapsible details and content tabs.

    ``{note:warn}`` -> ``!!! warning``; ``{cut(Q)}`` -> ``??? note "Q"``; ``{tab(Name)}`` ->
    ``=== "Name"`` (pymdownx.tabbed). Block content is re-indented by 4 spaces per level,
    relative to the tag's own indent, so blocks inside list items stay inside them.
    Expects each tag alone on its line (see :func:`split_block_tags`).
    """
    code = fenced_ranges(text)
    out: list[str] = []
    stack: list[_Block] = []

    def place(indent: int) -> int:
        if not stack:
            return indent
        return stack[-1].inner + max(0, indent - stack[-1].base)

    def opening(header: str, indent: int, kind: str, extra: int) -> None:
        at = place(indent)
        if header:
            if out and out[-1].strip():
                out.append("\n")
            out.append(" " * at + header + "\n")
        stack.append(_Block(kind, indent, at + extra))

    def close(kind: str) -> None:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].kind == kind or (kind == "tab" and stack[i].kind == "tabs"):
                del stack[i + (stack[i].kind != kind):]
                if out and out[-1].strip():
                    out.append("\n")
                return
        warn(f"block {{/{kind}}}: no opening tag, dropped")

    pos = 0
    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        indent = len(lead.expandtabs(4))
        tag = line.strip()
        if not in_ranges(start, code) and tag.startswith("{"):
            note = _OPEN_NOTE.match(tag)
            if note:
                kind = note.group(1) or ""
                opening(f"!!! {NOTE_KINDS.get(kind, 'note')}", indent, "note", 4)
                continue
            if tag == "{tabs}":
                opening("", indent, "tabs", 0)
                continue
            macro = None
            for name in ("cut", "tab"):
                if tag.startswith("{" + name + "("):
                    macro = scan(tag, 0, name)
                    if macro and macro.end == len(tag):
                        marker = f'??? note "{_title(macro.arg)}"' if name == "cut" else (
                            f'=== "{_title(macro.arg)}"')
                        opening(marker, indent, name, 4)
                        break
                    macro = None
            if macro:
                continue
            if tag in _CLOSERS:
                close(_CLOSERS[tag])
                continue
        if not stack:
            out.append(line)
        elif not line.strip():
            out.append("\n")
        else:
            out.append(" " * place(indent) + line[len(lead):])
    for block in stack:
        warn(f"block {{{block.kind}}}: never closed, closed at the end of the page")
    return "".join(out)
