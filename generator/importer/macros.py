"""Finding the ``{name(arg)[attrs]}`` macros of the VK / YFM Markdown dialect.

The dialect's macros nest (``{heading({counter(step)}. Войдите)[id=x]}``) and their
arguments hold parentheses (``{tab(Linux (bash))}``), so a regular expression is not enough:
:func:`scan` balances brackets within one line. Everything skips fenced code.

>>> sub_macro("a {var(cloud)} b", "var", lambda m: m.arg.upper())
'a CLOUD b'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kb_helpcenter.generator.importer.text import fenced_ranges, in_ranges

Warn = Callable[[str], None]


def ignore(message: str) -> None:
    """The default ``warn``: transforms stay usable without a report to write into."""


@dataclass(frozen=True)
class Macro:
    """One ``{name(arg)[attrs]}`` occurrence; ``indent`` is set when it stands alone on a line."""

    start: int
    end: int
    arg: str
    attrs: str
    indent: str | None


def _closing_bracket(text: str, i: int, stop: int) -> int | None:
    depth = 0
    for j in range(i, stop):
        if text[j] == "[":
            depth += 1
        elif text[j] == "]":
            depth -= 1
            if depth == 0:
                return j
    return None


def scan(text: str, start: int, name: str) -> Macro | None:
    """Parse the macro at ``start`` (``{name(``); arguments are balanced and on one line."""
    i = start + len(name) + 2
    stop = text.find("\n", i)
    stop = len(text) if stop < 0 else stop
    candidates: list[int] = []
    depth = 0
    for j in range(i, stop):
        if text[j] == "(":
            depth += 1
        elif text[j] == ")":
            if depth == 0:
                candidates.append(j)
                break
            depth -= 1
    # Unbalanced text ("1) step"): fall back to any ")" that a "}" or "[...]}" closes.
    candidates += [i + m.start() for m in re.finditer(r"\)(?=\}|\[[^\n]*\]\})", text[i:stop])]
    for close in candidates:
        k, attrs = close + 1, ""
        if text.startswith("[", k):
            end = _closing_bracket(text, k, stop)
            if end is None:
                continue
            attrs, k = text[k + 1:end], end + 1
        if text.startswith("}", k):
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", k + 1)
            before = text[line_start:start]
            after = text[k + 1:len(text) if line_end < 0 else line_end]
            indent = before if not before.strip() and not after.strip() else None
            return Macro(start, k + 1, text[i:close], attrs, indent)
    return None


def sub_macro(text: str, name: str, render: Callable[[Macro], str]) -> str:
    """Replace every ``{name(...)...}`` outside fenced code with ``render(macro)``."""
    code = fenced_ranges(text)
    out: list[str] = []
    pos = 0
    needle = "{" + name + "("
    at = text.find(needle)
    while at >= 0:
        macro = None if in_ranges(at, code) else scan(text, at, name)
        if macro is None:
            at = text.find(needle, at + 1)
            continue
        out.append(text[pos:at])
        out.append(render(macro))
        pos = macro.end
        at = text.find(needle, pos)
    out.append(text[pos:])
    return "".join(out)


def parse_attrs(attrs: str) -> dict[str, str]:
    """``align=right;id=x`` -> ``{"align": "right", "id": "x"}``; a bare value gets key ``""``."""
    result: dict[str, str] = {}
    for item in attrs.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            result[key.strip()] = value.strip()
        elif item.strip():
            result[""] = item.strip()
    return result


def whole_line(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``start:end`` to its whole line (with the newline) when nothing else is on it."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        return line_start, line_end
    return start, end


def sub_tag(text: str, pattern: re.Pattern[str], repl: str) -> str:
    """Replace ``pattern`` outside code; a tag alone on its line takes its line with it."""
    code = fenced_ranges(text)
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() < pos or in_ranges(m.start(), code):
            continue
        start, end = whole_line(text, m.start(), m.end())
        out.append(text[pos:start] + (repl if (start, end) == m.span() else ""))
        pos = end
    out.append(text[pos:])
    return "".join(out)
