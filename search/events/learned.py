"""Learned aliases: the questions operators and customers answered with an article.

Two kinds of evidence in the event store say "this question is answered by that article":

- **an operator** looked the question up (``/ops/``, ``/api/link``, ``kb link --sent``: a
  search of source ``ops`` or ``cli``) and sent that article's link (the click recorded with it);
- **a customer** searched on the site, clicked that article and then voted "yes, it helped"
  on it within :data:`VOTE_WINDOW_SECONDS` (the same anonymous session). A "no" vote after such
  a click is evidence against.

:func:`learned_aliases` turns them into aliases with weights, which the search index adds to
each article beside its writers' own aliases (:func:`search.engine.index.write_index`). It is

- **bounded**: a question needs :data:`MIN_EVIDENCE` (one operator, or two customers of
  different sessions: one visitor cannot teach search alone); the weight saturates at
  :data:`SATURATION`; an article keeps its :data:`MAX_PER_ARTICLE` best, the index
  :data:`MAX_ALIASES` in all; only the last :data:`WINDOW_DAYS` count;
- **reversible**: ``kb learn --reject ARTICLE QUESTION`` (``kb/_learned.yml``) drops a pair for
  good; ``extra.kb.learn: false`` in ``mkdocs.yml`` turns learning off; events age out;
- **shown to writers**: ``kb learn`` and the gap report list every learned alias with its
  evidence, so that a good one becomes a real alias in the article's front matter.

Questions are masked (:func:`search.privacy.mask`) before they leave the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from kb_helpcenter.search.events.clean import normalize_query
from kb_helpcenter.search.privacy import mask

OPERATOR_SOURCES = ("ops", "cli")
VOTE_WINDOW_SECONDS = 3600
WINDOW_DAYS = 365
#: Evidence points: an operator's sent link counts one, a customer's "yes" after a click half.
OPERATOR_POINTS = 1.0
CUSTOMER_POINTS = 0.5
MIN_EVIDENCE = 1.0
#: Points at which a learned alias weighs as much as a writer's (weight 1.0). One operator's sent link
#: is enough: on the VK questions (learn on one half, score the other, both ways) 1.0 won over
#: 1.5, 2, 3 and 10 (bench/README.md, "Learning from operators").
SATURATION = 1.0
MAX_PER_ARTICLE = 20
MAX_ALIASES = 20_000
MAX_CHARS = 200


@dataclass(frozen=True)
class LearnedAlias:
    """One question search learned for one article."""

    article_id: str
    question: str  #: as most often typed, masked
    normalized: str  #: the store's normalised form: what rejections match
    weight: float  #: 0..1: how much it counts beside a writer's alias
    operators: int  #: sent links after an operator's look-up
    customers: int  #: customer sessions that clicked it and voted "yes"
    against: int  #: customer sessions that clicked it and voted "no"
    last_seen: str  #: the newest evidence, as stored (UTC)

    def to_json(self) -> dict:
        return asdict(self)


def learned_aliases(store, *, now: datetime | None = None, rejected: Iterable[tuple[str, str]] = (),
                    articles: Mapping[str, Sequence[str]] | None = None) -> list[LearnedAlias]:
    """The learned aliases of ``store`` (an :class:`~search.events.store.EventStore`), best
    first. ``rejected`` are ``(article_id, question)`` pairs left out; ``articles`` (each
    published article's id with its title and aliases), when given, keeps only those articles
    and leaves out the questions they are asked by already."""
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=WINDOW_DAYS)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    known = [(a, q) for a, questions in (articles or {}).items() for q in questions]
    skip = {(a, normalize_query(q)) for a, q in (*rejected, *known)}
    evidence: dict[tuple[str, str], dict] = {}

    def note(row: dict, key: str, who: str | None) -> None:
        normalized = " ".join(str(row["normalized"]).split())
        pair = (row["article_id"], normalized)
        if not normalized or pair in skip:
            return
        entry = evidence.setdefault(pair, {"operators": set(), "customers": set(), "against": set(),
                                           "texts": {}, "last": ""})
        entry[key].add(who or row["click_id"])
        text = " ".join(str(row["text"]).split())[:MAX_CHARS]
        entry["texts"][text] = entry["texts"].get(text, 0) + 1
        entry["last"] = max(entry["last"], row["ts"])

    sources = ", ".join("?" * len(OPERATOR_SOURCES))
    for row in store.rows(
        "SELECT c.id AS click_id, c.article_id, c.ts, q.normalized, q.text, q.session FROM clicks c "
        f"JOIN queries q ON q.id = c.query_id WHERE q.source IN ({sources}) AND c.ts >= ?",
        (*OPERATOR_SOURCES, since),
    ):
        note(row, "operators", None)  # every sent link counts: an operator answers many customers
    for row in store.rows(
        "SELECT c.id AS click_id, c.article_id, f.ts, q.normalized, q.text, c.session, f.helpful FROM clicks c "
        "JOIN queries q ON q.id = c.query_id "
        "JOIN feedback f ON f.article_id = c.article_id AND f.session = c.session "
        "AND f.ts >= c.ts AND f.ts <= strftime('%Y-%m-%dT%H:%M:%fZ', c.ts, ?) "
        "WHERE q.source = 'site' AND c.session IS NOT NULL AND c.ts >= ?",
        (f"+{VOTE_WINDOW_SECONDS} seconds", since),
    ):
        note(row, "customers" if row["helpful"] else "against", row["session"])

    found = []
    for (article, normalized), entry in evidence.items():
        if articles is not None and article not in articles:
            continue
        customers = len(entry["customers"] - entry["against"])
        points = OPERATOR_POINTS * len(entry["operators"]) + CUSTOMER_POINTS * (customers - len(entry["against"]))
        if points < MIN_EVIDENCE:
            continue
        text = max(entry["texts"].items(), key=lambda kv: (kv[1], kv[0]))[0]
        found.append(LearnedAlias(
            article_id=article, question=mask(text), normalized=normalized,
            weight=round(min(1.0, math.log1p(points) / math.log1p(SATURATION)), 3),
            operators=len(entry["operators"]), customers=customers, against=len(entry["against"]),
            last_seen=entry["last"],
        ))
    found.sort(key=lambda a: (-a.weight, -a.operators - a.customers, a.article_id, a.normalized))
    per_article: dict[str, int] = {}
    kept = []
    for alias in found:
        if per_article.get(alias.article_id, 0) >= MAX_PER_ARTICLE:
            continue
        per_article[alias.article_id] = per_article.get(alias.article_id, 0) + 1
        kept.append(alias)
        if len(kept) >= MAX_ALIASES:
            break
    return kept
