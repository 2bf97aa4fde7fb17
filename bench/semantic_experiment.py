"""Banking77: do MiniLM sentence embeddings (search/semantic.py) lift kb's lexical ranking?

    python bench/semantic_experiment.py [--max-queries N] [--seed 0]

Each article's title and aliases are embedded once. For a query, kb's engine gives its top K
candidates (K = 20, 50); each is re-scored by ``alpha * engine_score / best_engine_score +
(1 - alpha) * max cosine(query, article's texts)``. "union" also lets the semantic top K in
(engine score 0). "semantic" is pure kNN over all titles and aliases (max cosine per article).
The queries are shuffled (seeded) and halved: alpha is picked on half A (top-1, then MRR)
and reported on half B. Writes bench/out/semantic-banking77.json. Needs the optional
``semantic`` extra (see pyproject.toml).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import REPO, banking77  # noqa: E402

from search import semantic  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.index import build_index  # noqa: E402

OUT = REPO / "bench" / "out"
ALPHAS = [round(a * 0.1, 1) for a in range(11)]
KS = (20, 50)


def scores(ranks: list[int | None]) -> dict:
    """top-1, top-5 and MRR@10 of 0-based ranks (None: not in the list)."""
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "top1": sum(1 for r in ranks if r == 0) / n,
        "top5": sum(1 for r in ranks if r is not None and r < 5) / n,
        "mrr10": sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n,
    }


def rank_of(ids: list[str], relevant: frozenset[str]) -> int | None:
    return next((i for i, d in enumerate(ids) if d in relevant), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-queries", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ok, reason = semantic.available()
    if not ok:
        print(f"semantic experiment unavailable: {reason}")
        return 2
    import numpy as np

    manifest, queries = banking77()
    rng = random.Random(args.seed)
    queries = list(queries)
    rng.shuffle(queries)
    if args.max_queries:
        queries = queries[: args.max_queries]
    half = len(queries) // 2
    print(f"banking77: {len(manifest.articles)} articles, {len(queries)} queries (halves {half}/{len(queries) - half})")

    started = time.perf_counter()
    enc = semantic.Encoder.load()
    load_s = time.perf_counter() - started

    # Index time: embed every article's title and aliases.
    texts, owner = [], []
    for j, a in enumerate(manifest.articles):
        for t in (a.title, *a.aliases):
            texts.append(t)
            owner.append(j)
    started = time.perf_counter()
    doc_vecs = enc.encode(texts)
    index_s = time.perf_counter() - started
    owner_arr = np.array(owner)
    ids = [a.id for a in manifest.articles]

    started = time.perf_counter()
    q_vecs = enc.encode([q.text for q in queries])
    query_s = time.perf_counter() - started
    one_at_a_time = semantic.speed(enc, [q.text for q in queries[:200]])

    # Max cosine per (query, article).
    sims = q_vecs @ doc_vecs.T  # (Q, texts)
    per_article = np.full((len(queries), len(ids)), -1.0, dtype=np.float32)
    for j in range(len(ids)):
        per_article[:, j] = sims[:, owner_arr == j].max(axis=1)

    with tempfile.TemporaryDirectory() as tmp:
        build_index(manifest, Path(tmp) / "index")
        engine = Engine.open(Path(tmp) / "index")
        started = time.perf_counter()
        lexical = [[(h.id, h.score) for h in engine.search(q.text, limit=max(KS)).hits] for q in queries]
        engine_ms = 1000 * (time.perf_counter() - started) / max(1, len(queries))

    col = {d: j for j, d in enumerate(ids)}
    halves = {"A": range(0, half), "B": range(half, len(queries))}
    systems: dict[str, list[int | None]] = {}
    systems["kb"] = [rank_of([d for d, _ in lexical[i]], q.relevant) for i, q in enumerate(queries)]
    sem_order = np.argsort(-per_article, axis=1)[:, :10]
    systems["semantic"] = [rank_of([ids[j] for j in sem_order[i]], q.relevant) for i, q in enumerate(queries)]
    for k in KS:
        for mode in ("rerank", "union"):
            for alpha in ALPHAS:
                ranks = []
                for i, q in enumerate(queries):
                    cands = lexical[i][:k]
                    best = cands[0][1] if cands and cands[0][1] > 0 else 1.0
                    lex = {d: s / best for d, s in cands}
                    pool = set(lex)
                    if mode == "union":
                        pool |= {ids[j] for j in np.argsort(-per_article[i])[:k]}
                    scored = sorted(
                        pool, key=lambda d: -(alpha * lex.get(d, 0.0) + (1 - alpha) * per_article[i, col[d]])
                    )
                    ranks.append(rank_of(scored[:10], q.relevant))
                systems[f"{mode} K={k} a={alpha}"] = ranks

    table = {
        name: {h: scores([ranks[i] for i in rng_]) for h, rng_ in halves.items()} for name, ranks in systems.items()
    }
    for name, ranks in systems.items():
        table[name]["all"] = scores(ranks)

    print(f"\n  {'system':24} {'A top1':>7} {'A top5':>7} {'A mrr':>7} {'B top1':>7} {'B top5':>7} {'B mrr':>7}")
    for name, row in table.items():
        a, b = row["A"], row["B"]
        print(
            f"  {name:24} {a['top1']:7.3f} {a['top5']:7.3f} {a['mrr10']:7.3f}"
            f" {b['top1']:7.3f} {b['top5']:7.3f} {b['mrr10']:7.3f}"
        )
    picks = {}
    for k in KS:
        for mode in ("rerank", "union"):
            names = [f"{mode} K={k} a={a}" for a in ALPHAS]
            best = max(names, key=lambda n: (table[n]["A"]["top1"], table[n]["A"]["mrr10"]))
            picks[f"{mode} K={k}"] = {"picked_on_A": best, "B": table[best]["B"]}
            b = table[best]["B"]
            print(f"  picked on A: {best:24} -> B top1 {b['top1']:.3f} top5 {b['top5']:.3f} mrr10 {b['mrr10']:.3f}")
    speed = {
        "model_load_s": load_s,
        "index_texts": len(texts),
        "index_ms_per_article": 1000 * index_s / len(ids),
        "index_sentences_per_s": len(texts) / index_s,
        "query_sentences_per_s_batched": len(queries) / query_s,
        "query_ms_single": one_at_a_time["ms_per_single"],
        "engine_ms_per_query": engine_ms,
    }
    print("\n  speed: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in speed.items()))
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / "semantic-banking77.json"
    out.write_text(json.dumps({"seed": args.seed, "speed": speed, "picks": picks, "table": table}, indent=1))
    print(f"  wrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
