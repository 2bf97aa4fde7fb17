"""The field table: validation of each kind of value, and the README kept in step."""

from __future__ import annotations

import datetime as dt

import pytest

from kb_helpcenter.generator.schema import ARTICLE_FIELDS, fields_markdown, validate_mapping

from conftest import REPO


def _check(data: dict) -> tuple[dict, list[str]]:
    values, problems = validate_mapping(
        data, {k: i + 2 for i, k in enumerate(data)}, ARTICLE_FIELDS, path="kb/s/a.md"
    )
    return values, [f"{p.location}: {p.field}: {p.message}" + (f" | {p.hint}" if p.hint else "")
                    for p in problems]


BASE = {"id": "ok-id", "title": "Заголовок"}


@pytest.mark.parametrize(("extra", "expected"), [
    ({"id": "Bad_ID"}, "kb/s/a.md:2: id: 'Bad_ID' is not a valid id | use lower-case latin letters, digits and single hyphens, e.g. reset-password"),
    ({"title": ["a", "b"]}, "kb/s/a.md:3: title: expected text, found a list | write a single line of text, not `- items`"),
    ({"aliases": "one question"}, "kb/s/a.md:4: aliases: expected a list of text, found a single text | write one item per line starting with `- `, or [a, b]"),
    ({"updated": "15.10.2026"}, "kb/s/a.md:4: updated: expected a date YYYY-MM-DD, found text '15.10.2026' | e.g. updated: 2026-05-31"),
    ({"status": "live"}, "kb/s/a.md:4: status: expected one of published, draft, archived, found text 'live'"),
    ({"order": "first"}, "kb/s/a.md:4: order: expected a whole number, found text 'first'"),
    ({"featured": "yes please"}, "kb/s/a.md:4: featured: expected true or false, found text 'yes please'"),
    ({"related": ["Другая статья"]}, "kb/s/a.md:4: related: 'Другая статья' is not a valid id | list article ids, not titles or paths"),
    ({"alias": ["x"]}, "kb/s/a.md:4: alias: unknown field | did you mean 'aliases'?"),
    ({"redirect_from": ["https://old.example/x"]}, "kb/s/a.md:4: redirect_from: 'https://old.example/x' is not a site path | write the path below the site root, e.g. faq/old-page/"),
])
def test_each_wrong_value_is_reported_at_its_line(extra, expected):
    _, problems = _check({**BASE, **extra})
    assert problems == [expected]


def test_missing_required_fields_are_reported():
    _, problems = _check({"summary": "Только summary"})
    assert problems == [
        "kb/s/a.md:1: id: required field is missing | add `id:` to the front matter (Stable identifier, `[a-z0-9-]+`, unique, never reused: short links hang on it.)",
        "kb/s/a.md:1: title: required field is missing | add `title:` to the front matter (The question or task the article answers.)",
    ]


def test_valid_values_are_converted_and_defaults_filled():
    values, problems = _check({**BASE, "updated": "2026-01-02", "aliases": ["a", 15],
                               "redirect_from": ["/old/page.html"]})
    assert problems == []
    assert values["updated"] == dt.date(2026, 1, 2)
    assert values["aliases"] == ("a", "15")
    assert values["redirect_from"] == ("old/page/",)
    assert values["status"] == "published" and values["related"] == ()


def test_readme_field_reference_matches_the_field_table():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert fields_markdown() in readme, "README's front-matter table is out of date: paste fields_markdown()"
