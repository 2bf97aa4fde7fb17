"""`kb link`: ready-to-paste answers for operators, checked against golden files.

Set KB_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change (then review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main

from conftest import article, write_kb

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = write_kb(tmp_path_factory.mktemp("link") / "p", {
        "kb/payment/terminal.md": article(
            "terminal-payment", "Оплатили через терминал, а деньги не пришли",
            "Платёж зачисляется до 24 часов.\n", summary='"Зачисление занимает до 24 часов: проверьте чек & номер."',
            aliases="\n  - заплатил в терминале деньги не пришли"),
        "kb/payment/cards.md": article("card-declined", "Карту не принимают <при оплате>",
                                       "Проверьте лимиты карты.\n", aliases="\n  - карта не проходит"),
    })
    build(root)
    return root


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("html", "html"), ("json", "json")])
def test_link_formats_match_golden_files(project, fmt, suffix):
    result = CliRunner().invoke(main, ["link", "деньги не пришли терминал", "-n", "2", "--format", fmt, "-C", str(project)])
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"link.{suffix}"
    if os.environ.get("KB_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_link_without_a_match_or_an_index(project, tmp_path):
    none = CliRunner().invoke(main, ["link", "zzzz qqqq", "-C", str(project)])
    assert none.exit_code == 1 and "no article matches 'zzzz qqqq'" in none.stderr
    empty = write_kb(tmp_path / "empty", {"kb/s/a.md": article("a", "A")})
    missing = CliRunner().invoke(main, ["link", "x", "-C", str(empty)])
    assert missing.exit_code == 1 and "run `kb build` first" in missing.stderr
