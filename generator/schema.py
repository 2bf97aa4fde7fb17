"""The field tables: one declaration drives validation, ``kb new`` and the docs.

Each :class:`Field` names a front-matter key, what it holds, whether it is required and a help
text. :func:`validate_front_matter` checks a parsed YAML mapping against the table and reports
every problem at once, each located at the key's line. ``kb new`` writes its template from
:data:`ARTICLE_FIELDS`, and the README's field reference is :func:`fields_markdown` (a test keeps
the two in step).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kb_helpcenter.generator.model import Location, Problem
from kb_helpcenter.generator.slugs import is_valid_id

STATUSES = ("published", "draft", "archived")


@dataclass(frozen=True)
class Field:
    """One front-matter key: its name, the kind of value, and how writers should use it."""

    name: str
    kind: str  # a key of CHECKS below
    required: bool = False
    default: Any = None
    help: str = ""
    example: str = ""  # YAML written by `kb new` ("" = leave the key out of the template)

    @property
    def type_name(self) -> str:
        return KIND_NAMES[self.kind]


ARTICLE_FIELDS: tuple[Field, ...] = (
    Field("id", "id", True, None,
          "Stable identifier, `[a-z0-9-]+`, unique, never reused: short links hang on it.",
          "{id}"),
    Field("title", "text", True, None, "The question or task the article answers.", "{title}"),
    Field("summary", "text", False, "",
          "One or two sentences: shown in search results and sent by operators.",
          "'One or two sentences that answer the question.'"),
    Field("aliases", "text_list", False, (),
          "How customers actually ask: whole questions in their own words.",
          "\n  - how a customer would ask it\n  - another way to ask"),
    Field("tags", "text_list", False, (), "Free keywords for search and grouping.", "[]"),
    Field("related", "id_list", False, (), "Ids of articles shown under \"Related articles\".",
          "[]"),
    Field("videos", "videos", False, (),
          "Video links: `url`, optional `title`, `start`, `chapters`, `transcript`, `poster`.",
          ""),
    Field("updated", "date", False, None,
          "Date of the last real change, `YYYY-MM-DD`; older than 12 months is a warning.",
          "{today}"),
    Field("status", "status", False, "published",
          "`published`, `draft` (preview only) or `archived` (kept, not published).", ""),
    Field("order", "int", False, 1000, "Position inside the section (smaller comes first).", ""),
    Field("featured", "bool", False, False, "Show among popular articles on the home page.", ""),
    Field("redirect_from", "path_list", False, (),
          "Old URL paths (e.g. `faq/old-page/`) that should redirect here.", ""),
    Field("gap", "gap", False, None,
          "Written by `kb gaps --drafts`: the evidence for a draft (`size`, `sources`, `period`, "
          "`questions`); keep it or delete it when publishing.", ""),
)

SECTION_FIELDS: tuple[Field, ...] = (
    Field("title", "text", True, None, "Section name shown on the home page and in navigation."),
    Field("description", "text", False, "", "One line under the title on the section card."),
    Field("icon", "icon", False, "", "A Material icon name, e.g. `material/credit-card-outline`."),
    Field("order", "int", False, 1000, "Position on the home page (smaller comes first)."),
)

KIND_NAMES = {
    "id": "id", "text": "text", "text_list": "list of text", "id_list": "list of ids",
    "date": "date", "status": "one of " + ", ".join(STATUSES), "int": "integer",
    "bool": "true/false", "videos": "list of videos", "path_list": "list of URL paths",
    "icon": "icon name", "gap": "mapping",
}


def _describe(value: Any) -> str:
    """Name a YAML value's type the way a writer would say it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value pairs)"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


Check = Callable[[Any], tuple[Any, str, str]]  # value -> (converted, error, hint)


def _text(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, str):
        if not value.strip():
            return None, "is empty", "write the text or remove the key"
        return value.strip(), "", ""
    if isinstance(value, list):
        return None, "expected text, found a list", "write a single line of text, not `- items`"
    if value is None:  # `title:` with nothing after it
        return None, "is empty", "write the text after the colon, or remove the key"
    if isinstance(value, dict):
        return None, "expected text, found a mapping", 'quote text that contains ": ", e.g. "Ошибка: карта отклонена"'
    return None, f"expected text, found {_describe(value)}", 'write it in quotes to keep it as text: "2024"'



def _text_list(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, str):
        return None, "expected a list of text, found a single text", (
            "write one item per line starting with `- `, or [a, b]")
    if not isinstance(value, list):
        return None, f"expected a list of text, found {_describe(value)}", ""
    items = []
    for i, item in enumerate(value, 1):
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            return None, f"item {i} should be text, found {_describe(item)}", "quote the item"
        items.append(item.strip())
    return tuple(items), "", ""


def _id(value: Any) -> tuple[Any, str, str]:
    if not isinstance(value, str):
        return None, f"expected an id, found {_describe(value)}", "use [a-z0-9-]+, e.g. reset-password"
    if not is_valid_id(value):
        return None, f"{value!r} is not a valid id", (
            "use lower-case latin letters, digits and single hyphens, e.g. reset-password")
    return value, "", ""


