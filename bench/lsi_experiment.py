"""Latent semantic indexing (LSI) of the knowledge base itself as a re-ranking feature: an experiment.

    python bench/lsi_experiment.py

Russian has no sentence model here, but a help center's own pages say which words go together
("стоимость" with "тарификация", "снимок" with "резервная копия"). LSI learns that from the
corpus alone: TF-IDF over the articles' lemmas (title and aliases x3, headings and summary x2,
the first 2,000 words of the body), reduced to ``k`` dimensions by the eigenvectors of the
articles' Gram matrix (one ``eigh`` of n x n: no scipy). A query is projected the same way, and
each of the engine's top 50 candidates is re-scored ``score + w * cosine``. ``w`` and ``k`` are
picked on VK half A (``bench/vk_study.py``'s hash split) and checked on half B; the sample's
groups must stay at top-1 >= 0.90. Nothing in ``search/`` is changed.

Measured 2026-11-24: it only loses. At every k (50-400) any weight > 0 costs VK half A 0 to 5
points top-1 and half B 2 to 5 (all VK 0.351 -> 0.289-0.342), and from w = 0.3 the sample's
worst group falls below 0.90. The corpus's co-occurrence pulls the long, many-topic pages
closer to every query, which is the engine's failure on VK already, not its cure.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import Query, sample_kb, sample_queries, vk_cloud  # noqa: E402
from vk_study import build_lexical, half, rank_of  # noqa: E402

import search.engine as engine_mod  # noqa: E402
from search.analysis import analyze  # noqa: E402
from search.engine import Engine  # noqa: E402

DEPTH = 50
BODY_WORDS = 2000
KS = (50, 100, 200, 400)
WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def doc_terms(record) -> Counter:
    terms: Counter = Counter()
    for text, times in ((record.title, 3), ("\n".join(record.aliases), 3),
                        ("\n".join(h.title for h in record.headings), 2), (record.summary, 2),
                        (" ".join(record.body.split()[:BODY_WORDS]), 1)):
        for t in analyze(text):
            terms[t] += times
    return terms


class Lsi:
    def __init__(self, manifest, k: int):
        bags = [doc_terms(a) for a in manifest.articles]
        df = Counter(t for bag in bags for t in bag)
        self.vocab = {t: i for i, t in enumerate(sorted(t for t, n in df.items() if n >= 2))}
        n = len(bags)
        self.idf = np.zeros(len(self.vocab), dtype=np.float32)
        for t, i in self.vocab.items():
            self.idf[i] = math.log(n / df[t])
        x = np.zeros((n, len(self.vocab)), dtype=np.float32)
        for row, bag in enumerate(bags):
            for t, c in bag.items():
                i = self.vocab.get(t)
                if i is not None:
                    x[row, i] = (1 + math.log(c)) * self.idf[i]
        x /= np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-9, None)
        gram = x @ x.T
        values, vectors = np.linalg.eigh(gram)
        top = np.argsort(-values)[:k]
        values = np.clip(values[top], 1e-9, None)
        self.docs = vectors[:, top] * np.sqrt(values)  # = x @ V_k
        self.docs /= np.clip(np.linalg.norm(self.docs, axis=1, keepdims=True), 1e-9, None)
        self.project = (x.T @ vectors[:, top]) / np.sqrt(values)  # V_k: (vocab, k)
        self.row = {a.id: i for i, a in enumerate(manifest.articles)}

    def cosines(self, text: str, ids: list[str]) -> np.ndarray:
        q = np.zeros(len(self.vocab), dtype=np.float32)
        for t, c in Counter(analyze(text)).items():
            i = self.vocab.get(t)
            if i is not None:
                q[i] = (1 + math.log(c)) * self.idf[i]
        v = q @ self.project
        norm = np.linalg.norm(v)
        if norm == 0:
            return np.zeros(len(ids), dtype=np.float32)
        return self.docs[[self.row[i] for i in ids]] @ (v / norm)


def candidates(manifest, queries: list[Query], tmp: Path, name: str):
    build_lexical(manifest, tmp / name)
    engine = Engine.open(tmp / name)
    floor_was = engine_mod.MIN_RELATIVE_SCORE
    engine_mod.MIN_RELATIVE_SCORE = 0.0
    try:
        return [(q, [(h.id, h.score) for h in engine.search(q.text, limit=DEPTH).hits]) for q in queries]
    finally:
        engine_mod.MIN_RELATIVE_SCORE = floor_was


def ranks(prepared, cos, w: float, key) -> dict[str, list]:
    groups: dict[str, list] = {}
    for (q, hits), c in zip(prepared, cos, strict=True):
        scores = np.array([s for _, s in hits]) + w * c if hits else np.zeros(0)
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        r = rank_of([hits[i][0] for i in order][:10], q)
        groups.setdefault(key(q), []).append(r)
        groups.setdefault("all", []).append(r)
    return groups


def top1(rs: list) -> float:
    return sum(r == 0 for r in rs) / max(1, len(rs))


def top5(rs: list) -> float:
    return sum(r is not None and r < 5 for r in rs) / max(1, len(rs))


def main() -> int:
    vk, vk_queries = vk_cloud()
    sample, s_queries = sample_kb(), sample_queries()
    with tempfile.TemporaryDirectory() as tmp:
        vk_prep = candidates(vk, vk_queries, Path(tmp), "vk")
        s_prep = candidates(sample, s_queries, Path(tmp), "sample")
    results = []
    for k in KS:
        started = time.perf_counter()
        vk_lsi = Lsi(vk, k)
        build_s = time.perf_counter() - started
        s_lsi = Lsi(sample, min(k, len(sample.articles) - 1))
        vk_cos = [vk_lsi.cosines(q.text, [i for i, _ in hits]) if hits else np.zeros(0) for q, hits in vk_prep]
        s_cos = [s_lsi.cosines(q.text, [i for i, _ in hits]) if hits else np.zeros(0) for q, hits in s_prep]
        for w in WEIGHTS:
            v = ranks(vk_prep, vk_cos, w, half)
            s = ranks(s_prep, s_cos, w, lambda q: q.group)
            worst = min(top1(rs) for g, rs in s.items() if g != "all")
            results.append((k, w, top1(v["A"]), top1(v["B"]), top1(v["all"]), top5(v["all"]), worst, build_s))
    print(f"{'k':>4} {'w':>5} {'A top1':>7} {'B top1':>7} {'all top1':>8} {'all top5':>8} {'sample worst':>12}")
    for k, w, a, b, al, a5, worst, build_s in results:
        print(f"{k:4d} {w:5.2f} {a:7.3f} {b:7.3f} {al:8.3f} {a5:8.3f} {worst:12.3f}   (LSI build {build_s:.1f} s)")
    best = max((r for r in results if r[6] >= 0.90), key=lambda r: (r[2], -r[1]))
    print(f"picked on A: k={best[0]} w={best[1]} -> A {best[2]:.3f}, B {best[3]:.3f},"
          f" all {best[4]:.3f} / {best[5]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
