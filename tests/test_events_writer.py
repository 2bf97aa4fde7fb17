"""The event writer: off the request path, spooled while the store is locked, never lost."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from kb_helpcenter.search.events.store import EventStore
from kb_helpcenter.search.events.writer import EventWriter, Outcome


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path, timeout=10) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names


def wait_for(predicate, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_events_are_stored_in_order_by_the_writer_thread(tmp_path):
    path = tmp_path / "events.sqlite"
    store = EventStore(path, busy_timeout_ms=200)
    writer = EventWriter(store, tmp_path / "spool", retry_seconds=0.2)
    outcomes = [writer.submit("query", {"text": f"вопрос {i}", "hits": 1, "query_id": f"query-{i:04d}"}) for i in range(50)]
    click = writer.submit("click", {"query_id": "query-0049", "article_id": "refund", "rank": 1})
    assert click.result(timeout=10) is Outcome.STORED  # after the queries it refers to
    assert {o.result(timeout=10) for o in outcomes} == {Outcome.STORED}
    assert count(path, "queries") == 50 and count(path, "clicks") == 1
    writer.close()
    store.close()


def test_a_locked_store_spools_and_the_writer_replays_when_it_is_free(tmp_path):
    path = tmp_path / "events.sqlite"
    store = EventStore(path, busy_timeout_ms=200)
    writer = EventWriter(store, tmp_path / "spool", retry_seconds=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the file
    try:
        started = time.monotonic()
        futures = [writer.submit("feedback", {"article_id": "refund", "helpful": True, "session": f"sess-{i:05d}"})
                   for i in range(20)]
        assert time.monotonic() - started < 1.0  # submit never waits for the store
        assert {f.result(timeout=10) for f in futures} == {Outcome.QUEUED}
        assert writer.pending()["spooled"] == 20
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_for(lambda: count(path, "feedback") == 20)
    wait_for(lambda: writer.pending() == {"queued": 0, "spooled": 0})
    writer.close()
    store.close()
    assert count(path, "feedback") == 20  # each once


def test_a_full_spool_refuses_and_says_so(tmp_path):
    path = tmp_path / "events.sqlite"
    store = EventStore(path, busy_timeout_ms=100)
    writer = EventWriter(store, tmp_path / "spool", spool_max_bytes=600, retry_seconds=30)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        results = [writer.submit("sent_link", {"article_id": "refund"}).result(timeout=10) for _ in range(10)]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert results[0] is Outcome.QUEUED and results[-1] is Outcome.REFUSED
    assert (tmp_path / "spool" / writer.spool_path.name).stat().st_size <= 600
    writer.close()
    store.close()


def test_a_spool_left_by_a_killed_process_is_replayed_by_the_next_writer(tmp_path):
    path = tmp_path / "events.sqlite"
    EventStore(path).close()
    spool = tmp_path / "spool"
    spool.mkdir()
    # what a writer killed with -9 leaves: its spool, named by a pid that no longer runs
    (spool / "events-999999.jsonl").write_text(
        '{"kind": "feedback", "fields": {"article_id": "refund", "helpful": false, "at": "2026-12-01T10:00:00.000Z"}}\n'
        '{"kind": "query", "fields": {"text": "возврат", "hits": 2, "at": "2026-12-01T10:00:01.000Z"}}\n'
        'not json: a line cut by the crash\n', encoding="utf-8")
    store = EventStore(path)
    writer = EventWriter(store, spool, retry_seconds=0.2)
    wait_for(lambda: count(path, "feedback") == 1 and count(path, "queries") == 1)
    assert not list(spool.iterdir())
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT ts FROM feedback").fetchone()[0] == "2026-12-01T10:00:00.000Z"  # when it happened
    writer.close()
    store.close()


def test_text_no_encoder_can_write_and_a_damaged_spool_do_not_stop_the_writer(tmp_path):
    path = tmp_path / "events.sqlite"
    store = EventStore(path, busy_timeout_ms=100)
    spool = tmp_path / "spool"
    spool.mkdir()
    # a spool of a killed process whose last line was cut in the middle of a character
    (spool / "events-999998.jsonl").write_bytes(
        b'{"kind": "sent_link", "fields": {"article_id": "refund", "at": "2026-12-01T10:00:00.000Z"}}\n'
        + '{"kind": "query", "fields": {"text": "возв'.encode()[:-1])
    writer = EventWriter(store, spool, retry_seconds=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:  # spooled while locked: a lone surrogate in a comment must not break the spool
        lone = writer.submit("feedback", {"article_id": "refund", "helpful": True, "comment": "плохо \ud800"})
        assert lone.result(timeout=10) is Outcome.QUEUED
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_for(lambda: count(path, "feedback") == 1 and count(path, "sent_links") == 1)
    assert writer.alive
    after = writer.submit("sent_link", {"article_id": "refund"})
    assert after.result(timeout=10) is Outcome.STORED
    writer.close()
    store.close()


def test_an_event_stored_already_does_not_block_the_ones_after_it(tmp_path):
    path = tmp_path / "events.sqlite"
    store = EventStore(path)
    store.record_query("возврат", hits=1, query_id="query-dup-0001")
    spool = tmp_path / "spool"
    spool.mkdir()
    # a replay cut short by kill -9: the first line was stored already, the others were not
    (spool / "events-999997.jsonl").write_text(
        '{"kind": "query", "fields": {"text": "возврат", "hits": 1, "query_id": "query-dup-0001", '
        '"at": "2026-12-01T10:00:00.000Z"}}\n'
        '{"kind": "click", "fields": {"query_id": "query-dup-0001", "article_id": "refund", "rank": 1, '
        '"at": "2026-12-01T10:00:01.000Z"}}\n', encoding="utf-8")
    writer = EventWriter(store, spool, retry_seconds=0.2)
    wait_for(lambda: count(path, "clicks") == 1)
    assert count(path, "queries") == 1
    # and a new event with a taken id is dropped, the rest of its batch stored
    first = writer.submit("query", {"text": "ещё", "hits": 0, "query_id": "query-dup-0001"})
    second = writer.submit("sent_link", {"article_id": "refund"})
    assert first.result(timeout=10) is Outcome.STORED and second.result(timeout=10) is Outcome.STORED
    assert count(path, "sent_links") == 1
    writer.close()
    store.close()