def _id_list(value: Any) -> tuple[Any, str, str]:
    items, error, hint = _text_list(value)
    if error:
        return None, error, hint
    for item in items:
        if not is_valid_id(item):
            return None, f"{item!r} is not a valid id", "list article ids, not titles or paths"
    return items, "", ""


def _date(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, dt.datetime):
        return value.date(), "", ""
    if isinstance(value, dt.date):
        return value, "", ""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()), "", ""
        except ValueError:
            pass
    return None, f"expected a date YYYY-MM-DD, found {_describe(value)}", "e.g. updated: 2026-05-31"


def _status(value: Any) -> tuple[Any, str, str]:
    if value in STATUSES:
        return value, "", ""
    return None, f"expected one of {', '.join(STATUSES)}, found {_describe(value)}", ""


def _int(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, "", ""
    return None, f"expected a whole number, found {_describe(value)}", ""


def _bool(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, bool):
        return value, "", ""
    return None, f"expected true or false, found {_describe(value)}", ""


_PATH_RE = re.compile(r"^[^\s#?]+$")


def _path_list(value: Any) -> tuple[Any, str, str]:
    items, error, hint = _text_list(value)
    if error:
        return None, error, hint
    cleaned = []
    for item in items:
        path = item.strip().lstrip("/")
        if path.startswith(("http://", "https://")) or not _PATH_RE.match(path) or ".." in path:
            return None, f"{item!r} is not a site path", "write the path below the site root, e.g. faq/old-page/"
        if path.endswith((".md", ".html")):
            path = path.rsplit(".", 1)[0] + "/"
            path = path.removesuffix("index/")
        elif not path.endswith("/"):
            path += "/"
        cleaned.append(path)
    return tuple(cleaned), "", ""


_ICON_RE = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")


def _icon(value: Any) -> tuple[Any, str, str]:
    if isinstance(value, str) and _ICON_RE.match(value):
        return value, "", ""
    return None, f"expected an icon name like material/truck, found {_describe(value)}", (
        "pick one at https://squidfunk.github.io/mkdocs-material/reference/icons-emojis/")


def _videos(value: Any) -> tuple[Any, str, str]:
    # The structure is checked here; URLs, times and transcripts in generator.video.entries.
    if not isinstance(value, list):
        return None, f"expected a list of videos, found {_describe(value)}", (
            "write `- url: https://...` entries")
    for i, item in enumerate(value, 1):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            return None, f"video {i} needs a `url`", "write `- url: https://...` and optional title"
    return [({"url": v} if isinstance(v, str) else v) for v in value], "", ""


_GAP_KEYS = {"size": int, "rank": int, "sources": dict, "period": dict, "questions": list, "terms": list,
             "nearest": dict, "generated": str}


def _gap(value: Any) -> tuple[Any, str, str]:
    # The evidence block of a gap draft: checked lightly, since writers may trim it.
    if not isinstance(value, dict):
        return None, f"expected a mapping (key: value pairs), found {_describe(value)}", (
            "this block is written by `kb gaps --drafts`; remove it if unsure")
    for key, item in value.items():
        expected = _GAP_KEYS.get(str(key))
        if expected is None:
            return None, f"unknown key {key!r} in gap", "known keys: " + ", ".join(_GAP_KEYS)
        if not isinstance(item, expected) or isinstance(item, bool):
            return None, f"gap.{key}: expected {expected.__name__}, found {_describe(item)}", ""
    return dict(value), "", ""


CHECKS: dict[str, Check] = {
    "id": _id, "text": _text, "text_list": _text_list, "id_list": _id_list, "date": _date,
    "status": _status, "int": _int, "bool": _bool, "videos": _videos, "path_list": _path_list,
    "icon": _icon, "gap": _gap,
}


def validate_mapping(
    data: dict[str, Any],
    lines: dict[str, int],
    fields: tuple[Field, ...],
    *,
    path: str,
    first_line: int = 1,
) -> tuple[dict[str, Any], list[Problem]]:
    """Check ``data`` against ``fields``; return the converted values and every problem found.

    ``lines`` maps each key to its line in the file, so problems point at the key.
    Missing optional keys get their defaults; bad values are left out of the result.
    """
    table = {f.name: f for f in fields}
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, raw in data.items():
        where = Location(path, lines.get(str(key), first_line))
        spec = table.get(str(key))
        if spec is None:
            close = difflib.get_close_matches(str(key), list(table), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "known fields: " + ", ".join(table)
            problems.append(Problem(where, str(key), "unknown field", hint=hint))
            continue
        value, error, hint = CHECKS[spec.kind](raw)
        if error:
            problems.append(Problem(where, spec.name, error, hint=hint))
        else:
            values[spec.name] = value
    for spec in fields:
        if spec.name in values:
            continue
        if spec.required and spec.name not in data:
            problems.append(Problem(
                Location(path, first_line), spec.name, "required field is missing",
                hint=f"add `{spec.name}:` to the front matter ({spec.help})",
            ))
        elif spec.name not in data:
            values[spec.name] = spec.default
    return values, problems


def fields_markdown(fields: tuple[Field, ...] = ARTICLE_FIELDS) -> str:
    """The field reference as a Markdown table (it stands in the README verbatim)."""
    rows = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for f in fields:
        rows.append(f"| `{f.name}` | {f.type_name} | {'yes' if f.required else 'no'} | {f.help} |")
    return "\n".join(rows)
