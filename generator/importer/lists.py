"""CommonMark list indentation re-spaced for Python-Markdown's four-space rule.

Pages written for GitHub, Diplodoc or any CommonMark renderer nest blocks under a list item at
the item's text column (3 spaces under ``1.``, 2 under ``-``). Python-Markdown, which MkDocs
uses, needs 4: without this, a paragraph, note or nested list under ``1. Step`` falls out of the
list and the numbering restarts. Relative indentation inside an item is kept, so code blocks,
admonitions and tabs inside list items stay intact (in whole steps of 4: a line 1-3 spaces
right of the item's text column is at that column, as CommonMark reads it). Pages of an MkDocs site already follow the
4-space rule and are left alone. A list right after a paragraph gets the blank line before it
that Python-Markdown needs to see a list at all.

>>> normalize_list_indent("1. Step\\n\\n   More.\\n")
'1. Step\\n\\n    More.\\n'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb_helpcenter.generator.importer.text import fenced_ranges

_MARKER = re.compile(r"^([-*+]|\d{1,9}[.)])([ \t]+|$)")
_BLOCK_START = re.compile(r"^(#|```|~~~|>|<|!!!|\?\?\?|===)")
STEP = 4


@dataclass
class _Item:
    content_src: int  # column of the item's text in the source
    content_out: int  # column where its blocks go in the output


def _shift(line: str, delta: int) -> str:
    if delta >= 0:
        return " " * delta + line if line.strip() else line
    lead = len(line) - len(line.lstrip(" "))
    return line[min(lead, -delta):]


def normalize_list_indent(text: str) -> str:
    """Re-indent list items and their content to multiples of four spaces (see module doc)."""
    fences = {start: end for start, end in fenced_ranges(text)}
    out: list[str] = []
    stack: list[_Item] = []
    prev_blank, prev_in_list = True, False
    fence_end, fence_delta = -1, 0
    pos = 0

    def place(indent: int) -> int:
        # Only whole steps of 4 carry meaning (an indented code block, a note's content);
        # 1-3 spaces more than the text column of the item (or the page) are noise to CommonMark.
        if not stack:
            return indent // STEP * STEP
        extra = max(0, indent - stack[-1].content_src)
        return stack[-1].content_out + extra // STEP * STEP

    for line in text.splitlines(keepends=True):
        start, pos = pos, pos + len(line)
        if start < fence_end:  # inside a fenced block: move it with its opening line
            out.append(_shift(line, fence_delta))
            continue
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        rest = line[len(lead):]
        if not rest.strip():
            out.append("\n" if line.endswith("\n") else "")
            prev_blank = True
            continue
        indent = len(lead.expandtabs(STEP))
        marker = _MARKER.match(rest) if start not in fences else None
        while stack and indent < stack[-1].content_src:
            if not prev_blank and not marker and not _BLOCK_START.match(rest):
                break  # a lazy continuation line of the item's paragraph
            stack.pop()
        at = place(indent)
        if marker and not prev_blank and not prev_in_list:
            out.append("\n")  # Python-Markdown needs a blank line between a paragraph and a list
        if marker:
            gap = len((" " * indent + marker.group(0)).expandtabs(STEP)) - indent - len(
                marker.group(1))  # a tab after "1." reaches the next tab stop
            width = len(marker.group(1)) + (gap if 1 <= gap <= 4 else 1)
            after = rest[len(marker.group(0)):]
            out.append(" " * at + marker.group(1) + (" " if gap else "") + after)
            stack.append(_Item(indent + width, at + STEP))
        else:
            out.append(" " * at + rest)
        if start in fences:
            fence_end, fence_delta = fences[start], at - indent
        prev_blank, prev_in_list = False, bool(stack)
    return "".join(out)
