"""Reading the event log for the gap report: the questions the help center did not answer.

Each function takes an :class:`~search.events.store.EventStore` and an optional ``since`` and
returns plain values, most frequent first:

- :func:`failed_searches` — searches that found nothing;
- :func:`unclicked_searches` — searches that found something nobody opened, neither then nor in
  a refined search of the same session within ``window`` (a refinement that ends in a click
  means the help center answered, only not at the first try);
- :func:`searches_then_no` — searches whose clicked article got a "no" vote from the same
  session within ``window``;
- :func:`no_votes` — "no" votes, optionally only those with a comment;
- :func:`sent_links_per_article` and :func:`feedback_per_article` — plain counts.

Questions are grouped by their normalized text; each group shows the wording used most often.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kb_helpcenter.search.events.schema import stamp
from kb_helpcenter.search.events.store import EventStore

DEFAULT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class QuestionCount:
    """One question as customers asked it: the usual wording, how often, and when last."""

    text: str
    normalized: str
    count: int
    last_ts: str


def _since(since: datetime | None) -> str:
    return stamp(since) if since is not None else ""


def _window(window: timedelta) -> str:
    return f"+{int(window.total_seconds())} seconds"


def _group(rows: list[dict[str, Any]]) -> list[QuestionCount]:
    """Rows of ``normalized, text, ts`` grouped by ``normalized``, most frequent first."""
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    last: dict[str, str] = {}
    for row in rows:
        wordings[row["normalized"]][row["text"]] += 1
        last[row["normalized"]] = max(last.get(row["normalized"], ""), row["ts"])
    groups = [
        QuestionCount(text=min(texts, key=lambda t: (-texts[t], t)), normalized=normalized,
                      count=sum(texts.values()), last_ts=last[normalized])
        for normalized, texts in wordings.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.normalized))


def failed_searches(store: EventStore, *, since: datetime | None = None,
                    sources: tuple[str, ...] = ("site", "ops", "api")) -> list[QuestionCount]:
    """Searches with no hits at all, grouped by question."""
    marks = ", ".join("?" * len(sources))
    return _group(store.rows(
        f"SELECT normalized, text, ts FROM queries WHERE hits = 0 AND ts >= ? AND source IN ({marks})",
        (_since(since), *sources),
    ))


def unclicked_searches(store: EventStore, *, since: datetime | None = None,
                       window: timedelta = DEFAULT_WINDOW) -> list[QuestionCount]:
    """Site searches with hits where nothing was clicked, then or later in the session.

    Only ``site`` searches count: operators send links instead of clicking (see
    :func:`sent_links_per_article`), and API callers do not report clicks.
    """
    return _group(store.rows(
        """SELECT q.normalized, q.text, q.ts FROM queries q
           WHERE q.hits > 0 AND q.source = 'site' AND q.ts >= ?
             AND NOT EXISTS (SELECT 1 FROM clicks c WHERE c.query_id = q.id)
             AND NOT (q.session IS NOT NULL AND EXISTS (
                 SELECT 1 FROM clicks c WHERE c.session = q.session AND c.ts >= q.ts
                   AND c.ts <= strftime('%Y-%m-%dT%H:%M:%fZ', q.ts, ?)))""",
        (_since(since), _window(window)),
    ))


def searches_then_no(store: EventStore, *, since: datetime | None = None,
                     window: timedelta = DEFAULT_WINDOW) -> list[dict[str, Any]]:
    """Searches whose clicked article was voted "not helpful" by the same session soon after.

    One dict per (search, vote): ``query_id, ts, text, normalized, article_id, comment``,
    oldest first.
    """
    return store.rows(
        """SELECT DISTINCT q.id AS query_id, q.ts, q.text, q.normalized, f.article_id, f.comment
           FROM queries q
           JOIN clicks c ON c.query_id = q.id
           JOIN feedback f ON f.session = q.session AND f.article_id = c.article_id
           WHERE q.ts >= ? AND q.session IS NOT NULL AND f.helpful = 0
             AND f.ts >= q.ts AND f.ts <= strftime('%Y-%m-%dT%H:%M:%fZ', q.ts, ?)
           ORDER BY q.ts, q.id, f.article_id""",
        (_since(since), _window(window)),
    )


def no_votes(store: EventStore, *, since: datetime | None = None,
             with_comment: bool = False) -> list[dict[str, Any]]:
    """The "not helpful" votes (``id, ts, article_id, comment``), oldest first."""
    comment = "AND comment IS NOT NULL AND comment != ''" if with_comment else ""
    return store.rows(
        f"SELECT id, ts, article_id, comment FROM feedback WHERE helpful = 0 AND ts >= ? {comment} ORDER BY ts, id",
        (_since(since),),
    )


def sent_links_per_article(store: EventStore, *, since: datetime | None = None) -> dict[str, int]:
    """How often operators sent each article, most sent first."""
    rows = store.rows(
        "SELECT article_id, COUNT(*) AS n FROM sent_links WHERE ts >= ? GROUP BY article_id "
        "ORDER BY n DESC, article_id",
        (_since(since),),
    )
    return {row["article_id"]: row["n"] for row in rows}


def feedback_per_article(store: EventStore, *, since: datetime | None = None) -> dict[str, tuple[int, int]]:
    """``{article_id: (yes, no)}`` vote counts, most "no" first."""
    rows = store.rows(
        "SELECT article_id, SUM(helpful) AS yes, SUM(1 - helpful) AS no FROM feedback WHERE ts >= ? "
        "GROUP BY article_id ORDER BY no DESC, article_id",
        (_since(since),),
    )
    return {row["article_id"]: (row["yes"], row["no"]) for row in rows}
