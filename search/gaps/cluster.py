"""Topics among unanswered questions: TF-IDF over lemmas, cosine similarity, leader clustering.

    >>> cluster([(("карта", "прийти"), 5), (("карта", "прийти", "долго"), 2), (("вернуть", "товар"), 1)])
    Clustering(labels=[0, 0, 1], ...)

Each distinct question is a vector of its lemmas weighted by IDF (over the distinct questions
being clustered) and normalised to length 1; questions are short, so a lemma counts once. The
clustering is one pass of *leader clustering* followed by a few rounds of centroid reassignment
(k-means with the number of clusters found by the first pass, not given):

1. questions in a fixed order, most asked first (then by text), each join the most similar
   existing topic when the cosine with its centroid reaches ``threshold``, else found one;
2. every question is then reassigned to its most similar centroid (or alone, below
   ``threshold``), and centroids recomputed, ``rounds`` times.

Why this and not agglomerative clustering or HDBSCAN: the cost is linear in the number of
distinct questions times the topics that share a rare word with each (an inverted index over
centroid terms, looked up only by each question's ``probe`` rarest lemmas), memory is linear,
no pairwise matrix; the result is deterministic (the order is fixed, ties break by index); and
the number of topics is not a parameter. On the Banking77 gap benchmark it separates
the left-out intents as well as the threshold allows (see ``bench/gaps_bench.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Vector = dict[str, float]


@dataclass
class Clustering:
    """The outcome: a topic label per item (0, 1, ... in order of first appearance), the
    centroids, and each item's cosine with its own centroid."""

    labels: list[int]
    centroids: list[Vector] = field(repr=False)
    similarity: list[float] = field(repr=False)
    idf: dict[str, float] = field(default_factory=dict, repr=False)
    index: dict[str, list[int]] | None = field(default=None, repr=False)


def vectors(items: Sequence[tuple[Sequence[str], int]], features: Sequence[Vector] | None = None,
            feature_weight: float = 0.0) -> tuple[list[Vector], dict[str, float]]:
    """IDF-weighted, length-normalised binary vectors of the items' terms, and the IDF.

    With ``features`` (one extra sparse vector per item, e.g. the articles the engine found),
    each vector is the terms' part scaled by ``sqrt(1 - feature_weight)`` beside the features'
    part scaled by ``sqrt(feature_weight)``, so that a cosine is the weighted mean of the two.
    """
    df: dict[str, int] = {}
    for terms, _ in items:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1
    n = len(items)
    idf = {t: math.log((n + 1) / (d + 1)) + 1.0 for t, d in df.items()}
    out = []
    for terms, _ in items:
        v = {t: idf[t] for t in set(terms)}
        norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
        out.append({t: w / norm for t, w in v.items()})
    if features is not None and feature_weight > 0:
        for v, extra in zip(out, features, strict=True):
            norm = math.sqrt(sum(w * w for w in extra.values()))
            if not norm:
                continue
            own = math.sqrt(1 - feature_weight)
            for t in v:
                v[t] *= own
            scale = math.sqrt(feature_weight) / norm
            v.update({t: w * scale for t, w in extra.items()})
    return out, idf


def cosine(v: Vector, centroid: Vector, norm: float) -> float:
    """Cosine of a unit vector ``v`` and a centroid of length ``norm``."""
    if not norm:
        return 0.0
    if len(v) > len(centroid):
        return sum(w * v.get(t, 0.0) for t, w in centroid.items()) / norm
    return sum(w * centroid.get(t, 0.0) for t, w in v.items()) / norm


def _probe_terms(v: Vector, probe: int) -> list[str]:
    return [t for t, _ in sorted(v.items(), key=lambda tw: (-tw[1], tw[0]))[:probe]]


class _Centroids:
    """Centroid sums with their norms and an inverted index from term to topic."""

    def __init__(self) -> None:
        self.sums: list[Vector] = []
        self.norms2: list[float] = []
        self.index: dict[str, list[int]] = {}

    def new(self, v: Vector, weight: float) -> int:
        k = len(self.sums)
        self.sums.append({})
        self.norms2.append(0.0)
        self.add(k, v, weight)
        return k

    def add(self, k: int, v: Vector, weight: float) -> None:
        c = self.sums[k]
        dot = sum(w * c.get(t, 0.0) for t, w in v.items())
        self.norms2[k] += 2 * weight * dot + weight * weight  # |v| = 1
        for t, w in v.items():
            if t not in c:
                self.index.setdefault(t, []).append(k)
            c[t] = c.get(t, 0.0) + weight * w

    def best(self, v: Vector, probe: int, alive: Sequence[bool] | None = None) -> tuple[int, float]:
        """The most similar topic sharing one of ``v``'s rarest terms: ``(topic, cosine)``,
        ``(-1, 0.0)`` when none does."""
        seen: set[int] = set()
        best_k, best_cos = -1, 0.0
        for t in _probe_terms(v, probe):
            for k in self.index.get(t, ()):
                if k in seen or (alive is not None and not alive[k]):
                    continue
                seen.add(k)
                cos = cosine(v, self.sums[k], math.sqrt(max(self.norms2[k], 0.0)))
                if cos > best_cos + 1e-12 or (abs(cos - best_cos) <= 1e-12 and best_k >= 0 and k < best_k):
                    best_k, best_cos = k, cos
        return best_k, best_cos


