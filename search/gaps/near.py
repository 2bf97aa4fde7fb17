"""Near misses: weakly matched questions that are asked like an article's own questions.

An article's *profile* is how it is already asked: its title and aliases, and the questions
the engine answered with it confidently. A question the engine matched only weakly is a near
miss of one of its hits when it is close (cosine of IDF-weighted lemma sets) to that hit's
profile: the article is the answer, customers just used other words, and an alias would fix it.
A weakly matched question far from every hit's profile is about something else: a candidate for
a new article.

    >>> profiles = Profiles(idf)
    >>> profiles.add("refund", ("refund", "status"))
    >>> profiles.nearest(("refund", "see", "status"), ["refund", "cancel"])
    ('refund', 0.81)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Vector = dict[str, float]


def idf_of(documents: Iterable[Sequence[str]]) -> dict[str, float]:
    """Smoothed IDF of each term over ``documents`` (term tuples)."""
    df: dict[str, int] = {}
    n = 0
    for terms in documents:
        n += 1
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    return {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}


def unit(terms: Sequence[str], idf: dict[str, float]) -> Vector:
    """The IDF-weighted binary vector of ``terms``, of length 1 (unknown terms weigh most)."""
    top = max(idf.values(), default=1.0)
    v = {t: idf.get(t, top) for t in set(terms)}
    norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
    return {t: w / norm for t, w in v.items()}


class Profiles:
    """The profile of each article: the normalised sum of its questions' vectors."""

    def __init__(self, idf: dict[str, float]) -> None:
        self.idf = idf
        self._sums: dict[str, Vector] = {}
        self._norms: dict[str, float] = {}

    def add(self, article_id: str, terms: Sequence[str], weight: float = 1.0) -> None:
        """Count one more way ``article_id`` is asked."""
        if not terms:
            return
        total = self._sums.setdefault(article_id, {})
        for t, w in unit(terms, self.idf).items():
            total[t] = total.get(t, 0.0) + weight * w
        self._norms.pop(article_id, None)

    def similarity(self, terms: Sequence[str], article_id: str) -> float:
        """Cosine between a question and an article's profile (0 without a profile)."""
        total = self._sums.get(article_id)
        if not total or not terms:
            return 0.0
        norm = self._norms.get(article_id)
        if norm is None:
            norm = self._norms[article_id] = math.sqrt(sum(w * w for w in total.values())) or 1.0
        v = unit(terms, self.idf)
        return sum(w * total.get(t, 0.0) for t, w in v.items()) / norm

    def nearest_vector(self, v: Vector, article_ids: Sequence[str]) -> tuple[str | None, float]:
        """Like :meth:`nearest` for a unit vector (say, a topic's centroid)."""
        best: tuple[str | None, float] = (None, 0.0)
        for article_id in article_ids:
            total = self._sums.get(article_id)
            if not total:
                continue
            norm = math.sqrt(sum(w * w for w in total.values())) or 1.0
            cos = sum(w * total.get(t, 0.0) for t, w in v.items()) / norm
            if cos > best[1]:
                best = (article_id, round(cos, 4))
        return best

    def nearest(self, terms: Sequence[str], article_ids: Sequence[str]) -> tuple[str | None, float]:
        """The article among ``article_ids`` whose profile is closest, and the cosine."""
        best: tuple[str | None, float] = (None, 0.0)
        for article_id in article_ids:
            cos = self.similarity(terms, article_id)
            if cos > best[1]:
                best = (article_id, round(cos, 4))
        return best
