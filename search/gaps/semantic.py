"""Near misses and topics by sentence embeddings: the semantic method of :mod:`search.gaps.find`.

Used when :func:`search.gaps.method.choose_method` says so. The engine still decides what is
answered (a confident top hit); the questions it does not answer confidently are embedded
once, and then:

1. **near miss** — a question whose embedding is close to one of the ways an article is already
   asked (its title and aliases: :class:`References`) is asked for that article in other
   words, and an alias would fix it. "Close" is relative: at least
   :data:`search.gaps.model.NEAR_SEMANTIC`, and no more than :data:`search.gaps.model.NEAR_MARGIN` below
   the question's mean cosine with its closest fellow unanswered questions (:func:`fellows`).
   A question of a missing topic is surrounded by its fellows much more closely than by any
   article; one asked in an article's other words is not (on Banking77 this tells them apart
   far better than the cosine alone: AUC 0.84 against 0.72). The questions the engine answered
   confidently are *not* added to the articles' ways of asking, as the lexical profiles do:
   the engine confidently answers some questions of missing topics with a wrong article, and
   those then pull their fellows into near misses (AUC 0.72 -> 0.58-0.63);
2. **topics** — the rest are clustered on their embeddings (:mod:`search.gaps.cluster_dense`), so the
   many wordings of one missing intent form one topic instead of a topic per shared word;
3. **near-miss topic** — a topic of several questions whose centroid is close
   (:data:`search.gaps.model.NEAR_TOPIC_SEMANTIC`) to an article's ways of asking is a near miss too;
4. questions of the baseline period only are embedded too, and join the topic they would have.

Articles are compared with questions only when their titles and aliases are mostly
Latin-script (:data:`search.gaps.method.LATIN`): an English question against a Russian title
is noise, and embedding ten thousand titles for nothing costs a minute. Then only the
questions' own topics remain, which is still what the encoder is good at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb_helpcenter.search.gaps.cluster_dense import assign_dense, cluster_dense
from kb_helpcenter.search.gaps.method import LATIN, Embed
from kb_helpcenter.search.gaps.model import Distinct, GapSettings, Match, Progress
from kb_helpcenter.search.meaning.vectors import latin_share

CHUNK = 1024
EMBED_BATCH = 2000
#: Fellows of a question are sought among at most this many questions (see :func:`fellows`).
FELLOWS_CAP = 10_000


def unit_rows(vectors: Any) -> Any:
    """``vectors`` as float32 rows of length 1 (an encoder's output already is; a sum is not)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class References:
    """Each article as the embeddings of the ways it is asked; a text is as close to an article
    as to its closest way of being asked."""

    def __init__(self, ids: Sequence[str], owners: Sequence[int], vectors: Any) -> None:
        self.ids = list(ids)
        self.owners = np.asarray(owners, dtype=np.int64)
        self.vectors = unit_rows(vectors) if len(self.owners) else np.zeros((0, 1), dtype=np.float32)
        # owners come grouped by article (see build): each article's rows start here.
        self.starts = np.searchsorted(self.owners, np.arange(len(self.ids)))

    @classmethod
    def build(cls, asked: Mapping[str, Sequence[str]], embed: Embed) -> References:
        """Embed every way each article is asked (``{article id: texts}``), each text once."""
        ids = sorted(a for a, texts in asked.items() if texts)
        texts = sorted({t for a in ids for t in asked[a]})
        if not texts:
            return cls([], [], np.zeros((0, 1), dtype=np.float32))
        row = {t: i for i, t in enumerate(texts)}
        vectors = np.asarray(embed(texts))
        owners = [k for k, a in enumerate(ids) for _ in dict.fromkeys(asked[a])]
        rows = [row[t] for a in ids for t in dict.fromkeys(asked[a])]
        return cls(ids, owners, vectors[rows])

    def nearest(self, vectors: Any) -> list[tuple[str | None, float]]:
        """For each row of ``vectors``: the article with the closest way of asking, and that
        cosine (``(None, 0.0)`` without references)."""
        if not self.ids:
            return [(None, 0.0)] * len(vectors)
        out: list[tuple[str | None, float]] = []
        vectors = unit_rows(vectors)
        for start in range(0, len(vectors), CHUNK):
            per_article = np.maximum.reduceat(vectors[start:start + CHUNK] @ self.vectors.T, self.starts, axis=1)
            best = np.argmax(per_article, axis=1)
            out += [(self.ids[int(b)], round(float(per_article[r, b]), 4)) for r, b in enumerate(best)]
        return out

    def similarity(self, vectors: Any, article_id: str) -> list[float]:
        """Each row's cosine with the closest way ``article_id`` is asked (0 when unknown)."""
        if article_id not in self.ids:
            return [0.0] * len(vectors)
        k = self.ids.index(article_id)
        end = self.starts[k + 1] if k + 1 < len(self.ids) else len(self.owners)
        sims = unit_rows(vectors) @ self.vectors[self.starts[k]:end].T
        return [round(float(s), 4) for s in sims.max(axis=1)]


@dataclass(frozen=True)
class Grouping:
    """What the semantic stages decided: topics of new articles and near misses per article,
    as indexes into the current questions, with each member's cosine to its topic or article."""

    topics: list[tuple[list[int], list[float], int | None]]  # members, cosines, baseline questions
    near: dict[str, list[tuple[int, float]]]


def embed_all(texts: Sequence[str], embed: Embed, progress: Progress | None = None) -> Any:
    """``embed(texts)`` in slices of :data:`EMBED_BATCH`, telling ``progress`` (stage ``embed``)."""
    parts = []
    for start in range(0, len(texts), EMBED_BATCH):
        if progress:
            progress("embed", start, len(texts))
        parts.append(np.asarray(embed(list(texts[start:start + EMBED_BATCH])), dtype=np.float32))
    if progress:
        progress("embed", len(texts), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)


def fellows(vectors: Any, k: int, *, cap: int = FELLOWS_CAP) -> Any:
    """Each row's mean cosine with its ``k`` most similar other rows: how closely its fellow
    questions surround it. Beyond ``cap`` rows, the fellows are sought among ``cap`` rows taken
    at even steps, and ``k`` shrinks in proportion (the same density), to bound the cost."""
    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=np.float32)
    sample = np.arange(n) if n <= cap else np.linspace(0, n - 1, cap).astype(np.int64)
    k = max(1, min(round(k * len(sample) / n), len(sample) - 1))
    pool = vectors[sample]
    out = np.zeros(n, dtype=np.float32)
    for start in range(0, n, CHUNK):
        sims = vectors[start:start + CHUNK] @ pool.T
        rows = np.arange(start, min(start + CHUNK, n))
        own = np.searchsorted(sample, rows)
        mine = (own < len(sample)) & (sample[np.minimum(own, len(sample) - 1)] == rows)
        sims[np.nonzero(mine)[0], own[mine]] = -1.0  # not its own fellow
        out[start:start + CHUNK] = np.sort(np.partition(sims, -k, axis=1)[:, -k:], axis=1).mean(axis=1)
    return out


