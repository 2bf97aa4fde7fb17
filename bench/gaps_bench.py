"""Search-gap benchmarks: are the articles a knowledge base lacks found, and how fast at scale?

    python bench/gaps_bench.py [--only calibrate|banking77|vk|scale] [--quick] [--seeds 1,2,3,4,5]

- ``calibrate``: the confidence threshold (:data:`search.gaps.CONFIDENT`) from Banking77 with
  10 intents left out: the lowest top-hit score at which 90 % of the questions scoring at least
  that much got their own intent (questions of left-out intents count as wrong);
- ``banking77``: the search benchmark's 77-intent KB without 10 intents chosen at random; every
  question not in the KB goes in as a ticket export (a CSV through the real parser). Over the
  top 10 new-article gaps: recall (left-out intents that are the majority intent of some top-10
  gap), precision (top-10 gaps whose questions are mostly one left-out intent), purity;
- ``vk``: the VK Cloud KB without the pages one FAQ section links to; all dev FAQ questions as
  tickets; how many questions of that section come out unanswered, and how the top gaps are made;
- ``scale``: 100,000 and 1,000,000 questions (Banking77 questions with deterministic variations:
  case, punctuation, greetings, personal numbers, word order, typos) against a 10,000-article
  KB (the VK corpus replicated, as in ``search_bench.py --only speed``), each size in its own
  process: wall time and peak RSS.

Figures go to ``bench/out/gaps.json``; see bench/README.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import REPO, Unavailable, banking77  # noqa: E402

from search.engine import Engine  # noqa: E402
from search.gaps import GapReport, GapSettings, Match, QuestionSet, find_gaps  # noqa: E402
from search.index import build_index  # noqa: E402
from search.manifest import Manifest  # noqa: E402
from search.questions import read_questions  # noqa: E402

OUT = REPO / "bench" / "out"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SEEDS = (1, 2, 3, 4, 5)
LEFT_OUT = 10
TOP = 10


def engine_search(engine: Engine):
    """The engine as :func:`find_gaps` calls it (top 3 hits, ids, titles and scores)."""

    def search(text: str) -> list[Match]:
        return [Match(h.id, h.title, h.score) for h in engine.search(text, limit=3).hits]

    return search


def write_tickets(path: Path, texts: Sequence[str]) -> None:
    """A ticket export as a helpdesk writes it (``;``, cp1251 would do too; UTF-8 here)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["id", "subject"])
        writer.writerows((i, t) for i, t in enumerate(texts, 1))


# ---- Banking77 -------------------------------------------------------------------------------


def banking_setup(seed: int, work: Path):
    """The KB without 10 random intents, its engine, the tickets and their gold intents."""
    manifest, queries = banking77()
    intents = sorted(a.id for a in manifest.articles)
    missing = sorted(random.Random(seed).sample(intents, LEFT_OUT))
    kept = Manifest(articles=tuple(a for a in manifest.articles if a.id not in missing))
    build_index(kept, work / "index")
    gold: list[tuple[str, str]] = []
    for a in manifest.articles:
        if a.id in missing:
            gold += [(t, a.id) for t in a.aliases]  # not in the KB: customers ask these too
    gold += [(q.text, next(iter(q.relevant))) for q in queries]
    return Engine.open(work / "index"), missing, gold, article_questions(kept)


def article_questions(manifest: Manifest) -> dict[str, list[str]]:
    """How each article is asked already: its title and aliases (as ``kb gaps`` reads them)."""
    return {a.id: [a.title, *a.aliases] for a in manifest.articles}


def gap_metrics(report: GapReport, gold: list[tuple[str, str]], missing: Sequence[str]) -> dict:
    """Recall, precision and purity of the top new-article gaps against the left-out intents."""
    intent_of: dict[str, Counter[str]] = {}
    for text, intent in gold:
        intent_of.setdefault(text, Counter())[intent] += 1
    rows = []
    for gap in report.new_articles()[:TOP]:
        votes: Counter[str] = Counter()
        for q in gap.questions:
            known = intent_of.get(q.text)
            if known:
                votes[known.most_common(1)[0][0]] += q.count
        intent, n = min(votes.items(), key=lambda kv: (-kv[1], kv[0])) if votes else ("", 0)
        share = n / max(sum(votes.values()), 1)
        rows.append({"rank": gap.rank, "label": gap.label, "size": gap.size, "majority": intent,
                     "share": round(share, 3), "missing": intent in missing})
    found = {r["majority"] for r in rows if r["missing"]}
    return {
        "recall": len(found) / len(missing),
        "precision": sum(1 for r in rows if r["missing"] and r["share"] > 0.5) / max(len(rows), 1),
        "purity": sum(r["share"] for r in rows) / max(len(rows), 1),
        "top": rows,
    }


def run_banking(seeds: Sequence[int], settings: GapSettings) -> dict:
    results = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            engine, missing, gold, known = banking_setup(seed, work)
            write_tickets(work / "tickets.csv", [t for t, _ in gold])
            started = time.perf_counter()
            parsed = read_questions(work / "tickets.csv")
            questions = QuestionSet(now=NOW)
            for q in parsed.questions:
                questions.add(q.text, source="tickets", at=q.created_at)
            report = find_gaps(questions, engine_search(engine), articles=known, settings=settings)
            seconds = time.perf_counter() - started
        metrics = gap_metrics(report, gold, missing)
        results.append({"seed": seed, "left_out": missing, "seconds": round(seconds, 1),
                        "totals": report.totals, **metrics})
        print(f"banking77 seed {seed}: recall {metrics['recall']:.2f} precision {metrics['precision']:.2f} "
              f"purity {metrics['purity']:.2f}  ({seconds:.0f} s; {report.totals})", flush=True)
    return {"seeds": results}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named by ``--only`` (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["calibrate", "banking77", "vk", "scale"])
    parser.add_argument("--quick", action="store_true", help="two seeds, 100,000 questions at most")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.quick:
        seeds = seeds[:2]
    out: dict = {}
    settings = GapSettings()
    if args.only in (None, "banking77"):
        try:
            out["banking77"] = run_banking(seeds, settings)
        except Unavailable as exc:
            print(f"banking77: skipped: {exc}")
    (OUT / "gaps.json").write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
