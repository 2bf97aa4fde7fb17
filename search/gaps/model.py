"""The gap analysis's vocabulary: its calibrated constants, settings, and what it returns.

Shared by every stage of :mod:`search.gaps` (:mod:`~search.gaps.find` classifies and ranks,
:mod:`~search.gaps.semantic` groups by embeddings, :mod:`~search.gaps.inputs` feeds it, the
report writers read it), so that no stage has to import another for a type. Pure data: this
module imports only :mod:`search.gaps.method` (for :class:`Method`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kb_helpcenter.search.gaps.method import MAX_EMBEDDED, Method

SOURCES = ("search", "tickets", "feedback")

#: The top hit's score from which a question counts as answered. Calibrated with
#: ``bench/gaps_bench.py --only calibrate`` on Banking77 with 10 intents left out: the lowest
#: score at which 90 % of the questions scoring at least that much got their own intent
#: (questions of left-out intents counting as wrong). See bench/README.md.
CONFIDENT = 1.3
#: The same for the semantic method (:mod:`search.gaps.semantic`): the same rule on Banking77
#: with the current engine gives 1.35-1.4 (``--only calibrate``, seeds 6-8), and 1.4 did best
#: on development seeds 6-15. Stricter than :data:`CONFIDENT` because the embeddings then sort
#: the wrongly "answered" questions between near misses and new topics far better than lemmas
#: do; the lexical method keeps its own threshold (and its results) unchanged.
CONFIDENT_SEMANTIC = 1.4
#: A weakly matched question is a near miss of a hit when its cosine with the hit's profile
#: (title, aliases, confidently answered questions) reaches this.
NEAR = 0.35
#: A topic of weakly matched questions is a near miss when its centroid's cosine with one of its
#: questions' hits' profile reaches this (a topic is a steadier sample than one short question).
NEAR_TOPIC = 0.4
#: Cosine with a topic's centroid needed to join the topic.
SIMILARITY = 0.5
#: With sentence embeddings (:mod:`search.gaps.semantic`), all cosines of all-MiniLM-L6-v2
#: embeddings, picked on Banking77 seeds 1-2 and confirmed on seeds 3-5, then checked by 5-fold
#: cross-validation over tuning seeds 1-40 (``bench/experiments/gaps_experiment.py --cv``, which
#: kept these and chose :data:`REMERGE_SEMANTIC`; held-out seeds 101-115 scored once;
#: bench/README.md): a weakly matched question is a near miss of an article when its cosine
#: with one of the article's ways of asking (title, aliases) reaches this ...
NEAR_SEMANTIC = 0.6
#: ... and is at most this much below its mean cosine with its ``FELLOWS`` closest fellow
#: unanswered questions: a question of a missing topic is much closer to its fellows than to
#: any article, one asked in an article's other words is not;
NEAR_MARGIN = 0.1
FELLOWS = 10
#: a question joins a topic when its cosine with the topic's centroid reaches this (0.7 did
#: better on Banking77, but splits a small topic asked in four unlike wordings: tests);
SIMILARITY_SEMANTIC = 0.65
#: two topics whose centroids' cosine reaches this are one;
MERGE_SEMANTIC = 0.8
#: and once more after the k-means rounds, which move the centroids: two pieces of one topic
#: that the rounds brought together are joined instead of taking two places in the report
#: (``None``: not again). Chosen in every fold of the cross-validation.
REMERGE_SEMANTIC: float | None = 0.8
#: a topic is a near miss when its centroid's cosine with an article's way of asking reaches this.
NEAR_TOPIC_SEMANTIC = 0.85


@dataclass(frozen=True)
class Match:
    """An article the engine found for a question, and its score."""

    id: str
    title: str
    score: float


SearchFn = Callable[[str], Sequence[Match]]
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GapSettings:
    """The knobs of :func:`find_gaps`; the defaults are the calibrated ones."""

    confident: float = CONFIDENT
    confident_semantic: float = CONFIDENT_SEMANTIC
    similarity: float = SIMILARITY
    half_life_days: float = 14.0
    fold_typos: bool = True
    near: float = NEAR
    near_topic: float = NEAR_TOPIC
    near_semantic: float = NEAR_SEMANTIC
    near_topic_semantic: float = NEAR_TOPIC_SEMANTIC
    similarity_semantic: float = SIMILARITY_SEMANTIC
    merge_semantic: float | None = MERGE_SEMANTIC
    remerge_semantic: float | None = REMERGE_SEMANTIC
    near_margin: float = NEAR_MARGIN
    fellows: int = FELLOWS
    max_embedded: int = MAX_EMBEDDED


@dataclass(frozen=True)
class GapQuestion:
    """One distinct question of a gap: its most frequent wording and how often it was asked."""

    text: str
    count: int


@dataclass(frozen=True)
class Gap:
    """One topic the knowledge base does not answer (or answers under other words)."""

    rank: int
    label: str  # the most representative question, as plain_question() words it
    kind: str  # "new-article" or "add-alias"
    size: int  # questions in the period, repeats counted
    weight: float  # size weighted towards recent questions: the ranking key
    top_terms: tuple[str, ...]
    sources: dict[str, int]
    first_seen: datetime | None
    last_seen: datetime | None
    previous: int | None  # questions of the baseline period in this topic (None: no baseline)
    nearest: Match | None  # the article most of its questions found, with their mean score
    questions: tuple[GapQuestion, ...]

    @property
    def trend(self) -> float | None:
        """Relative change against the baseline period (``None``: no baseline, or new)."""
        if not self.previous:
            return None
        return (self.size - self.previous) / self.previous


@dataclass(frozen=True)
class GapReport:
    """What :func:`find_gaps` found."""

    generated_at: datetime
    since: datetime | None
    totals: dict[str, int]
    gaps: tuple[Gap, ...]
    method: Method = Method("lexical", "lemma overlap")

    def new_articles(self) -> list[Gap]:
        """The gaps that need a new article, best first."""
        return [g for g in self.gaps if g.kind == "new-article"]

    def near_misses(self) -> list[Gap]:
        """The gaps an alias or a better title would fix, best first."""
        return [g for g in self.gaps if g.kind == "add-alias"]


@dataclass(frozen=True)
class ArticleCount:
    """An article and a count (of "no" votes, of operator-sent links)."""

    id: str
    title: str
    count: int
    extra: int = 0  # "yes" votes beside the "no" ones


@dataclass
class Distinct:
    """One distinct question: the questions with the same lemmas, counted, with their sources,
    first and last time asked, and their wordings (see :class:`search.gaps.find.QuestionSet`)."""

    units: tuple[tuple[str, str], ...]
    wordings: Counter[str] = field(default_factory=Counter)
    count: int = 0
    previous: int = 0
    weight: float = 0.0
    sources: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """The sorted distinct lemmas: what makes two questions the same one."""
        return tuple(sorted({t for _, t in self.units}))

    def wording(self) -> str:
        """The most frequent wording (the shortest, then the first in order, on a tie)."""
        return min(self.wordings, key=lambda w: (-self.wordings[w], len(w), w))

    def merge(self, other: Distinct) -> None:
        """Add ``other``'s askings to this one (typo folding joins two into one)."""
        self.wordings.update(other.wordings)
        self.count += other.count
        self.previous += other.previous
        self.weight += other.weight
        self.sources.update(other.sources)
        self.first = earliest(self.first, other.first)
        self.last = latest(self.last, other.last)


def earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two moments, either of which may be unknown."""
    return b if a is None else a if b is None else min(a, b)


def latest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two moments, either of which may be unknown."""
    return b if a is None else a if b is None else max(a, b)
