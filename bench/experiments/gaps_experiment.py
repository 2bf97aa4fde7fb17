"""Banking77 gap detection, fast: every question embedded once and every seed's engine hits
cached, so a variant of the semantic gap analysis runs in seconds per seed.

    python bench/experiments/gaps_experiment.py [--seeds 6-15] [--why] [--set near_margin=0.12 ...]
    python bench/experiments/gaps_experiment.py --cv [--seeds 1-40] [--folds 5] [--repeats 2] \
        [--set field=a,b ...] [--cell "field=a;other=b" ...]

The figures are those of ``gaps_bench.py --only banking77`` (same KB, tickets through the same
parser, same metrics). ``--why`` shows, for each
left-out intent that no top-10 gap found, where its questions went; ``--set`` overrides
:class:`search.gaps.model.GapSettings` fields (each ``--set`` given several values, comma-separated,
runs every combination), and prints the spread over the seeds (mean, median, worst, best).

``--cv`` chooses among cells (the defaults, the ``--set`` grid, each ``--cell``) by k-fold
cross-validation over the seeds (default: ``gaps_bench.TUNING_SEEDS``, 1-40): the seeds are
shuffled and cut into ``--folds`` folds, ``--repeats`` times; in each fold the cell with the best
:func:`objective` on the other folds is scored on this one, and the held-out figures of every
fold (mean and worst recall and precision, for the chosen cell and for the defaults) are
printed, then summed up. The held-out seeds of ``gaps_bench.HELD_OUT_SEEDS`` are refused: they
are scored once, by ``gaps_bench.py``, with the constants chosen. The caches live in
``bench/out/gaps-cache`` (derived data; delete to recompute); ``--cv`` keeps every cell's
figures there too, under a digest of ``search/gaps/*.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
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
    HELD_OUT_SEEDS,
    NOW,
    OUT,
    TUNING_SEEDS,
    article_questions,
    banking_setup,
    banking_task,
    engine_search,
    gap_metrics,
    pools,
    spread,
    spread_line,
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


_PREPARED: dict[int, tuple] = {}


def prepare(seed: int) -> tuple:
    """The seed's left-out intents, tickets with gold intents, articles, questions and cached
    search, read once per process (a grid or a cross-validation reuses them for every cell;
    :func:`find_gaps` does not change its :class:`QuestionSet`)."""
    if seed not in _PREPARED:
        missing, kept, gold = banking_task(seed)
        with tempfile.TemporaryDirectory() as tmp:  # through the real parser, as gaps_bench does
            write_tickets(Path(tmp) / "tickets.csv", [t for t, _ in gold])
            parsed = read_questions(Path(tmp) / "tickets.csv").questions
        questions = QuestionSet(now=NOW)
        for q in parsed:
            questions.add(q.text, source="tickets", at=q.created_at)
        _PREPARED[seed] = (missing, gold, article_questions(kept), questions,
                           cached_search(seed, [q.text for q in parsed]))
    return _PREPARED[seed]


def run(seed: int, settings: GapSettings, embed, why: bool = False) -> dict:
    missing, gold, known, questions, search = prepare(seed)
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


# ---- cross-validation over seeds ------------------------------------------------------------

PRECISION_FLOOR = 0.9  # a cell must keep the training seeds' mean precision at least this high


def objective(rows: list[dict]) -> tuple:
    """How a grid cell is ranked on the training seeds (higher is better): mean precision at
    least :data:`PRECISION_FLOOR` first, then mean recall, then the share of seeds with recall
    at least 0.8 (the worst seeds), then mean precision. No held-out seed takes part."""
    recall = float(np.mean([r["recall"] for r in rows]))
    precision = float(np.mean([r["precision"] for r in rows]))
    return (precision >= PRECISION_FLOOR - 1e-9, round(recall, 4),
            round(float(np.mean([r["recall"] >= 0.8 - 1e-9 for r in rows])), 4), round(precision, 4))


def folds(seeds: list[int], k: int, repeat: int) -> list[list[int]]:
    """``seeds`` shuffled by ``random.Random(repeat)`` and cut into ``k`` folds of near-equal size."""
    order = list(seeds)
    random.Random(repeat).shuffle(order)
    return [sorted(order[i::k]) for i in range(k)]


def source_key() -> str:
    """A digest of the gap code (search/gaps/*.py): cached cell results are valid while it holds."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "search" / "gaps").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cell_results(cells: list[dict], seeds: list[int], embed) -> dict[int, dict[int, dict]]:
    """Recall, precision and purity of every cell on every seed, kept on disk under the gap
    code's digest (:func:`source_key`), so a second grid reuses the cells the first one ran."""
    path = CACHE / f"cells-{source_key()}.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    out: dict[int, dict[int, dict]] = {}
    for c, cell in enumerate(cells):
        out[c] = {}
        started = time.perf_counter()
        for seed in seeds:
            key = f"{seed} {json.dumps(cell, sort_keys=True)}"
            if key not in known:
                m = run(seed, GapSettings(**cell), embed)
                known[key] = {k: m[k] for k in ("recall", "precision", "purity")}
            out[c][seed] = known[key]
        path.write_text(json.dumps(known))
        rows = list(out[c].values())
        print(f"cell {c} {cell}: recall mean {np.mean([r['recall'] for r in rows]):.3f} "
              f"min {min(r['recall'] for r in rows):.1f}; precision mean "
              f"{np.mean([r['precision'] for r in rows]):.3f} ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr, flush=True)
    return out


def cross_validate(cells: list[dict], seeds: list[int], embed, *, k: int, repeats: int) -> dict:
    """k-fold cross-validation over seeds, repeated: in each fold the cell with the best
    :func:`objective` on the other folds is scored on this one. Returns each fold's held-out
    figures for the chosen cell and for the defaults (``{}``), and how often each cell was chosen."""
    table = cell_results(cells, seeds, embed)
    default = next((c for c, cell in enumerate(cells) if not cell), None)
    out: dict = {"folds": [], "chosen": Counter()}
    for repeat in range(repeats):
        for f, held in enumerate(folds(seeds, k, repeat)):
            train = [s for s in seeds if s not in held]
            best = max(table, key=lambda c: (objective([table[c][s] for s in train]), -c))
            row = {"repeat": repeat, "fold": f, "seeds": held, "chosen": cells[best]}
            for name, c in (("chosen", best), ("defaults", default)):
                if c is None:
                    continue
                rows = [table[c][s] for s in held]
                row[name + "_figures"] = {"recall_mean": round(float(np.mean([r["recall"] for r in rows])), 3),
                                          "recall_worst": min(r["recall"] for r in rows),
                                          "precision_mean": round(float(np.mean([r["precision"] for r in rows])), 3),
                                          "precision_worst": min(r["precision"] for r in rows)}
            out["folds"].append(row)
            out["chosen"][json.dumps(cells[best], sort_keys=True)] += 1
            figures = " ".join(f"{n}: recall mean {row[n + '_figures']['recall_mean']:.2f} worst "
                               f"{row[n + '_figures']['recall_worst']:.1f}, precision mean "
                               f"{row[n + '_figures']['precision_mean']:.2f} worst "
                               f"{row[n + '_figures']['precision_worst']:.1f};"
                               for n in ("chosen", "defaults") if n + "_figures" in row)
            print(f"repeat {repeat} fold {f} held-out {held}: chose {cells[best]}; {figures}", flush=True)
    for name in ("chosen", "defaults"):
        rows = [r[name + "_figures"] for r in out["folds"] if name + "_figures" in r]
        if rows:
            means = [r["recall_mean"] for r in rows]
            print(f"{name}, over {len(rows)} held-out folds: recall mean of means {np.mean(means):.3f} "
                  f"(folds {min(means):.2f}-{max(means):.2f}), worst seed {min(r['recall_worst'] for r in rows):.1f}; "
                  f"precision mean {np.mean([r['precision_mean'] for r in rows]):.3f}, worst seed "
                  f"{min(r['precision_worst'] for r in rows):.1f}", flush=True)
    print("cells chosen:", dict(out["chosen"]), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", help="comma-separated or A-B (default: 6-15; with --cv, the tuning "
                        f"seeds {TUNING_SEEDS[0]}-{TUNING_SEEDS[-1]})")
    parser.add_argument("--why", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=V[,V...]")
    parser.add_argument("--cell", action="append", default=[], metavar="FIELD=V[;FIELD=V...]",
                        help="with --cv: one more cell (several fields set together), besides the --set grid")
    parser.add_argument("--cv", action="store_true",
                        help="cross-validate the --set grid (and the defaults) over the seeds")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
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
    seeds = parse_seeds(args.seeds) if args.seeds else list(TUNING_SEEDS if args.cv else range(6, 16))
    if args.cv:
        if set(seeds) & set(HELD_OUT_SEEDS):
            parser.error(f"--cv: seeds {sorted(set(seeds) & set(HELD_OUT_SEEDS))} are held out "
                         "(gaps_bench.HELD_OUT_SEEDS): never tune on them")
        cells = [{}] + [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
                        if grid]
        cells += [{name: json.loads(value) for name, _, value in (f.partition("=") for f in cell.split(";"))}
                  for cell in args.cell]
        cells = [c for i, c in enumerate(cells) if c not in cells[:i]]
        result = cross_validate(cells, seeds, embed, k=args.folds, repeats=args.repeats)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "gaps-cv.json").write_text(json.dumps({"cells": cells, **result}, indent=2, default=str))
        return 0
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
        print(spread_line("spread", spread(rows)), flush=True)
    return 0


def parse_seeds(text: str) -> list[int]:
    """``1,2,5-8`` -> ``[1, 2, 5, 6, 7, 8]``."""
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


if __name__ == "__main__":
    sys.exit(main())
