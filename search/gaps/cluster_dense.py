"""Topics among unanswered questions by their sentence embeddings: leader clustering in numpy.

The dense counterpart of :mod:`search.gaps.cluster`, for questions embedded by
:mod:`search.meaning.minilm` (unit rows). The same two steps, so the two methods differ only in what
"similar" means:

1. items in a fixed order (the caller's: most asked first, then by lemmas) each join the most
   similar existing topic when the cosine with its centroid reaches ``threshold``, else found
   one. Items are taken in blocks: the block's cosines with the topics that exist when it
   starts come from one matrix product, and each item then also checks the topics founded
   earlier in its own block -- deterministic, and fast enough for tens of thousands of items
   (a matrix-vector product per item would be memory-bound);
2. topics whose centroids are at least ``merge`` alike are joined (the first pass splits a
   topic when its first questions happen to be far apart);
3. every item is reassigned to its most similar centroid (when that reaches ``threshold``; its
   own topic judged without it), and centroids recomputed, ``rounds`` times (k-means with the
   number of topics found so far);
4. with ``remerge``, topics whose centroids the rounds brought at least that close are joined
   once more (two pieces of one topic would otherwise take two places in the report).

A question asked often pulls its topic's centroid harder, but logarithmically, as in the lexical
clustering. Nothing is random and ties break by topic number, so the same input gives the same
topics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BLOCK = 256
CHUNK = 2048


@dataclass
class DenseClustering:
    """A topic label per item (0, 1, ... in the fixed order), unit centroids, and each item's
    cosine with its own centroid."""

    labels: list[int]
    centroids: Any = field(repr=False)  # (topics, dim) float32, unit rows
    similarity: list[float] = field(repr=False)


def _weight(count: int) -> float:
    return 1.0 + math.log(max(count, 1))


def _leaders(vecs: Any, weights: Any, order: Sequence[int], threshold: float) -> Any:
    """The first pass: a topic per item, in blocks of :data:`BLOCK` items (see the module doc)."""
    n, dim = vecs.shape
    sums = np.zeros((n, dim), dtype=np.float32)
    k = 0
    labels = np.full(n, -1, dtype=np.int64)
    for start in range(0, len(order), BLOCK):
        block = list(order[start:start + BLOCK])
        known = k
        if known:
            norms = np.linalg.norm(sums[:known], axis=1)
            norms[norms == 0] = 1.0
            cos_known = (vecs[block] @ sums[:known].T) / norms
        for row, i in enumerate(block):
            best, best_cos = -1, -2.0
            if known:
                j = int(np.argmax(cos_known[row]))
                best, best_cos = j, float(cos_known[row, j])
            if k > known:
                fresh = sums[known:k]
                cos_fresh = (fresh @ vecs[i]) / np.maximum(np.linalg.norm(fresh, axis=1), 1e-12)
                j = int(np.argmax(cos_fresh))
                if float(cos_fresh[j]) > best_cos + 1e-7:
                    best, best_cos = known + j, float(cos_fresh[j])
            if best < 0 or best_cos < threshold:
                best = k
                k += 1
            sums[best] += weights[i] * vecs[i]
            labels[i] = best
    return labels


def _sums(vecs: Any, weights: Any, labels: Any, topics: int) -> Any:
    sums = np.zeros((topics, vecs.shape[1]), dtype=np.float32)
    np.add.at(sums, labels, vecs * weights[:, None])
    return sums


def _unit(sums: Any) -> Any:
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def _renumber(labels: Any, order: Sequence[int]) -> tuple[Any, int]:
    """Labels 0, 1, ... in order of first appearance in ``order``."""
    remap: dict[int, int] = {}
    for i in order:
        remap.setdefault(int(labels[i]), len(remap))
    return np.array([remap[int(x)] for x in labels], dtype=np.int64), len(remap)


def _moves(vecs: Any, weights: Any, labels: Any, sums: Any, threshold: float) -> Any:
    """Each item's best topic for one reassignment round. Its own topic is judged without it
    (leave-one-out): otherwise a question alone in its topic is always closest to itself and
    never joins the topic it belongs with."""
    centroids = _unit(sums)
    out = labels.copy()
    for start in range(0, len(vecs), CHUNK):
        rows = slice(start, start + CHUNK)
        v, own = vecs[rows], labels[rows]
        sims = v @ centroids.T
        rest = sums[own] - weights[rows, None] * v
        norms = np.linalg.norm(rest, axis=1)
        sims[np.arange(len(v)), own] = np.where(norms > 1e-6, np.einsum("ij,ij->i", rest, v) / np.maximum(norms, 1e-12),
                                                -1.0)
        best = np.argmax(sims, axis=1)
        ok = sims[np.arange(len(v)), best] >= threshold
        out[rows] = np.where(ok, best, own)
    return out


def best_topics(vecs: Any, centroids: Any) -> tuple[Any, Any]:
    """Each row's most similar centroid and the cosine, in chunks (ties: the lower topic)."""
    best = np.zeros(len(vecs), dtype=np.int64)
    cos = np.zeros(len(vecs), dtype=np.float32)
    for start in range(0, len(vecs), CHUNK):
        sims = vecs[start:start + CHUNK] @ centroids.T
        best[start:start + CHUNK] = np.argmax(sims, axis=1)
        cos[start:start + CHUNK] = sims[np.arange(len(sims)), best[start:start + CHUNK]]
    return best, cos


