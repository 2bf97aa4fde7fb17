"""The event store's schema: ordered, named migrations and the columns of each kind of event.

Migrations are applied in the order of :data:`MIGRATIONS`, each in its own ``BEGIN IMMEDIATE``
transaction together with its row in ``schema_migrations``, so a crash between two migrations
leaves the store at a clean earlier version and the next open carries on. Several processes may
open a fresh store at once: the write lock serialises them and the second one finds the work done.

A migration is never edited once released; a change is a new migration appended to the tuple.
Statements are listed one by one (no ``executescript``: it would commit behind our back).

Timestamps are UTC text, ``YYYY-MM-DDTHH:MM:SS.mmmZ``: fixed width, so they sort and compare as
text (indexes work), read well in exports, and match SQLite's own
``strftime('%Y-%m-%dT%H:%M:%fZ', ...)``, which the gap queries use for time windows.

There is deliberately no column for IP addresses, user agents, names, e-mails or anything else
that identifies a person; ``session`` holds at most a random id the browser made up.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime


class EventStoreError(Exception):
    """The store cannot be used: a newer schema, an unreadable file, a bad setting."""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: a unique, sortable name and the statements it runs."""

    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", (
        """CREATE TABLE queries (
            id          TEXT PRIMARY KEY,      -- random query_id handed to the client
            ts          TEXT NOT NULL,         -- UTC, YYYY-MM-DDTHH:MM:SS.mmmZ
            text        TEXT NOT NULL,         -- as typed: cleaned, clamped, redacted
            normalized  TEXT NOT NULL,         -- case-folded, punctuation-free: what gaps group by
            hits        INTEGER NOT NULL CHECK (hits >= 0),
            top_ids     TEXT NOT NULL DEFAULT '[]',  -- JSON list of article ids, best first
            latency_ms  REAL CHECK (latency_ms IS NULL OR latency_ms >= 0),
            corrected   TEXT,                  -- the spelling the engine searched for instead
            session     TEXT,                  -- random anonymous id, or NULL
            source      TEXT NOT NULL CHECK (source IN ('site', 'ops', 'api', 'cli'))
        )""",
        "CREATE INDEX queries_ts ON queries (ts)",
        "CREATE INDEX queries_session_ts ON queries (session, ts)",
        "CREATE INDEX queries_normalized ON queries (normalized)",
        "CREATE INDEX queries_failed_ts ON queries (ts) WHERE hits = 0",
        """CREATE TABLE clicks (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            ts          TEXT NOT NULL,
            query_id    TEXT NOT NULL REFERENCES queries (id) ON DELETE CASCADE,
            article_id  TEXT NOT NULL,
            rank        INTEGER NOT NULL CHECK (rank >= 1),  -- 1 = the first hit shown
            session     TEXT
        )""",
        "CREATE INDEX clicks_ts ON clicks (ts)",
        "CREATE INDEX clicks_query_id ON clicks (query_id)",
        "CREATE INDEX clicks_session_ts ON clicks (session, ts)",
        """CREATE TABLE feedback (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            ts          TEXT NOT NULL,
            article_id  TEXT NOT NULL,
            helpful     INTEGER NOT NULL CHECK (helpful IN (0, 1)),
            comment     TEXT,
            session     TEXT
        )""",
        "CREATE INDEX feedback_ts ON feedback (ts)",
        "CREATE INDEX feedback_article_ts ON feedback (article_id, ts)",
        "CREATE INDEX feedback_session_ts ON feedback (session, ts)",
        "CREATE INDEX feedback_no_ts ON feedback (ts) WHERE helpful = 0",
        """CREATE TABLE sent_links (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            ts          TEXT NOT NULL,
            article_id  TEXT NOT NULL,
            ref         TEXT NOT NULL              -- who sent it: 'op' for operators
        )""",
        "CREATE INDEX sent_links_ts ON sent_links (ts)",
        "CREATE INDEX sent_links_article_ts ON sent_links (article_id, ts)",
    )),
)

#: The kinds of events, in the order exports list them.
KINDS: tuple[str, ...] = ("queries", "clicks", "feedback", "sent_links")

#: The columns of each kind, in table order: what readers get and what CSV headers show.
COLUMNS: dict[str, tuple[str, ...]] = {
    "queries": ("id", "ts", "text", "normalized", "hits", "top_ids", "latency_ms", "corrected", "session", "source"),
    "clicks": ("id", "ts", "query_id", "article_id", "rank", "session"),
    "feedback": ("id", "ts", "article_id", "helpful", "comment", "session"),
    "sent_links": ("id", "ts", "article_id", "ref"),
}


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as stored: UTC with milliseconds; naive datetimes are UTC.

    >>> stamp(datetime(2026, 5, 9, 7, 35, 25, 123456, tzinfo=UTC))
    '2026-05-09T07:35:25.123Z'
    """
    moment = moment or datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime:
    """A stored timestamp back as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def migrate(conn: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply the migrations ``conn`` has not seen yet, in order; return their names.

    ``conn`` must be in autocommit mode (``isolation_level=None``). A store that records a
    migration this code does not know was written by a newer kb: :class:`EventStoreError`.
    """
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    known = [m.name for m in migrations]
    applied_now: list[str] = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
            unknown = [name for name in done if name not in known]
            if unknown:
                raise EventStoreError(
                    f"the event store was written by a newer kb (unknown migrations: {', '.join(unknown)}); "
                    "upgrade kb, or point it at another file"
                )
            if migration.name not in done:
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                             (migration.name, stamp()))
                applied_now.append(migration.name)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return applied_now


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """The names recorded in ``schema_migrations``, in the order they were applied."""
    return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY rowid")]
