"""Re-ranking the top candidates: nearest question and nearest heading.

BM25F does not know that an article's title and aliases are whole questions, or that a heading
names one answer inside a long article. For the few dozen candidates of the first stage:

- **nearest question**: the cosine (IDF-weighted, binary) between the query and the closest of
  the article's title and aliases — a customer's question that matches one way an article is
  asked gets that article, even when the body is long and about many things; questions learned
  from operators and customers (:mod:`search.events.learned`) count too, times their weight;
- **nearest heading**: the same against the article's headings, with less weight.

``score = bm25 / best_bm25 * coverage ** COVERAGE_POWER + QUESTION_WEIGHT * nearest_question +
HEADING_WEIGHT * nearest_heading``. Coverage (the IDF-weighted share of the query an article
matches) is kept as a knob but off: on the benchmarks BM25F's own sum already rewards articles
that match more of the query, and the extra factor lost top-1 (see bench/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb_helpcenter.search.engine.query import Slot

BM25_WEIGHT = 1.0
COVERAGE_POWER = 0.0
QUESTION_WEIGHT = 0.5
HEADING_WEIGHT = 0.25
ROOT_CREDIT = 0.5


@dataclass
class Candidate:
    """A first-stage hit: stored fields, BM25F score, bitmasks of the slots it matched (by the
    word itself, or only by its derivational root)."""

    fields: dict
    bm25: float
    slots: int
    roots_only: int = 0
    score: float = 0.0
    first_rank: int = 0  #: place in the first stage's order
    question: float = 0.0  #: nearest question, as re-ranking found it
    heading: float = 0.0  #: nearest heading
    meaning: float | None = None  #: sentence-vector cosine, when that stage ran


def rerank(candidates: Sequence[Candidate], slots: Sequence[Slot], idf: Callable[[str], float]) -> list[Candidate]:
    """Candidates by the combined score, best first (ties keep the BM25F order)."""
    if not candidates:
        return []
    weights = [_slot_weight(slot, idf) for slot in slots]
    total = sum(weights) or 1.0
    query_norm = math.sqrt(sum(w * w for w in weights)) or 1.0
    best_bm25 = max(c.bm25 for c in candidates) or 1.0
    for c in candidates:
        coverage = (
            sum(
                w * (1.0 if c.slots >> i & 1 else ROOT_CREDIT if c.roots_only >> i & 1 else 0.0)
                for i, w in enumerate(weights)
            )
            / total
        )
        nearest = max(
            (_cosine(slots, weights, query_norm, set(terms), idf) for terms in c.fields.get("alias_terms") or ()),
            default=0.0,
        )
        # questions learned from operators and customers count by their weight
        nearest = max(
            [nearest] + [weight * _cosine(slots, weights, query_norm, set(terms), idf)
                         for terms, weight in c.fields.get("learned_terms") or ()]
        )
        heading = max(
            (_cosine(slots, weights, query_norm, set(terms), idf) for terms in c.fields.get("heading_terms") or ()),
            default=0.0,
        )
        c.question, c.heading = nearest, heading
        c.score = (
            BM25_WEIGHT * c.bm25 / best_bm25 * coverage**COVERAGE_POWER
            + QUESTION_WEIGHT * nearest
            + HEADING_WEIGHT * heading
        )
    return sorted(candidates, key=lambda c: -c.score)


def _slot_weight(slot: Slot, idf: Callable[[str], float]) -> float:
    terms, _ = slot.alternatives[0]
    return max(idf(t) for t in terms)


def _cosine(
    slots: Sequence[Slot],
    weights: Sequence[float],
    query_norm: float,
    alias: set[str],
    idf: Callable[[str], float],
) -> float:
    if not alias:
        return 0.0
    dot = 0.0
    for slot, w in zip(slots, weights, strict=True):
        for terms, weight in slot.alternatives:
            if all(t in alias for t in terms):
                dot += w * w * weight
                break
    if not dot:
        return 0.0
    alias_norm = math.sqrt(sum(idf(t) ** 2 for t in alias))
    return dot / (query_norm * alias_norm)