def _merged(labels: Any, centroids: Any, weights: Any, merge: float) -> Any:
    """Topics whose centroids are at least ``merge`` alike, joined: leader clustering of the
    centroids, heaviest topic first (one intent split by the first pass comes back together)."""
    mass = np.bincount(labels, weights=weights, minlength=len(centroids))
    order = sorted(range(len(centroids)), key=lambda k: (-mass[k], k))
    parent = _leaders(centroids, mass.astype(np.float32), order, merge)
    return parent[labels]


def cluster_dense(vecs: Any, counts: Sequence[int], order: Sequence[int], *, threshold: float,
                  rounds: int = 3, merge: float | None = None, remerge: float | None = None) -> DenseClustering:
    """Topics among ``vecs`` (unit rows, one per distinct question asked ``counts`` times),
    taken in ``order``; see the module docstring. ``remerge``: after the rounds, topics whose
    centroids are at least that alike are joined once more (the rounds move centroids, and two
    pieces of one topic can end up closer than ``merge`` only then)."""
    if not len(vecs):
        return DenseClustering([], np.zeros((0, vecs.shape[1]), dtype=np.float32), [])
    vecs = np.asarray(vecs, dtype=np.float32)
    weights = np.array([_weight(c) for c in counts], dtype=np.float32)
    labels, topics = _renumber(_leaders(vecs, weights, order, threshold), order)
    sums = _sums(vecs, weights, labels, topics)
    if merge is not None:
        labels, topics = _renumber(_merged(labels, _unit(sums), weights, merge), order)
        sums = _sums(vecs, weights, labels, topics)
    for _ in range(rounds):
        moved = _moves(vecs, weights, labels, sums, threshold)
        if (moved == labels).all():
            break
        labels, topics = _renumber(moved, order)
        sums = _sums(vecs, weights, labels, topics)
    if remerge is not None:
        labels, topics = _renumber(_merged(labels, _unit(sums), weights, remerge), order)
        sums = _sums(vecs, weights, labels, topics)
    centroids = _unit(sums)
    similarity = np.einsum("ij,ij->i", vecs, centroids[labels])
    return DenseClustering([int(x) for x in labels], centroids, [float(s) for s in similarity])


def assign_dense(clustering: DenseClustering, vecs: Any, *, threshold: float) -> list[int | None]:
    """The topic each of ``vecs`` (questions outside the clustered set, say from the baseline
    period) would join: the most similar centroid at ``threshold`` or above, else ``None``."""
    if not len(vecs) or not len(clustering.centroids):
        return [None] * len(vecs)
    best, cos = best_topics(np.asarray(vecs, dtype=np.float32), clustering.centroids)
    return [int(b) if c >= threshold else None for b, c in zip(best, cos, strict=True)]
