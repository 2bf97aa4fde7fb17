"""Where kb misses on the VK Cloud dev questions, and why: the miss analysis of bench/README.md.

    python bench/experiments/vk_misses.py [--markdown] [--list]

For every dev question whose expected page is not first, finds the best expected page in the
*whole* candidate list (not only the first 50) with :meth:`Engine.explain`, and says

- **where** it is: ranks 2–5, 6–50, beyond 50, cut (among the first 50 but below the
  relative-score floor the results apply to long queries), or absent (matches no query word);
- **why**, as one cause class, the first that applies:
  - *label noise* — the expected page does not answer the question (a human judgement, in
    :data:`LABEL_NOISE`, made by reading page and question, never used for tuning);
  - *Latin/loanword* — a query word the page lacks has a counterpart in the other script in the
    page ("бакет" / "bucket", "Kubernetes" / "кубернетес");
  - *morphology* — a query word the page lacks shares a stem with a page word (another form or
    derivation that the lemmatiser does not join);
  - *query length* — the page was among the candidates but cut by the long-query floor;
  - *vocabulary gap* — the page lacks half the query's words or more in any form;
  - *other* — the page has the words but ranks lower (ranking, competing pages).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import half, vk_cloud  # noqa: E402
from vk_study import build_lexical  # noqa: E402
from whoosh.lang.snowball.russian import RussianStemmer  # noqa: E402
from whoosh.support.levenshtein import distance  # noqa: E402

from kb_helpcenter.search.engine.analysis import analyze, script_of, surface_words  # noqa: E402
from kb_helpcenter.search.engine.searcher import Engine  # noqa: E402
from kb_helpcenter.search.engine.translit import sound_key, to_latin  # noqa: E402

DEPTH = 1500  # more than the corpus: every matching page gets a rank
CANDIDATES = 50

#: Dev questions whose expected page does not answer them, judged by reading both (the page
#: is linked from the FAQ answer as "see also", not as the answer). Counted, never tuned to.
LABEL_NOISE = frozenset(
    {
        "Я пополнил баланс, но платеж не прошел. Как избежать заморозки?",
        "Почему с банковской карты списались денежные средства, когда услуги не заказывались?",
        "Действия при недоступности инстанса JupyterHub",
        "Можно ли настроить резервное копирование локальных серверов в облако?",
        "Как мигрировать ВМ из VK Cloud на локальный гипервизор?",
        "Где располагаются серверы?",
    }
)

_STEM = RussianStemmer()


def page_words(record) -> tuple[set[str], set[str], set[str]]:
    """A page's terms (as the index analyses them), surface words and stems."""
    text = "\n".join([record.title, record.summary, *(h.title for h in record.headings), record.body])
    words = set(surface_words(text))
    return set(analyze(text)), words, {_stem(w) for w in words}


def _stem(word: str) -> str:
    return _STEM.stem(word)[:6] if script_of(word) == "cyr" else word[:6]


def cause(question: str, where: str, missing: list[str], slots: int, page: tuple[set, set, set]) -> str:
    if question in LABEL_NOISE:
        return "label noise"
    _, words, stems = page
    keys = {}
    for w in words:
        if len(w) >= 4:
            keys.setdefault(sound_key(w), []).append(w)
    for surface in missing:
        for other in keys.get(sound_key(surface), ()):
            if script_of(other) != script_of(surface) and distance(to_latin(other), to_latin(surface)) <= 3:
                return "Latin/loanword"
    if any(_stem(w) in stems for w in missing):
        return "morphology"
    if where == "cut":
        return "query length"
    if slots and len(missing) * 2 >= slots:
        return "vocabulary gap"
    return "other"


def where_of(rank: int | None, shown: bool) -> str:
    if rank is None:
        return "absent"
    if rank == 0:
        return "first"
    if rank >= CANDIDATES:
        return "beyond 50"
    if not shown:
        return "cut"
    return "2-5" if rank < 5 else "6-50"


def analyse(engine: Engine, manifest, queries) -> list[dict]:
    records = {r.id: r for r in manifest.articles}
    cache: dict[str, tuple] = {}
    rows = []
    for q in queries:
        explanation = engine.explain(q.text, limit=DEPTH)
        ranks = [h for h in explanation.hits if h.id in q.relevant]
        best = ranks[0] if ranks else None
        where = where_of(best.rank if best else None, best.shown if best else False)
        gold = best.id if best else sorted(q.relevant)[0]
        page = cache.get(gold) or cache.setdefault(gold, page_words(records[gold]))
        terms = page[0]
        missing = [
            surface
            for surface in dict.fromkeys(surface_words(explanation.corrected or q.text))
            if (lemmas := analyze(surface)) and not any(t in terms for t in lemmas)
        ]
        rows.append(
            {
                "half": half(q),
                "question": q.text,
                "gold": gold,
                "rank": None if best is None else best.rank,
                "first_rank": None if best is None else best.first_rank,
                "where": where,
                "missing": missing,
                "cause": "hit" if where == "first" else cause(q.text, where, missing, len(explanation.slots), page),
                "winner": explanation.hits[0].title if explanation.hits else "",
            }
        )
    return rows


def summary(rows: list[dict]) -> str:
    n = len(rows)
    within = sum(r["rank"] is not None and r["rank"] < CANDIDATES for r in rows)
    first_stage = sum(r["first_rank"] is not None and r["first_rank"] < CANDIDATES for r in rows)
    lines = [
        f"questions {n}, first {sum(r['where'] == 'first' for r in rows)}, "
        f"recall@50 after re-ranking {within / n:.3f}, in the first stage's top 50 {first_stage / n:.3f}",
        "",
        "| where the expected page is | misses |",
        "|---|---|",
    ]
    places = Counter(r["where"] for r in rows if r["where"] != "first")
    lines += [f"| {k} | {places[k]} |" for k in ("2-5", "6-50", "cut", "beyond 50", "absent") if places[k]]
    causes = Counter(r["cause"] for r in rows if r["cause"] != "hit")
    lines += ["", "| cause | misses | of which within the first 5 |", "|---|---|---|"]
    for name, count in causes.most_common():
        top5 = sum(r["cause"] == name and r["rank"] is not None and r["rank"] < 5 for r in rows)
        lines.append(f"| {name} | {count} | {top5} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="one line per miss")
    args = parser.parse_args()
    manifest, queries = vk_cloud()
    with tempfile.TemporaryDirectory() as tmp:
        build_lexical(manifest, Path(tmp) / "index")
        engine = Engine.open(Path(tmp) / "index")
        rows = analyse(engine, manifest, queries)
    if args.list:
        for r in rows:
            if r["cause"] != "hit":
                rank = "-" if r["rank"] is None else r["rank"] + 1
                print(f"[{r['half']}] {r['cause']:<15} {r['where']:<9} rank {rank:>4}  {r['question']}"
                      f"  | missing: {', '.join(r['missing'])} | gold: {r['gold'].split('/')[-2]} | top: {r['winner']}")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
