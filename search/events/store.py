"""The event store: searches, clicks, feedback and operator-sent links in ``.kb/events.sqlite``.

    store = EventStore(store_path(project))              # created and migrated on first use
    qid = store.record_query("где мой заказ", hits=0, source="site", session="k3Jd8sPq")
    store.record_click(qid, "tracking", 1)               # Recorded.STORED
    store.record_feedback("returns", False, comment="не помогло", session="k3Jd8sPq")
    [e["text"] for e in store.iter_events("queries")]    # ['где мой заказ']

Writers get back what became of the event (:class:`Recorded`); fields that cannot be stored
(a malformed article id, a rank of 0) raise :class:`EventError` naming the field, for a 400;
a store that cannot be written (locked past ``busy_timeout_ms``, a full disk) raises
:class:`EventStoreError`. Readers: :meth:`EventStore.iter_events`, the gap-report questions in
:mod:`search.events.stats`, and CSV/JSONL in :mod:`search.events.export`.

Durability. The file is in WAL mode with ``synchronous=NORMAL``. Each event is one short
transaction; a committed transaction is in the WAL file before ``record_*`` returns, so a crash
or ``kill -9`` of the process loses at most the event being written, and SQLite's journal keeps
the file consistent. What NORMAL gives up is the last few transactions on a *power* loss or
kernel crash (never consistency). ``synchronous="FULL"`` closes that gap with an fsync per event,
which measured ~4.6 ms per event against ~0.01 ms on the virtual disk kb was developed on, on
the search request path and serialised across worker processes; pass it when losing the last
second of events to a power cut matters more than that.

Concurrency. Each thread gets its own connection (``check_same_thread`` is off only so that
:meth:`close` can close them all). Several processes may write the same file: WAL lets readers
run beside the one writer, writers take the lock up front (``BEGIN IMMEDIATE``, so no deadlock
on upgrade) and wait up to ``busy_timeout_ms`` for it; transactions are a statement or three.

Privacy. No column holds an IP address, user agent or any other personal detail; text is
cleaned and redacted on the way in (:mod:`search.events.clean`); ``session`` is at most a random
id; and events older than ``retention_days`` (default 365) are deleted on open and then at most
once a day by the writing process itself (:meth:`prune_if_due`), so the service needs no timer.

Flood limits (feedback is public and anonymous, so a script could vote an article down):
see :class:`FloodLimits`. Extra events are not stored and :data:`Recorded.LIMITED` is returned,
so the service can answer 429 (or 204 to give nothing away).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from kb_helpcenter.search.events.clean import (
    COMMENT_LIMIT,
    QUERY_LIMIT,
    RANK_LIMIT,
    SOURCES,
    EventError,
    check_article_id,
    check_bool,
    check_choice,
    check_int,
    check_latency,
    check_query_id,
    check_ref,
    check_top_ids,
    clean_session,
    clean_text,
    normalize_query,
)
from kb_helpcenter.search.events.schema import COLUMNS, KINDS, EventStoreError, migrate, parse_stamp, stamp

# Searches of one session closer than this, one extending the other, are one question typed.
REFINE_SECONDS = 10

__all__ = [
    "COLUMNS", "DEFAULT_RETENTION_DAYS", "KINDS", "EventError", "EventStore", "EventStoreError",
    "FloodLimits", "Recorded", "StoreMissingError", "store_path",
]

DEFAULT_RETENTION_DAYS = 365
PRUNE_EVERY = timedelta(days=1)


class StoreMissingError(EventStoreError):
    """There is no event store at the path yet (and the caller asked not to create one)."""


class Recorded(Enum):
    """What became of an event handed to a ``record_*`` method."""

    STORED = "stored"
    LIMITED = "limited"  #: over a flood limit: not stored (the service may answer 429)
    UNKNOWN_QUERY = "unknown_query"  #: a click for a query the store does not have: not stored


@dataclass(frozen=True)
class FloodLimits:
    """How many events one source may add; extra ones are dropped and reported as LIMITED.

    A person votes on an article once, maybe changes their mind, maybe adds a comment: three
    votes per article per hour is generous. Thirty votes an hour across articles is more than
    anyone reading a help center gives. Visitors without a session id (cookies off, or a
    script) share one budget per article per hour. A search result is clicked a few times at
    most (back, next hit, back again): ten clicks per query.
    """

    feedback_per_article_hour: int = 3
    feedback_per_session_hour: int = 30
    anonymous_feedback_per_article_hour: int = 60
    clicks_per_query: int = 10


def store_path(project: Path) -> Path:
    """Where a project's events live: ``<project>/.kb/events.sqlite``."""
    return project / ".kb" / "events.sqlite"


