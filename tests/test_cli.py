"""The `kb` command as a team uses it: installed, run in a folder outside this repository."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kb_helpcenter.generator.cli import main

from conftest import article, write_kb
from htmlcheck import parse

KB = str(Path(sys.executable).with_name("kb"))


def kb(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([KB, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_init_new_build_round_trip_with_the_installed_package(tmp_path):
    done = kb("init", "my-help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "my-help"
    assert sorted(p.name for p in project.iterdir()) == [".gitignore", "deploy", "kb", "mkdocs.yml"]

    created = kb("new", "Как вернуть товар", "--section", "returns", cwd=project)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "kb/returns/kak-vernut-tovar.md"
    text = (project / created.stdout.strip()).read_text(encoding="utf-8")
    assert text.startswith('---\nid: kak-vernut-tovar\ntitle: "Как вернуть товар"\n')
    assert f"updated: {dt.date.today().isoformat()}" in text

    again = kb("new", "Как вернуть товар", "--section", "returns", cwd=project)
    assert again.stdout.strip() == "kb/returns/kak-vernut-tovar-2.md"
    assert "id: kak-vernut-tovar-2\n" in (project / "kb/returns/kak-vernut-tovar-2.md").read_text(encoding="utf-8")

    checked = kb("check", "--format", "json", cwd=project)
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["errors"] == 0

    built = kb("build", "-C", "my-help", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "built 4 articles into site/" in built.stderr
    page = parse(project / "site" / "returns" / "kak-vernut-tovar" / "index.html")
    assert page.h1 == ["Как вернуть товар"]
    assert (project / "site" / "assets" / "kb" / "kb.css").exists()  # theme from the package
    assert (project / ".kb" / "manifest.json").exists()


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    done = kb("init", "busy", cwd=tmp_path)
    assert done.returncode == 2
    assert "is not empty; choose a new folder" in done.stderr
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]


def test_content_errors_exit_1_with_located_messages_and_no_traceback(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": "---\nid: a\ntitle: [oops\n---\n"})
    result = CliRunner().invoke(main, ["build", "-C", str(project)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("kb/s/a.md:3: YAML syntax error in the front matter")
    assert "Traceback" not in result.output
    assert not (project / "site").exists()


def test_usage_errors_exit_2(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "A")})
    runner = CliRunner()
    assert runner.invoke(main, ["check", "--format", "xml", "-C", str(project)]).exit_code == 2
    bad_section = runner.invoke(main, ["new", "Заголовок", "--section", "Раздел!", "-C", str(project)])
    assert bad_section.exit_code == 2
    assert "section 'Раздел!' must be a folder name" in bad_section.stderr
    assert runner.invoke(main, ["serve", "--drafts", "-C", str(project)]).exit_code == 2


def test_every_command_documents_an_example():
    import click

    runner = CliRunner()
    commands = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            commands += [[name, sub] for sub in command.commands]
        else:
            commands.append([name])
    assert len(commands) >= 8
    for words in commands:
        text = runner.invoke(main, [*words, "--help"]).output
        assert "Example:" in text or "Examples:" in text, words
        if words != ["init"]:
            assert "-C, --project" in text, words


def test_missing_project_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["check", "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert "mkdocs.yml: no mkdocs.yml in the project" in result.stderr
    assert "kb: no kb/ folder here" in result.stderr
