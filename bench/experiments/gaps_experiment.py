"""Banking77 gap detection, fast: every question embedded once and every seed's engine hits
cached, so a variant of the semantic gap analysis runs in seconds per seed.

    python bench/experiments/gaps_experiment.py [--seeds 6,7,8,9,10,11,12,13,14,15] [--why] [--set near_margin=0.12 ...]

The figures are those of ``gaps_bench.py --only banking77`` (same KB, tickets through the same
parser, same metrics). ``--why`` shows, for each
left-out intent that no top-10 gap found, where its questions went; ``--set`` overrides
:class:`search.gaps.model.GapSettings` fields (each ``--set`` given several values, comma-separated,
runs every combination). The caches live in
``bench/out/gaps-cache`` (derived data; delete to recompute). Tune on development seeds (6-15);
seeds 1-5 are the held-out check.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

# The repository (for search, generator) and bench/ (for the benchmarks' shared modules).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gaps_bench import (  # noqa: E402
    NOW,
    article_questions,
    banking_setup,
    banking_task,
    engine_search,
    gap_metrics,
    pools,
    write_tickets,
)
from search_corpora import REPO  # noqa: E402

from kb_helpcenter.search.gaps.find import QuestionSet, find_gaps  # noqa: E402
from kb_helpcenter.search.gaps.model import GapSettings, Match  # noqa: E402
from kb_helpcenter.search.gaps.questions import read_questions  # noqa: E402
from kb_helpcenter.search.meaning import minilm  # noqa: E402

CACHE = REPO / "bench" / "out" / "gaps-cache"


def cached_embed():
    """``embed`` for :func:`find_gaps` that encodes each text once, ever (kept on disk)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "vectors.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        data = np.load(path, allow_pickle=False)
        known = dict(zip(json.loads(str(data["texts"])), data["vectors"], strict=True))
    encoder = minilm.shared_encoder()

    def save() -> None:
        texts = sorted(known)
        np.savez(path, texts=json.dumps(texts), vectors=np.stack([known[t] for t in texts]))

    def embed(texts: list[str]) -> np.ndarray:
        new = sorted(set(texts) - known.keys())
        if new:
            for t, v in zip(new, encoder.encode(new), strict=True):
                known[t] = np.asarray(v, dtype=np.float32)
            save()
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    return embed


def cached_search(seed: int, texts: list[str]):
    """The seed's engine hits for every text, computed once (kept on disk)."""
    path = CACHE / f"hits-{seed}.json"
    if not path.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            engine, *_ = banking_setup(seed, Path(tmp))
            search = engine_search(engine)
            hits = {t: [[h.id, h.title, h.score] for h in search(t)] for t in sorted(set(texts))}
        path.write_text(json.dumps(hits))
    hits = json.loads(path.read_text())

    def search(text: str) -> list[Match]:
        if text not in hits:
            raise KeyError(f"no cached hits for {text!r}")
        return [Match(*h) for h in hits[text]]

    return search


def run(seed: int, settings: GapSettings, embed, why: bool = False) -> dict:
    missing, kept, gold = banking_task(seed)
    known = article_questions(kept)
    with tempfile.TemporaryDirectory() as tmp:  # through the real parser, as gaps_bench does
        write_tickets(Path(tmp) / "tickets.csv", [t for t, _ in gold])
        parsed = read_questions(Path(tmp) / "tickets.csv").questions
    search = cached_search(seed, [q.text for q in parsed])
    questions = QuestionSet(now=NOW)
    for q in parsed:
        questions.add(q.text, source="tickets", at=q.created_at)
    started = time.perf_counter()
    report = find_gaps(questions, search, articles=known, settings=settings, embed=embed)
    metrics = gap_metrics(report, gold, missing)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    metrics["pools"] = pools(report, gold, missing)
    if why:
        explain(report, gold, missing, metrics)
    return metrics


def explain(report, gold, missing, metrics) -> None:
    intent = {}
    for text, name in gold:
        intent.setdefault(text, name)
    found = {r["majority"] for r in metrics["top"] if r["missing"]}
    print("  top 10:", [(r["size"], r["majority"][:22], r["share"]) for r in metrics["top"]])
    for name in missing:
        if name in found:
            continue
        where = Counter()
        for gap in report.gaps:
            n = sum(q.count for q in gap.questions if intent.get(q.text) == name)
            if n:
                where[(gap.kind[:3], gap.rank, gap.size)] += n
        total = sum(1 for _, i in gold if i == name)
        print(f"  missed {name}: {total} questions; in gaps {sorted(where.items(), key=lambda kv: -kv[1])[:6]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="6,7,8,9,10,11,12,13,14,15")
    parser.add_argument("--why", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=V[,V...]")
    args = parser.parse_args(argv)
    ok, reason = minilm.available()
    if not ok:
        print(f"gaps experiment skipped: {reason}")
        return 0
    grid: dict[str, list] = {}
    for item in args.set:
        name, _, values = item.partition("=")
        grid[name] = [json.loads(v) for v in values.split(",")]
    embed = cached_embed()
    seeds = [int(s) for s in args.seeds.split(",")]
    for values in itertools.product(*grid.values()):
        settings = GapSettings(**dict(zip(grid, values, strict=True)))
        rows = []
        for seed in seeds:
            m = run(seed, settings, embed, args.why)
            rows.append(m)
            if args.why or not grid:
                print(f"seed {seed}: recall {m['recall']:.2f} precision {m['precision']:.2f} "
                      f"purity {m['purity']:.2f} ({m['seconds']} s) {m['pools']}", flush=True)
        print(f"{dict(zip(grid, values, strict=True))}: recall {[r['recall'] for r in rows]} "
              f"mean {np.mean([r['recall'] for r in rows]):.3f}; precision mean "
              f"{np.mean([r['precision'] for r in rows]):.3f} min {min(r['precision'] for r in rows):.2f}; "
              f"purity {np.mean([r['purity'] for r in rows]):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