class EventStore:
    """The SQLite event log of one project (see the module docstring for the guarantees).

    ``path`` is created with its folder unless ``create=False``, which raises
    :class:`StoreMissingError` instead (readers such as ``kb events export`` use it).
    """

    def __init__(self, path: Path, *, retention_days: int = DEFAULT_RETENTION_DAYS,
                 synchronous: str = "NORMAL", busy_timeout_ms: int = 10_000,
                 limits: FloodLimits = FloodLimits(), create: bool = True) -> None:
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1:
            raise EventStoreError(f"retention_days: expected a whole number of days >= 1, got {retention_days!r}")
        if synchronous not in ("NORMAL", "FULL"):
            raise EventStoreError(f"synchronous: expected NORMAL or FULL, got {synchronous!r}")
        self.path = Path(path)
        self.retention = timedelta(days=retention_days)
        self.limits = limits
        self._synchronous = synchronous
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._next_prune = 0.0
        if not self.path.exists():
            if not create:
                raise StoreMissingError(f"no event store at {self.path}; `kb serve` records events there")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            migrate(self._conn())
        except sqlite3.Error as exc:  # locked for longer than busy_timeout, read-only, corrupt...
            raise EventStoreError(f"{self.path}: cannot prepare the event store: {exc}") from exc
        self.prune_if_due()

    # -- connections ------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection, opened and configured on first use."""
        if os.getpid() != self._pid:
            # A forked child must not use the parent's connections: start afresh.
            self._pid, self._local, self._connections = os.getpid(), threading.local(), []
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open_connection()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _open_connection(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise EventStoreError(f"{self.path}: cannot open the event store: {exc}") from None
        if str(mode).lower() != "wal":
            conn.close()
            raise EventStoreError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); is it on a network drive?")
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Several writes of this thread in one transaction (one fsync for all of them): the
        writer thread stores what is queued this way. All or none of them are stored."""
        conn = self._conn()
        if getattr(self._local, "batch", False):
            yield
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._local.batch = True
            try:
                yield
                conn.execute("COMMIT")
            finally:
                self._local.batch = False
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise EventStoreError(f"{self.path}: cannot write to the event store: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, holding the write lock from its first statement (or a
        part of the :meth:`batch` this thread is in)."""
        conn = self._conn()
        if getattr(self._local, "batch", False):
            try:
                yield conn
            except sqlite3.Error as exc:
                raise EventStoreError(f"{self.path}: cannot write to the event store: {exc}") from exc
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:  # an error above: leave the connection clean
                    conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            # "database is locked" after busy_timeout, a full disk, a read-only file...
            raise EventStoreError(f"{self.path}: cannot write to the event store: {exc}") from exc

    def close(self) -> None:
        """Close every connection this store opened (call when no thread uses it any more)."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------

    def record_query(self, text: str, *, hits: int, top_ids: list[str] | tuple[str, ...] = (),
                     latency_ms: float | None = None, corrected: str | None = None,
                     session: str | None = None, source: str = "site", normalized: str | None = None,
                     at: datetime | None = None, query_id: str | None = None) -> str:
        """Store one search; return its ``query_id`` (clicks refer to it).

        ``normalized`` defaults to :func:`~search.events.clean.normalize_query` of the cleaned
        text; the engine may pass its own analysis instead. ``at`` is for imports, tests and
        events written later than they happened; ``query_id`` lets the caller choose the id
        (the service answers with it before the event is written).

        Search-as-you-type sends "за", "заяв", "заявка ви", "заявка висит" within seconds. When
        the same session's previous search, less than :data:`REFINE_SECONDS` ago and not yet
        clicked, is a prefix of this one (or this one of it: backspace), that row is updated to
        the longer text and keeps its id (or takes the ``query_id`` given: the page clicks with
        the latest one it was answered), so the log holds what the customer finally asked.
        """
        clean = clean_text(text, field="text", limit=QUERY_LIMIT)
        row = (
            check_query_id(query_id) if query_id is not None else secrets.token_urlsafe(16), stamp(at), clean,
            normalize_query(clean if normalized is None else clean_text(normalized, field="normalized",
                                                                          limit=QUERY_LIMIT)),
            check_int(hits, field="hits", low=0),
            json.dumps(check_top_ids(top_ids)),
            check_latency(latency_ms),
            None if corrected is None else clean_text(corrected, field="corrected", limit=QUERY_LIMIT) or None,
            clean_session(session),
            check_choice(source, field="source", choices=SOURCES),
        )
        self.prune_if_due()
        with self._write() as conn:
            refined = self._refined_query(conn, row) if row[8] else None
            if refined is not None:
                # a caller that chose the id (the service answered with it) keeps it; else the old one
                kept = row[0] if query_id is not None else refined
                conn.execute("UPDATE queries SET id = ?, ts = ?, text = ?, normalized = ?, hits = ?, top_ids = ?, "
                             "latency_ms = ?, corrected = ? WHERE id = ?", (kept, *row[1:8], refined))
                return kept
            conn.execute(f"INSERT INTO queries ({', '.join(COLUMNS['queries'])}) VALUES ({', '.join('?' * 10)})", row)
        return row[0]

    @staticmethod
    def _refined_query(conn: sqlite3.Connection, row: tuple) -> str | None:
        """The id of the search that ``row`` refines (see :meth:`record_query`), if any."""
        since = stamp(parse_stamp(row[1]) - timedelta(seconds=REFINE_SECONDS))
        last = conn.execute(
            "SELECT id, text FROM queries WHERE session = ? AND source = ? AND ts >= ? ORDER BY ts DESC, rowid DESC "
            "LIMIT 1", (row[8], row[9], since)).fetchone()
        if last is None:
            return None
        before, now = last["text"].casefold(), row[2].casefold()
        if not (now.startswith(before) or before.startswith(now)):
            return None
        if conn.execute("SELECT 1 FROM clicks WHERE query_id = ? LIMIT 1", (last["id"],)).fetchone():
            return None
        return last["id"]

    def record_click(self, query_id: str, article_id: str, rank: int, *, session: str | None = None,
                     at: datetime | None = None) -> Recorded:
        """Store a click on the hit at ``rank`` (1 = first shown) of the search ``query_id``.

        The session defaults to the query's. A query id the store does not know (made up, or
        pruned) is not an error the visitor can fix: it returns :data:`Recorded.UNKNOWN_QUERY`.
        """
        query_id = check_query_id(query_id)
        article_id = check_article_id(article_id)
        rank = check_int(rank, field="rank", low=1, high=RANK_LIMIT)
        session = clean_session(session)
        ts = stamp(at)
        self.prune_if_due()
        with self._write() as conn:
            query = conn.execute("SELECT session FROM queries WHERE id = ?", (query_id,)).fetchone()
            if query is None:
                return Recorded.UNKNOWN_QUERY
            clicks = conn.execute("SELECT COUNT(*) FROM clicks WHERE query_id = ?", (query_id,)).fetchone()[0]
            if clicks >= self.limits.clicks_per_query:
                return Recorded.LIMITED
            conn.execute("INSERT INTO clicks (ts, query_id, article_id, rank, session) VALUES (?, ?, ?, ?, ?)",
                         (ts, query_id, article_id, rank, session or query["session"]))
        return Recorded.STORED

    def record_feedback(self, article_id: str, helpful: bool, *, comment: str | None = None,
                        session: str | None = None, at: datetime | None = None) -> Recorded:
        """Store a "was this helpful?" vote, with an optional comment, unless over a flood limit."""
        article_id = check_article_id(article_id)
        helpful = check_bool(helpful, field="helpful")
        comment = None if comment is None else clean_text(comment, field="comment", limit=COMMENT_LIMIT,
                                                          multiline=True) or None
        session = clean_session(session)
        moment = stamp(at)
        hour_ago = stamp((at or datetime.now(UTC)) - timedelta(hours=1))
        self.prune_if_due()
        with self._write() as conn:
            if self._feedback_limited(conn, article_id, session, hour_ago):
                return Recorded.LIMITED
            conn.execute("INSERT INTO feedback (ts, article_id, helpful, comment, session) VALUES (?, ?, ?, ?, ?)",
                         (moment, article_id, int(helpful), comment, session))
        return Recorded.STORED

    def _feedback_limited(self, conn: sqlite3.Connection, article_id: str, session: str | None,
                          since: str) -> bool:
        """Whether one more vote would exceed :class:`FloodLimits` (counted inside the write lock)."""
        def count(where: str, *params: str) -> int:
            sql = f"SELECT COUNT(*) FROM feedback WHERE ts > ? AND {where}"
            return conn.execute(sql, (since, *params)).fetchone()[0]

        limits = self.limits
        if session is None:
            return count("session IS NULL AND article_id = ?", article_id) >= limits.anonymous_feedback_per_article_hour
        return (count("session = ? AND article_id = ?", session, article_id) >= limits.feedback_per_article_hour
                or count("session = ?", session) >= limits.feedback_per_session_hour)

    def record_sent_link(self, article_id: str, *, ref: str = "op", at: datetime | None = None) -> Recorded:
        """Store that someone (``ref``, ``op`` for operators) sent a customer the link to an article."""
        row = (stamp(at), check_article_id(article_id), check_ref(ref))
        self.prune_if_due()
        with self._write() as conn:
            conn.execute("INSERT INTO sent_links (ts, article_id, ref) VALUES (?, ?, ?)", row)
        return Recorded.STORED

    # -- retention --------------------------------------------------------------------------

    def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete events older than the retention; return how many of each kind went."""
        cutoff = stamp((now or datetime.now(UTC)) - self.retention)
        deleted: dict[str, int] = {}
        with self._write() as conn:
            # Clicks first: those of old queries would otherwise go by cascade, uncounted.
            for kind in ("clicks", "feedback", "sent_links", "queries"):
                deleted[kind] = conn.execute(f"DELETE FROM {kind} WHERE ts < ?", (cutoff,)).rowcount
        return deleted

    def prune_if_due(self) -> dict[str, int] | None:
        """:meth:`prune` if this process has not pruned for a day; the ``record_*`` methods call it."""
        if time.monotonic() < self._next_prune:
            return None
        self._next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
        return self.prune()

    # -- reading ----------------------------------------------------------------------------

    def iter_events(self, kind: str, *, since: datetime | None = None,
                    until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The events of ``kind`` (one of :data:`KINDS`) from ``since`` up to ``until``, oldest first.

        Each is a plain dict with the keys of ``COLUMNS[kind]``: ``ts`` as stored
        (``2026-05-09T07:35:25.123Z``), ``top_ids`` as a list, ``helpful`` as a bool.
        """
        check_choice(kind, field="kind", choices=KINDS)
        clauses, params = [], []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(stamp(since))
        if until is not None:
            clauses.append("ts < ?")
            params.append(stamp(until))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {', '.join(COLUMNS[kind])} FROM {kind} {where} ORDER BY ts, rowid"
        for row in self._conn().execute(sql, params):
            yield decode(kind, row)

    def rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        """The rows of a read-only ``sql`` as dicts (for the reports in :mod:`search.events.stats`)."""
        return [dict(row) for row in self._conn().execute(sql, params)]

    def count(self, kind: str) -> int:
        """How many events of ``kind`` the store holds."""
        check_choice(kind, field="kind", choices=KINDS)
        return self._conn().execute(f"SELECT COUNT(*) FROM {kind}").fetchone()[0]


def decode(kind: str, row: sqlite3.Row | Mapping[str, Any]) -> dict[str, Any]:
    """A stored row of ``kind`` as a plain dict: JSON lists decoded, flags as bools."""
    event = {column: row[column] for column in COLUMNS[kind]}
    if kind == "queries":
        event["top_ids"] = json.loads(event["top_ids"] or "[]")
    elif kind == "feedback":
        event["helpful"] = bool(event["helpful"])
    return event
