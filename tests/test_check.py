"""`kb check`: every problem it knows, each located and worded for a writer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb_helpcenter.generator.cli import main

from conftest import article, write_kb


def run_check(project: Path, *args: str) -> tuple[int, list[str], dict]:
    runner = CliRunner()
    text = runner.invoke(main, ["check", "-C", str(project), *args])
    as_json = runner.invoke(main, ["check", "-C", str(project), "--format", "json", *args])
    report = json.loads(as_json.stdout)
    assert text.exit_code == as_json.exit_code
    return text.exit_code, text.stderr.splitlines(), report


def messages(report: dict) -> list[str]:
    return [f"{p['path']}:{p['line']}: {p['field']}: {p['message']}" for p in report["problems"]]


GOOD = {"kb/s/good.md": article("good", "Хорошая статья")}

CASES = {
    "yaml syntax": (
        {"kb/s/a.md": "---\nid: a\ntitle: [не закрыт\nsummary: x\n---\nТекст\n"},
        # reported where the list opens, not where the parser gave up
        "kb/s/a.md:3: : YAML syntax error in the front matter: a [ list opened here is never closed "
        "(did not find expected ',' or ']' at line 4)",
    ),
    "unknown key": (
        {"kb/s/a.md": article("a", "A", tgas="[x]")},
        "kb/s/a.md:9: tgas: unknown field",
    ),
    "wrong type": (
        {"kb/s/a.md": article("a", "A", summary="\n  - список\n  - вместо строки")},
        "kb/s/a.md:4: summary: expected text, found a list",
    ),
    "missing title": (
        {"kb/s/a.md": "---\nid: a\nsummary: Без заголовка\n---\nТекст\n"},
        "kb/s/a.md:1: title: required field is missing",
    ),
    "bad id": (
        {"kb/s/a.md": article("Статья_1", "A")},
        "kb/s/a.md:2: id: 'Статья_1' is not a valid id",
    ),
    "bad date": (
        {"kb/s/a.md": article("a", "A", updated="2026-13-45")},
        "kb/s/a.md:8: updated: unreadable value: month must be in 1..12",
    ),
    "empty file": ({"kb/s/a.md": "  \n"}, "kb/s/a.md:0: : the file is empty"),
    "not utf-8": (
        {"kb/s/a.md": "---\nid: a\ntitle: Тест\n---\n".encode() + "Текст\n".encode("cp1251")},
        "kb/s/a.md:5: : not UTF-8 text (byte 0xd2 at offset 30)",
    ),
    "no front matter": ({"kb/s/a.md": "# Просто текст\n"}, "kb/s/a.md:1: : no front matter"),
    "duplicate id": (
        {"kb/s/a.md": article("good", "Копия")},
        "kb/s/a.md:2: id: duplicate id 'good', also used by kb/s/good.md",
    ),
    "related missing": (
        {"kb/s/a.md": article("a", "A", related="[god]")},
        "kb/s/a.md:9: related: no article has id 'god'",
    ),
    "link to missing file": (
        {"kb/s/a.md": article("a", "A", "Текст\n\nСм. [там](../t/nope.md).\n")},
        "kb/s/a.md:13: link: '../t/nope.md': no such article (kb/t/nope.md)",
    ),
    "link to missing anchor": (
        {"kb/s/a.md": article("a", "A", "См. [раздел](good.md#nope).\n")},
        "kb/s/a.md:11: link: 'good.md#nope': kb/s/good.md has no heading #nope",
    ),
    "missing image": (
        {"kb/s/a.md": article("a", "A", "![Экран](images/screen.png)\n")},
        "kb/s/a.md:11: image: 'images/screen.png': file not found (kb/s/images/screen.png)",
    ),
    "redirect collision": (
        {"kb/s/a.md": article("a", "A", redirect_from="[s/good/]"),
         "kb/s/b.md": article("b", "B", redirect_from="[old/page/]"),
         "kb/s/c.md": article("c", "C", redirect_from="[old/page/]")},
        "kb/s/a.md:9: redirect_from: 's/good/' is the URL of the live article kb/s/good.md",
    ),
    "article outside a section": ({"kb/loose.md": article("loose", "L")}, "kb/loose.md:0: : articles belong in a section folder"),
    "lists nested too deep": (
        {"kb/s/a.md": article("a", "A", "".join("    " * i + "- пункт\n" for i in range(250)))},
        "kb/s/a.md:260: body: lists or quotes nested 250 levels deep; at most 20 render",
    ),
    "quotes nested too deep": (
        {"kb/s/a.md": article("a", "A", "Текст.\n\n" + "> " * 300 + "цитата\n")},
        "kb/s/a.md:13: body: lists or quotes nested 300 levels deep; at most 20 render",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_is_located_and_fails_the_check(tmp_path, case):
    files, expected = CASES[case]
    project = write_kb(tmp_path / "p", {**GOOD, **files})
    code, lines, report = run_check(project)
    assert code == 1
    assert expected in messages(report)
    assert report["errors"] >= 1
    path, line = expected.split(":")[:2]
    assert any(line_.startswith(f"{path}:{line}:" if line != "0" else f"{path}:") for line_ in lines)
    assert lines[-1].startswith(f"{report['errors']} error(s)")


def test_redirect_claimed_twice_names_the_first_owner(tmp_path):
    project = write_kb(tmp_path / "p", {**GOOD, **CASES["redirect collision"][0]})
    _, _, report = run_check(project)
    assert "kb/s/c.md:9: redirect_from: 'old/page/' already redirects to kb/s/b.md" in messages(report)


def test_yaml_error_gives_line_and_column_and_hint(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": "---\nid: a\ntitle: x\n  bad: indent\n---\n"})
    code, lines, report = run_check(project)
    problem = report["problems"][0]
    assert (problem["path"], problem["line"]) == ("kb/s/a.md", 4)
    assert problem["message"].startswith("YAML syntax error in the front matter: mapping values are not allowed in this context")
    assert "column 6" in problem["message"]
    assert problem["hint"].startswith("check indentation")


def test_warnings_do_not_fail_unless_strict(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/s/a.md": article("a", "Без краткого описания", summary=None, aliases=None, updated="2024-01-10"),
    })
    code, lines, report = run_check(project)
    assert code == 0
    assert report == {"errors": 0, "warnings": 3, "problems": report["problems"]}
    assert messages(report) == [
        "kb/s/a.md:3: aliases: no aliases",
        "kb/s/a.md:3: summary: no summary",
        "kb/s/a.md:4: updated: last updated 2024-01-10, more than 12 months ago",
    ]
    assert "kb/s/a.md:3: aliases: warning: no aliases" in lines
    assert "    hint: add how customers actually ask, so search finds the article" in lines
    strict_code, _, _ = run_check(project, "--strict")
    assert strict_code == 1


def test_every_problem_is_reported_at_once(tmp_path):
    files = {}
    for name in ("unknown key", "bad id", "missing image", "not utf-8"):
        for rel, content in CASES[name][0].items():
            files[rel.replace("a.md", name.replace(" ", "-") + ".md")] = content
    project = write_kb(tmp_path / "p", {**GOOD, **files})
    _, _, report = run_check(project)
    assert report["errors"] == 6  # four broken files, and two of them share the id "a"
    paths = [p["path"] for p in report["problems"]]
    assert paths == sorted(paths)


def test_huge_article_is_refused(tmp_path):
    project = write_kb(tmp_path / "p", {**GOOD, "kb/s/big.md": article("big", "B", "слово " * 900_000)})
    _, _, report = run_check(project)
    assert messages(report) == ["kb/s/big.md:0: : file is 9.9 MB; the limit is 1 MB"]


def test_symlink_loop_is_one_located_error(tmp_path):
    project = write_kb(tmp_path / "p", GOOD)
    os.symlink("..", project / "kb" / "s" / "loop")
    code, _, report = run_check(project)
    assert code == 1
    assert messages(report) == ["kb/s/loop:0: : symbolic link loop: this folder is already included"]


def test_sample_help_center_has_no_problem():
    from conftest import REPO

    code, lines, report = run_check(REPO, "--strict")
    assert report["problems"] == [] and code == 0


def test_an_unclosed_code_fence_is_a_located_warning(tmp_path):
    body = "Текст.\n\n```bash\necho 1\n\n## Потерянный раздел\n\nЕщё текст.\n"
    project = write_kb(tmp_path / "p", {**GOOD, "kb/s/a.md": article("a", "A", body),
                                        "kb/s/b.md": article("b", "B", "~~~~\nкод\n~~~\n\nТекст.\n~~~~\n")})
    code, lines, report = run_check(project)
    assert code == 0
    assert messages(report) == [
        "kb/s/a.md:13: body: code fence ``` is never closed: the rest of the article would show as code"]
    assert report["problems"][0]["severity"] == "warning"
    assert report["problems"][0]["hint"] == "close it with ``` on a line of its own"
    assert run_check(project, "--strict")[0] == 1


def test_a_body_that_breaks_the_parser_stops_the_build_with_a_located_problem(tmp_path):
    deep = "".join("    " * i + "- пункт\n" for i in range(250)) + "\n" + "> " * 300 + "цитата\n"
    project = write_kb(tmp_path / "p", {**GOOD, "kb/s/a.md": article("a", "A", deep)})
    done = CliRunner().invoke(main, ["build", "-C", str(project)])
    assert done.exit_code == 1
    assert "Traceback" not in done.output and "RecursionError" not in done.output
    assert "kb/s/a.md:262: body: lists or quotes nested 300 levels deep; at most 20 render" in done.stderr
    assert not (project / "site").exists()


def test_one_run_reports_every_problem_and_yaml_errors_where_they_are(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/s/a.md": ("---\nid: a\ntitle: Статья\nsummary: \"Кратко\naliases: [x, y]\n---\n\n"
                      "Текст [ссылка](nope.md).\n\n![Схема](missing.png)\n"),
        "kb/s/b.md": "---\nid: b\ntitle:\nsummary: Без заголовка\n---\n\n# Заголовок\n\n![](missing.png)\n",
        "kb/s/c.md": article("c", "Третья", "# Третья\n\n![](pic.svg)\n"),
        "kb/s/pic.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
    })
    code, lines, report = run_check(project)
    assert code == 1
    found = {(p["path"], p["line"], p["field"], p["message"]) for p in report["problems"]}
    # the unclosed quote is on line 4, though the parser fails at the end of the front matter
    assert ("kb/s/a.md", 4, "", "YAML syntax error in the front matter: a quote opened here is never closed "
            "(found unexpected end of stream at line 6)") in found
    # ... and the broken front matter does not hide the body's problems
    assert ("kb/s/a.md", 8, "link", "'nope.md': no such article (kb/s/nope.md)") in found
    assert ("kb/s/a.md", 10, "image", "'missing.png': file not found (kb/s/missing.png)") in found
    empty = next(p for p in report["problems"] if p["path"] == "kb/s/b.md" and p["field"] == "title")
    assert (empty["message"], empty["hint"]) == ("is empty", "write the text after the colon, or remove the key")
    assert ("kb/s/b.md", 9, "image", "'missing.png': file not found (kb/s/missing.png)") in found
    warnings = {(p["path"], p["line"], p["message"]) for p in report["problems"] if p["severity"] == "warning"}
    assert ("kb/s/c.md", 11, "a `# heading` repeats the title") in warnings
    assert ("kb/s/c.md", 13, "an image without alt text") in warnings


def test_a_missing_title_does_not_hide_an_unsupported_video(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/s/a.md": "---\nid: a\nsummary: x\nvideos:\n  - url: https://example.com/v\n---\nТекст\n"})
    code, lines, report = run_check(project)
    fields = {(p["line"], p["field"]) for p in report["problems"]}
    assert {(1, "title"), (4, "videos[1].url")} <= fields
