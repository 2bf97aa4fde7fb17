"""Feeding the gap analysis: the event log, helpdesk exports, the engine and the manifest.

The I/O side of :mod:`search.gaps.find` (which stays pure). ``kb gaps`` composes these:

    questions = QuestionSet(now=now, since=since)
    add_export(questions, read_questions(path))            # source "tickets"
    add_events(questions, store, since=since)              # sources "search" and "feedback"
    report = find_gaps(questions, cached_search(engine), articles=article_questions(manifest))

Events come through the readers of :mod:`search.events.stats`: failed searches and searches
nobody clicked (source ``search``), searches followed by a "no" vote and "no" votes with a
comment (source ``feedback``). With a period, the readers are asked twice (from the start of
the baseline and from the start of the period): the difference is the baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from kb_helpcenter.search.engine.searcher import Engine
from kb_helpcenter.search.events.schema import parse_stamp
from kb_helpcenter.search.events.stats import (
    QuestionCount,
    failed_searches,
    feedback_per_article,
    no_votes,
    searches_then_no,
    sent_links_per_article,
    unclicked_searches,
)
from kb_helpcenter.search.events.store import EventStore
from kb_helpcenter.search.gaps.find import QuestionSet
from kb_helpcenter.search.gaps.model import ArticleCount, Match, SearchFn
from kb_helpcenter.search.gaps.questions import ParsedQuestions
from kb_helpcenter.search.manifest import Manifest
from kb_helpcenter.search.privacy import mask

HITS = 3


def add_export(questions: QuestionSet, parsed: ParsedQuestions) -> int:
    """Add an export's questions as ``tickets``; return how many had words to analyse."""
    return sum(questions.add(q.text, source="tickets", at=q.created_at) for q in parsed.questions)


def _first_seen(store: EventStore, since: datetime | None) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for event in store.iter_events("queries", since=since):
        first.setdefault(event["normalized"], parse_stamp(event["ts"]))
    return first


def add_events(questions: QuestionSet, store: EventStore) -> dict[str, int]:
    """Add the event log's unanswered questions for the set's period (and its baseline);
    return how many of each kind were added."""
    since = questions.since
    baseline = None if since is None else since - (questions.now - since)
    first = _first_seen(store, baseline)
    before = since - timedelta(microseconds=1) if since is not None else None
    added = {"failed_searches": 0, "unclicked_searches": 0, "searches_then_no": 0, "no_comments": 0}
    for kind, reader in (("failed_searches", failed_searches), ("unclicked_searches", unclicked_searches)):
        current = reader(store, since=since)
        added[kind] = sum(g.count for g in current)
        for group in current:
            questions.add(mask(group.text), source="search", at=parse_stamp(group.last_ts), count=group.count,
                          first=first.get(group.normalized))
        if since is not None:
            _add_baseline(questions, reader(store, since=baseline), current, "search", before)
    for row in searches_then_no(store, since=baseline):
        at = parse_stamp(row["ts"])
        questions.add(mask(row["text"]), source="feedback", at=at)
        added["searches_then_no"] += since is None or at >= since
    for row in no_votes(store, since=baseline, with_comment=True):
        at = parse_stamp(row["ts"])
        questions.add(mask(" ".join(row["comment"].split())), source="feedback", at=at)
        added["no_comments"] += since is None or at >= since
    return added


def _add_baseline(questions: QuestionSet, everything: Iterable[QuestionCount], current: list[QuestionCount],
                  source: str, before: datetime | None) -> None:
    now = {g.normalized: g.count for g in current}
    for group in everything:
        extra = group.count - now.get(group.normalized, 0)
        if extra > 0:
            questions.add(mask(group.text), source=source, at=before, count=extra)


def article_signals(store: EventStore, titles: dict[str, str], *, since: datetime | None,
                    top: int = 10) -> tuple[tuple[ArticleCount, ...], tuple[ArticleCount, ...]]:
    """The articles with the most "no" votes and those operators send most, in the period."""
    votes = feedback_per_article(store, since=since)
    most_no = tuple(ArticleCount(a, titles.get(a, a), no, yes) for a, (yes, no) in votes.items() if no)[:top]
    sent = sent_links_per_article(store, since=since)
    most_sent = tuple(ArticleCount(a, titles.get(a, a), n) for a, n in sent.items())[:top]
    return most_no, most_sent


def cached_search(engine: Engine, *, limit: int = HITS) -> SearchFn:
    """The engine as :func:`search.gaps.find.find_gaps` calls it, answering each text once, with its
    lexical scores (``meaning=False``): :data:`search.gaps.model.CONFIDENT` is calibrated on them."""
    cache: dict[str, list[Match]] = {}

    def search(text: str) -> list[Match]:
        if text not in cache:
            cache[text] = [Match(h.id, h.title, h.score) for h in engine.search(text, limit=limit, meaning=False).hits]
        return cache[text]

    return search


def article_questions(manifest: Manifest) -> dict[str, list[str]]:
    """How each published article is asked already: its title and its aliases."""
    return {a.id: [a.title, *a.aliases] for a in manifest.articles}
