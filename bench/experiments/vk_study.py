"""Study kb's misses on the VK Cloud benchmark, on two fixed halves of the questions.

    python bench/experiments/vk_study.py [--misses A|B|all] [--index DIR]

The 114 dev questions are split deterministically by a hash of the question text: half A is
for tuning, half B only for checking that a change found on A holds on unseen questions.
Prints top-1 / top-5 / MRR@10 per half and, with ``--misses``, each miss: the question, the
expected page(s) and what ranked above them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

# The repository (for search, generator) and bench/ (for the benchmarks' shared modules).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import Query, half, vk_cloud  # noqa: E402

from kb_helpcenter.search.engine.index import build_index  # noqa: E402
from kb_helpcenter.search.engine.searcher import Engine  # noqa: E402


def build_lexical(manifest, path: Path, learned=()) -> None:
    """kb's index without sentence vectors (they re-rank English queries only)."""
    build_index(manifest, path, semantic=False, learned=learned)


def rank_of(ids: list[str], q: Query) -> int | None:
    return next((i for i, d in enumerate(ids) if d in q.relevant), None)


def scores(ranks: list[int | None]) -> str:
    n = len(ranks) or 1
    top1 = sum(r == 0 for r in ranks) / n
    top5 = sum(r is not None and r < 5 for r in ranks) / n
    mrr = sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n
    return f"n={len(ranks):3d} top1 {top1:.3f} top5 {top5:.3f} mrr10 {mrr:.3f}"


def evaluate(engine: Engine, queries: list[Query], *, misses: str | None = None, depth: int = 50) -> dict:
    out: dict[str, list] = {"A": [], "B": []}
    for q in queries:
        hits = engine.search(q.text, limit=depth).hits
        ids = [h.id for h in hits]
        r = rank_of(ids, q)
        out[half(q)].append(r)
        if misses in (half(q), "all") and r != 0:
            print(f"\n[{half(q)}] rank={r} Q: {q.text}")
            print(f"   expected: {sorted(q.relevant)}")
            for h in hits[: (min(r, 3) if r is not None else 3)]:
                print(f"   got {h.score:.3f} {h.id} | {h.title}")
            if r is not None:
                print(f"   exp {hits[r].score:.3f} {hits[r].id} | {hits[r].title}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", choices=["A", "B", "all"])
    args = parser.parse_args()
    manifest, queries = vk_cloud()
    with tempfile.TemporaryDirectory() as tmp:
        build_lexical(manifest, Path(tmp) / "index")
        engine = Engine.open(Path(tmp) / "index")
        out = evaluate(engine, queries, misses=args.misses)
    print(f"A   {scores(out['A'])}")
    print(f"B   {scores(out['B'])}")
    print(f"all {scores(out['A'] + out['B'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
