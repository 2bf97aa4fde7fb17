"""`kb search`: the engine's answer on the command line, one query or a batch file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main

from conftest import article, write_kb


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = write_kb(tmp_path_factory.mktemp("search") / "p", {
        "kb/orders/processing.md": article(
            "application-processing-time", "Почему заявка так долго в обработке",
            "Банк рассматривает заявку до трёх рабочих дней.\n",
            aliases="\n  - заявка висит в обработке"),
        "kb/mobile/sim.md": article(
            "activate-sim", "Как активировать SIM-карту", "Вставьте SIM-карту в телефон.\n"),
        "kb/_synonyms.yml": "- [симка, sim-карта, сим-карта]\n",
    })
    build(root)
    return root


def run(*args: str):
    return CliRunner().invoke(main, ["search", *args])


def test_search_prints_the_best_articles_first(project):
    result = run("почему заявка так долго висит", "-C", str(project))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("1. Почему заявка так долго в обработке")


def test_search_json_has_the_documented_shape(project):
    result = run("pfzdrf dbcbn", "--json", "--limit", "1", "-C", str(project))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "pfzdrf dbcbn"
    assert data["corrected"] == "заявка висит"
    assert [h["id"] for h in data["hits"]] == ["application-processing-time"]
    assert set(data["hits"][0]) == {"id", "title", "url", "section", "summary", "snippet", "score"}


def test_batch_prints_one_json_line_per_query_in_order(project, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text("симка\n\nзаявкаа\ntitle:x AND *\n", encoding="utf-8")
    result = run("--batch", str(queries), "-n", "1", "-C", str(project))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["query"] for line in lines] == ["симка", "", "заявкаа", "title:x AND *"]
    assert lines[0]["hits"][0]["id"] == "activate-sim"
    assert lines[1]["hits"] == []
    assert lines[2]["hits"][0]["id"] == "application-processing-time"


def test_no_index_yet_is_a_clear_error(tmp_path):
    result = run("заявка", "-C", str(tmp_path))
    assert result.exit_code == 1
    assert "run `kb build` first" in result.stderr


def test_query_and_batch_together_are_a_usage_error(project, tmp_path):
    (tmp_path / "q.txt").write_text("x\n", encoding="utf-8")
    assert run("x", "--batch", str(tmp_path / "q.txt"), "-C", str(project)).exit_code == 2
    assert run("-C", str(project)).exit_code == 2
