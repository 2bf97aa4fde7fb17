"""Splitting a Markdown file into YAML front matter and body, with line numbers.

PyYAML's ``safe_load`` forgets where values came from; here the YAML is composed into nodes
first, so every key keeps its line, duplicate keys are caught, and syntax errors carry the
line and column in the file (not in the front-matter block).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kb_helpcenter.generator.model import Location, Problem

_FENCE = re.compile(r"^---[ \t]*$")

# libyaml's parser when PyYAML was built with it (the wheels are): some 25 times faster on
# front matter than the pure-Python one, with the same line and column marks.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Parsed:
    """The result of reading one file: values, the line of each key, the body, problems."""

    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    problems: list[Problem] = field(default_factory=list)


def construct(node: yaml.Node) -> Any:
    """The Python value of a composed YAML node (safe types only)."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


# What a YAML error means for a writer, by what PyYAML was reading when it failed: the line
# where that started is the one to fix (an unclosed quote on line 4 fails only at the end).
_OPENED = (
    ("quoted scalar", "a quote opened here is never closed", 'close it on the same line: title: "…"'),
    ("flow sequence", "a [ list opened here is never closed", "close it with ] on the same line: tags: [a, b]"),
    ("flow mapping", "a { opened here is never closed", "close it with } on the same line"),
    ("block mapping", "this key's value is not valid YAML",
     "quote text that contains ': ' or starts with [ { * & ! | >, and indent nested keys by two spaces"),
    ("block collection", "this list is not valid YAML", "each item on its own line, starting with '- '"),
)


def _yaml_problem(exc: yaml.MarkedYAMLError, *, path: str, first_line: int, what: str) -> Problem:
    """A located, writer-readable problem for a YAML syntax error."""
    context = (exc.context or "").strip()
    for kind, message, hint in _OPENED:
        if kind in context and exc.context_mark is not None:
            mark = exc.context_mark
            detail = (exc.problem or "").strip()
            return Problem(Location(path, first_line + mark.line), "",
                           f"YAML syntax error in the {what}: {message} ({detail} at line "
                           f"{first_line + (exc.problem_mark.line if exc.problem_mark else mark.line)})",
                           hint=hint)
    mark = exc.problem_mark or exc.context_mark
    line = first_line + (mark.line if mark else 0)
    column = f" at column {mark.column + 1}" if mark else ""
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    hint = ("check indentation here, or quote text that contains ': ' (title: \"Ошибка: карта отклонена\")"
            if "mapping values are not allowed" in problem
            else "check indentation, and quote text that contains ': ', '#', or starts with [ { * & !")
    return Problem(Location(path, line), "", f"YAML syntax error in the {what}: {problem}{column}", hint=hint)


def parse_yaml_mapping(text: str, *, path: str, first_line: int = 1, what: str = "front matter") -> Parsed:
    """Parse YAML ``text`` that must be a mapping; ``first_line`` is its first line in the file."""
    parsed = Parsed()
    try:
        root = yaml.compose(text, Loader=FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        parsed.problems.append(_yaml_problem(exc, path=path, first_line=first_line, what=what))
        return parsed
    except yaml.YAMLError as exc:
        parsed.problems.append(Problem(Location(path, first_line), "", f"invalid YAML: {exc}"))
        return parsed
    if root is None:
        return parsed
    if not isinstance(root, yaml.MappingNode):
        parsed.problems.append(Problem(
            Location(path, first_line + root.start_mark.line), "",
            f"the {what} must be `key: value` pairs, found {root.id}",
        ))
        return parsed
    for key_node, value_node in root.value:
        line = first_line + key_node.start_mark.line
        key = str(key_node.value)
        if key in parsed.lines:
            parsed.problems.append(Problem(
                Location(path, line), key, f"duplicate key (first given on line {parsed.lines[key]})",
                hint="keep one of them",
            ))
            continue
        parsed.lines[key] = line
        try:
            parsed.data[key] = construct(value_node)
        except (yaml.YAMLError, ValueError) as exc:
            detail = getattr(exc, "problem", None) or str(exc)
            parsed.problems.append(Problem(Location(path, line), key, f"unreadable value: {detail}"))
    return parsed


def split_front_matter(text: str, *, path: str) -> Parsed:
    """Split a Markdown file into front matter (parsed) and body.

    A file without front matter is reported: every article needs at least ``id`` and ``title``.
    """
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n").lstrip("\ufeff")):
        parsed = Parsed(body=text, body_line=1)
        parsed.problems.append(Problem(
            Location(path, 1), "", "no front matter",
            hint="start the file with a `---` line, then `id:` and `title:`, then `---`",
        ))
        return parsed
    for end in range(1, len(lines)):
        if _FENCE.match(lines[end].rstrip("\r\n")):
            break
    else:
        parsed = Parsed()
        parsed.problems.append(Problem(
            Location(path, 1), "", "front matter is not closed", hint="add a `---` line after it",
        ))
        return parsed
    parsed = parse_yaml_mapping("".join(lines[1:end]), path=path, first_line=2)
    parsed.body = "".join(lines[end + 1:])
    parsed.body_line = end + 2
    return parsed