def _weight(count: int) -> float:
    # A question asked 1,000 times pulls its topic's centroid, but not 1,000 times harder.
    return 1.0 + math.log(max(count, 1))


def cluster(items: Sequence[tuple[Sequence[str], int]], *, threshold: float = 0.4, rounds: int = 3,
            probe: int = 3, features: Sequence[Vector] | None = None, feature_weight: float = 0.0) -> Clustering:
    """Topics among ``items`` (``(terms, count)`` per distinct question); see the module doc."""
    vecs, idf = vectors(items, features, feature_weight)
    counts = [c for _, c in items]
    order = sorted(range(len(items)), key=lambda i: (-counts[i], sorted(items[i][0])))
    cents = _Centroids()
    labels = [-1] * len(items)
    for i in order:
        if not vecs[i]:
            labels[i] = cents.new({}, 0.0)
            continue
        k, cos = cents.best(vecs[i], probe)
        if k >= 0 and cos >= threshold:
            cents.add(k, vecs[i], _weight(counts[i]))
            labels[i] = k
        else:
            labels[i] = cents.new(vecs[i], _weight(counts[i]))
    for _ in range(rounds):
        cents, labels, changed = _reassign(vecs, counts, order, labels, cents, threshold, probe)
        if not changed:
            break
    result = _finish(vecs, order, labels, cents)
    result.idf = idf
    return result


def _reassign(vecs: list[Vector], counts: list[int], order: list[int], labels: list[int], cents: _Centroids,
              threshold: float, probe: int) -> tuple[_Centroids, list[int], bool]:
    """One round: each item to its most similar current centroid; new centroids from that."""
    alive = [False] * len(cents.sums)
    for k in labels:
        alive[k] = True
    new_labels = []
    for i, v in enumerate(vecs):
        own = labels[i]
        own_cos = cosine(v, cents.sums[own], math.sqrt(max(cents.norms2[own], 0.0))) if v else 0.0
        k, cos = cents.best(v, probe, alive) if v else (-1, 0.0)
        new_labels.append(k if k >= 0 and cos >= threshold and cos > own_cos + 1e-9 else own)
    fresh = _Centroids()
    remap: dict[int, int] = {}
    out = [-1] * len(vecs)
    for i in order:  # rebuild in the fixed order so topic numbers stay deterministic
        old = new_labels[i]
        if old not in remap:
            remap[old] = fresh.new(vecs[i], _weight(counts[i]))
        else:
            fresh.add(remap[old], vecs[i], _weight(counts[i]))
        out[i] = remap[old]
    changed = any(a != b for a, b in zip(labels, new_labels, strict=True))
    return fresh, out, changed


def _finish(vecs: list[Vector], order: list[int], labels: list[int], cents: _Centroids) -> Clustering:
    """Labels renumbered 0, 1, ... in the fixed order, unit centroids, member similarities."""
    remap: dict[int, int] = {}
    for i in order:
        remap.setdefault(labels[i], len(remap))
    centroids: list[Vector] = [{} for _ in remap]
    for old, new in remap.items():
        norm = math.sqrt(max(cents.norms2[old], 0.0)) or 1.0
        centroids[new] = {t: w / norm for t, w in cents.sums[old].items()}
    final = [remap[k] for k in labels]
    similarity = [cosine(v, centroids[final[i]], 1.0) for i, v in enumerate(vecs)]
    return Clustering(final, centroids, similarity)


def assign(clustering: Clustering, terms: Sequence[str], *, threshold: float, probe: int = 3) -> int | None:
    """The topic a question outside the clustered set (say, one from the baseline period) would
    join: the most similar centroid at ``threshold`` or above, else ``None``."""
    if not terms:
        return None
    top = max(clustering.idf.values(), default=1.0)
    v = {t: clustering.idf.get(t, top) for t in set(terms)}
    norm = math.sqrt(sum(w * w for w in v.values())) or 1.0
    v = {t: w / norm for t, w in v.items()}
    if clustering.index is None:
        clustering.index = {}
        for k, c in enumerate(clustering.centroids):
            for t in c:
                clustering.index.setdefault(t, []).append(k)
    best, best_cos = None, threshold
    for k in sorted({k for t in _probe_terms(v, probe) for k in clustering.index.get(t, ())}):
        cos = cosine(v, clustering.centroids[k], 1.0)
        if cos > best_cos or (best is None and cos >= best_cos):
            best, best_cos = k, cos
    return best
