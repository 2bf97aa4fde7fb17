"""Try ranking variants on all three quality benchmarks in one process (indexes built once).

    python bench/experiments/tune_search.py base k1_3 ...       # names of EXPERIMENTS below
    python bench/experiments/tune_search.py --banking 0 base    # all Banking77 queries (default: 1,500 seeded)

VK Cloud is reported on two fixed halves (bench/experiments/vk_study.py: A for tuning, B for checking),
the sample per group; Banking77 on the lexical engine (no sentence vectors: this tunes what
comes before them). A variant is a function that patches module globals of ``search.*`` and
returns an undo function; the engines are reopened after each patch, so variants that change
what is read at open time (field weights, ``b``) work too. Variants that change analysis
(stop words) need ``--rebuild``.

Every variant below was measured on 2026-11-24 and lost or tied on VK half A or B, Banking77
or the sample (see the report in bench/README.md): they stay as the record, runnable.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

# The repository (for search, generator) and bench/ (for the benchmarks' shared modules).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import Query, banking77, half, sample_kb, sample_queries, vk_cloud  # noqa: E402
from vk_study import build_lexical, rank_of  # noqa: E402

import kb_helpcenter.search.engine.analysis as analysis_mod  # noqa: E402
import kb_helpcenter.search.engine.rerank as rerank_mod  # noqa: E402
import kb_helpcenter.search.engine.scoring as scoring_mod  # noqa: E402
import kb_helpcenter.search.engine.searcher as engine_mod  # noqa: E402
from kb_helpcenter.search.engine.query import Slot  # noqa: E402
from kb_helpcenter.search.engine.scoring import document_frequency  # noqa: E402
from kb_helpcenter.search.engine.searcher import Engine  # noqa: E402

Undo = Callable[[], None]
EXPERIMENTS: dict[str, Callable[[], Undo]] = {}


def experiment(fn: Callable[[], Undo]) -> Callable[[], Undo]:
    EXPERIMENTS[fn.__name__] = fn
    return fn


def patch(module, **values) -> Undo:
    old = {k: getattr(module, k) for k in values}
    for k, v in values.items():
        setattr(module, k, v)
    return lambda: [setattr(module, k, v) for k, v in old.items()]


def chain(*undos: Undo) -> Undo:
    return lambda: [u() for u in reversed(undos)]


@experiment
def base() -> Undo:
    return lambda: None


def _grid(prefix: str, make: Callable[[float], Callable[[], Undo]], values: list[float]) -> None:
    for v in values:
        EXPERIMENTS[f"{prefix}{v:g}"] = make(v)


_grid("k1_", lambda v: lambda: patch(scoring_mod, K1=v), [1.2, 2, 3, 4, 9, 12])
_grid("bbody_", lambda v: lambda: patch(engine_mod, FIELD_B={**engine_mod.FIELD_B, "body": v}), [0.3, 0.5, 0.9])
_grid("bhead_", lambda v: lambda: patch(engine_mod, FIELD_B={**engine_mod.FIELD_B, "head": v}), [0.2, 0.75])
_grid("whead_", lambda v: lambda: patch(engine_mod, FIELD_WEIGHTS={**engine_mod.FIELD_WEIGHTS, "head": v}), [1, 3, 6])
_grid("qw_", lambda v: lambda: patch(rerank_mod, QUESTION_WEIGHT=v), [0.25, 0.75, 1.0])
_grid("hw_", lambda v: lambda: patch(rerank_mod, HEADING_WEIGHT=v), [0, 0.1, 0.4, 0.6])
_grid("roots_", lambda v: lambda: patch(engine_mod, ROOTS_WEIGHT=v), [0, 0.15, 0.6])
EXPERIMENTS["stop_no"] = lambda: patch(analysis_mod, STOP_WORDS=analysis_mod.STOP_WORDS | {"но"})
EXPERIMENTS["stop_my"] = lambda: patch(analysis_mod, STOP_LEMMAS=analysis_mod.STOP_LEMMAS | {"мой", "твой"})
EXPERIMENTS["stop_do"] = lambda: patch(analysis_mod, STOP_LEMMAS=analysis_mod.STOP_LEMMAS | {"делать"})
EXPERIMENTS["stop_all"] = lambda: chain(EXPERIMENTS["stop_no"](), EXPERIMENTS["stop_my"](), EXPERIMENTS["stop_do"]())


def _prf(docs: int, terms: int, weight: float) -> Callable[[], Undo]:
    """Pseudo-relevance feedback: the title and heading terms shared by two of the first
    ``docs`` hits are added to the query, ``terms`` of them at most, at ``weight``."""
    original = engine_mod.bm25f

    def bm25f(reader, slots, fields, **kw):
        first = original(reader, slots, fields, **kw)
        seen = {t for s in slots for t in s.terms}
        counts: Counter = Counter()
        for s in first.top(docs):
            stored = reader.stored_fields(s.docnum)
            bag = {t for ts in (stored.get("alias_terms") or [])[:1] + (stored.get("heading_terms") or []) for t in ts}
            counts.update(bag - seen)
        idf = fields[0].idf
        picked = sorted(
            (t for t, n in counts.items() if n >= 2),
            key=lambda t: -counts[t] * idf(document_frequency(reader, t, fields)),
        )[:terms]
        if not picked:
            return first
        extra = [Slot((((t,), weight),)) for t in picked]
        return original(reader, list(slots) + extra, fields, **kw)

    return lambda: patch(engine_mod, bm25f=bm25f)


for _d in (3, 5):
    for _w in (0.2, 0.4):
        EXPERIMENTS[f"prf_{_d}_{_w}"] = _prf(_d, 5, _w)


def _filler(words: set[str], weight: float) -> Callable[[], Undo]:
    """Generic question words kept in the query at a fraction of their weight."""
    original = engine_mod.analyze_query

    def analyze_query(text, vocabulary, synonyms):
        out = original(text, vocabulary, synonyms)
        out.slots = [
            Slot(tuple((t, w * weight) for t, w in s.alternatives)) if s.alternatives[0][0][0] in words else s
            for s in out.slots
        ]
        return out

    return lambda: patch(engine_mod, analyze_query=analyze_query)


FILLER_CORE = {"делать", "возможность", "возможно", "являться", "происходить", "иметься", "существовать"}
FILLER_MORE = FILLER_CORE | {"сделать", "посмотреть", "узнать", "использовать", "получить", "нужный", "необходимый"}
for _w in (0, 0.3, 0.6):
    EXPERIMENTS[f"fill_core_{_w}"] = _filler(FILLER_CORE, _w)
    EXPERIMENTS[f"fill_more_{_w}"] = _filler(FILLER_MORE, _w)


def _per_field(k_head: float, k_body: float, w_head: float) -> Callable[[], Undo]:
    """BM25 per field, then a weighted sum (instead of one saturation over the weighted sum)."""

    def saturated(reader, term, fields):
        out: dict[int, float] = {}
        for f in fields:
            acc: dict[int, float] = {}
            for ids, weights in scoring_mod.posting_blocks(reader, f.fieldname, term):
                for doc, tf in zip(ids, weights, strict=False):
                    acc[doc] = acc.get(doc, 0.0) + tf * f.inverse[doc] / f.weight
            k = k_head if f.fieldname == "head" else k_body
            w = w_head if f.fieldname == "head" else 1.0
            for doc, x in acc.items():
                out[doc] = out.get(doc, 0.0) + w * x / (x + k) / (1 + w_head)
        return out

    return lambda: patch(scoring_mod, _saturated=saturated)


for _kh, _kb, _wh in ((6, 6, 2), (3, 1.2, 2), (6, 1.2, 2), (6, 2, 1), (6, 2, 2), (6, 2, 3), (10, 2, 2), (3, 3, 1)):
    EXPERIMENTS[f"pf_{_kh}_{_kb}_{_wh}"] = _per_field(_kh, _kb, _wh)
_grid("cand_", lambda v: lambda: patch(engine_mod, CANDIDATES=int(v)), [20, 100])


def _metrics(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks) or 1
    return (
        sum(r == 0 for r in ranks) / n,
        sum(r is not None and r < 5 for r in ranks) / n,
        sum(1 / (r + 1) for r in ranks if r is not None and r < 10) / n,
    )


def run(engines: dict[str, Path], queries: dict[str, list[Query]]) -> dict[str, tuple[float, float, float]]:
    out: dict[str, tuple[float, float, float]] = {}
    for name, path in engines.items():
        engine = Engine.open(path)
        groups: dict[str, list[int | None]] = {}
        for q in queries[name]:
            ids = [h.id for h in engine.search(q.text, limit=10).hits]
            key = f"vk-{half(q)}" if name == "vk" else f"{name}-{q.group}" if name == "sample" else name
            groups.setdefault(key, []).append(rank_of(ids, q))
            if name != "banking77":
                groups.setdefault(f"{name}-all", []).append(rank_of(ids, q))
        out.update({k: _metrics(v) for k, v in sorted(groups.items())})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="+")
    parser.add_argument("--banking", type=int, default=1500, help="Banking77 queries (0 = all)")
    parser.add_argument("--only", default="vk,banking77,sample")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the indexes for each variant")
    args = parser.parse_args()
    only = args.only.split(",")
    loaders = {"vk": vk_cloud, "banking77": banking77, "sample": lambda: (sample_kb(), sample_queries())}
    with tempfile.TemporaryDirectory() as tmp:
        engines, queries, manifests = {}, {}, {}
        for name in only:
            manifest, qs = loaders[name]()
            if name == "banking77" and args.banking and len(qs) > args.banking:
                qs = random.Random(7).sample(qs, args.banking)
            manifests[name], queries[name] = manifest, qs

        def build(tag: str) -> None:
            for name, manifest in manifests.items():
                build_lexical(manifest, Path(tmp) / f"{name}-{tag}")
                engines[name] = Path(tmp) / f"{name}-{tag}"

        build("base")
        rows = {}
        for n, name in enumerate(args.names):
            undo = EXPERIMENTS[name]()
            started = time.perf_counter()
            try:
                if args.rebuild:
                    build(str(n))
                rows[name] = run(engines, queries)
            finally:
                undo()
            secs = time.perf_counter() - started
            r = rows[name]
            if not n:
                print(f"{'':18}" + "".join(f"{k[:13]:>14}" for k in r))
            cells = "".join(f"{v[0]:.3f}/{v[1]:.3f}".rjust(14) for v in r.values())
            print(f"{name[:18]:18}{cells}  {secs:.0f}s")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