def semantic_grouping(current: Sequence[Distinct], baseline: Sequence[Distinct], hits: Sequence[Sequence[Match]],
                      confident: Sequence[bool], articles: Mapping[str, Sequence[str]], embed: Embed,
                      settings: GapSettings, *, has_period: bool, progress: Progress | None = None) -> Grouping:
    """Near misses and topics of the questions not confidently answered (module docstring)."""
    weak = [i for i, ok in enumerate(confident) if not ok]
    vectors = embed_all([current[i].wording() for i in weak], embed, progress)
    titles = [t for texts in articles.values() for t in texts]
    refs = References([], [], np.zeros((0, 1), dtype=np.float32))
    if titles and latin_share(titles) >= LATIN:
        refs = References.build(articles, embed)
    near: dict[str, list[tuple[int, float]]] = {}
    pending: list[int] = []  # positions in weak
    closest = refs.nearest(vectors)
    fellow = fellows(vectors, settings.fellows) if refs.ids else np.zeros(len(weak))
    for position, (article_id, cos) in enumerate(closest):
        if (article_id is not None and cos >= settings.near_semantic
                and cos >= fellow[position] - settings.near_margin):
            near.setdefault(article_id, []).append((weak[position], cos))
        else:
            pending.append(position)
    clustered = [current[weak[p]] for p in pending]
    order = sorted(range(len(clustered)), key=lambda k: (-clustered[k].count, clustered[k].terms))
    clustering = cluster_dense(vectors[pending], [d.count for d in clustered], order,
                               threshold=settings.similarity_semantic, merge=settings.merge_semantic,
                               remerge=settings.remerge_semantic)
    members_of: dict[int, list[int]] = {}
    for p, label in enumerate(clustering.labels):
        members_of.setdefault(label, []).append(p)
    previous = _previous(members_of, clustered, baseline, clustering, embed, settings) if has_period else {}
    topic_near = refs.nearest(clustering.centroids) if len(members_of) else []
    topics = []
    for label, members in sorted(members_of.items()):
        indexes = [weak[pending[p]] for p in members]
        article_id, cos = topic_near[label]
        if article_id is not None and cos >= settings.near_topic_semantic and len(members) > 1:
            own = refs.similarity(vectors[[pending[p] for p in members]], article_id)
            near.setdefault(article_id, []).extend(zip(indexes, own, strict=True))
            continue
        topics.append((indexes, [clustering.similarity[p] for p in members], previous.get(label)))
    return Grouping(topics, near)


def _previous(members_of: dict[int, list[int]], clustered: Sequence[Distinct], baseline: Sequence[Distinct],
              clustering: Any, embed: Embed, settings: GapSettings) -> dict[int, int]:
    """Questions of the baseline period per topic: the members' own, plus baseline-only
    questions that would have joined the topic."""
    previous = {label: sum(clustered[p].previous for p in members) for label, members in members_of.items()}
    if baseline and members_of:
        vectors = embed([_text(d) for d in baseline])
        for d, label in zip(baseline, assign_dense(clustering, vectors, threshold=settings.similarity_semantic),
                            strict=True):
            if label is not None:
                previous[label] += d.previous
    return previous


def _text(d: Distinct) -> str:
    """What to embed for a question of the baseline period only: its words in their order (its
    wordings are kept for the period's questions alone)."""
    return d.wording() if d.wordings else " ".join(surface for surface, _ in d.units)
