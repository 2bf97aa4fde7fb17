"""`kb events backup`: a consistent copy of a live event store, written atomically."""

from __future__ import annotations

import sqlite3
import threading

from click.testing import CliRunner

from kb_helpcenter.generator.cli import main
from kb_helpcenter.search.events.backup import backup
from kb_helpcenter.search.events.store import EventStore, store_path

from conftest import MKDOCS_YML


def test_backup_of_a_store_that_is_being_written(tmp_path):
    path = store_path(tmp_path)
    target = tmp_path / "backups" / "events.sqlite"
    with EventStore(path) as store:
        for i in range(200):
            store.record_query(f"вопрос {i}", hits=1, top_ids=["refund"])
        stop = threading.Event()

        def keep_writing() -> None:
            while not stop.is_set():
                store.record_query("ещё вопрос", hits=0)

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            info = backup(path, target, pages_per_step=1)  # page by page: writes land in between
        finally:
            stop.set()
            writer.join()
    assert info.path == target and info.events >= 200 and info.bytes == target.stat().st_size
    assert not (tmp_path / "backups" / "events.sqlite-wal").exists()  # one self-contained file
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM queries").fetchone()[0] == info.events
    assert [p.name for p in target.parent.iterdir()] == ["events.sqlite"]  # no partial file left


def test_events_backup_command(tmp_path):
    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    runner = CliRunner()
    missing = runner.invoke(main, ["events", "backup", str(tmp_path / "b.sqlite"), "-C", str(tmp_path)])
    assert missing.exit_code == 1
    assert "events.sqlite: no event store here" in missing.stderr and not (tmp_path / "b.sqlite").exists()

    with EventStore(store_path(tmp_path)) as store:
        store.record_feedback("refund", True)
    (tmp_path / "b.sqlite").write_text("an older backup", encoding="utf-8")
    done = runner.invoke(main, ["events", "backup", str(tmp_path / "b.sqlite"), "-C", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith("kb: 1 events (")
    with sqlite3.connect(tmp_path / "b.sqlite") as copy:
        assert copy.execute("SELECT article_id, helpful FROM feedback").fetchall() == [("refund", 1)]
