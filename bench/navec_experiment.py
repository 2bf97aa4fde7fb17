"""Russian word vectors (navec) as word-level SOFT MATCHING in the re-ranking: an experiment.

    python bench/navec_experiment.py                 # VK halves A/B + the sample, full grid
    python bench/navec_experiment.py --top 15        # rows shown per table

Needs ``natasha`` and ``navec`` in the venv (``pip install --no-deps natasha navec``: only the
navec .tar inside the natasha wheel and navec's loader are used). Nothing in ``search/`` is
changed: the engine's top 50 (``Engine.search(q, limit=50)``, with the long-query score floor
switched off so every candidate comes back) are re-scored here.

Feature, per candidate and article field: for each query slot (one customer word; its terms and
synonym alternatives), ``s = 1`` when one of its terms is a word of the field, else the best
cosine between the slot's navec vector (lemma, or the surface form when navec lacks the lemma)
and the field's words' vectors; ``feature = sum(idf * g(s)) / sum(idf)`` with ``g`` a floor:
``cut`` (s below the floor counts 0), ``shift`` ((s - floor) / (1 - floor), clipped at 0) or
``soft`` (like cut, but exact matches count 0: only near-synonyms, which BM25F and the
nearest-question cosine never see). Fields: title, headings (pooled words, or the best single
heading), aliases (best single alias; title included), section path, summary, the first 300
words of the body. ``score = engine score + w * feature``; weights and variants are picked on
VK half A (``bench/vk_study.py``'s hash split) and checked on half B; the sample's groups must
stay at top-1 >= 0.90.

Measured 2026-11-24 (2 cores shared): nothing wins on half B. The best single feature on A
(best heading, any cosine, w=0.4) gives A 0.356 -> 0.407 top-1 but B 0.345 -> 0.309, all VK
0.351 -> 0.360, and costs the sample (synonym group 0.906 -> 0.868); the best pair on A (best
heading + summary) gives all VK 0.368, B 0.309. Near-synonym-only matching (``soft``) leaves
56-57 of the 60 VK misses' comparisons unchanged, and for most misses the first hit already
matches the query's words (soft or exact) better than the relevant page does: the gap is not
at the word level. Cost: navec load 0.4 s, +173 MB max RSS; about 1 ms per article to embed
its fields; 9 ms per query for all seven fields over 50 candidates (about 1.3 ms per field).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_corpora import Query, sample_kb, sample_queries, vk_cloud  # noqa: E402
from vk_study import build_lexical, half, rank_of  # noqa: E402

import search.engine as engine_mod  # noqa: E402
from search.analysis import surfaces_and_terms  # noqa: E402
from search.engine import Engine  # noqa: E402
from search.query import analyze_query  # noqa: E402
from search.rerank import _slot_weight  # noqa: E402

BODY_WORDS = 300
DEPTH = 50
FIELDS = ("title", "head", "head_best", "alias_best", "section", "summary", "body")
FLOORS = (0.0, 0.4, 0.5, 0.6, 0.7)
MODES = ("cut", "shift", "soft")
WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 0.8)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def navec_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("natasha")  # located, not imported (it needs razdel, slovnet...)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("natasha is not installed: pip install --no-deps natasha navec")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).rglob("navec*.tar"))
    if not found:
        raise SystemExit("no navec .tar inside the natasha package")
    return found[0]


class Vectors:
    """navec word vectors, unpacked (and unit-normalised) only for the words asked for."""

    def __init__(self, path: Path):
        from navec import Navec

        self.navec = Navec.load(str(path))
        self.cache: dict[str, np.ndarray | None] = {}

    def get(self, word: str) -> np.ndarray | None:
        if word in self.cache:
            return self.cache[word]
        v = self.navec.get(word)
        if v is not None:
            v = np.asarray(v, dtype=np.float32)
            n = float(np.linalg.norm(v))
            v = v / n if n else None
        self.cache[word] = v
        return v

    surface_first = False  # --forms surface: the word as written first, its lemma second

    def of(self, term: str, surface: str | None) -> np.ndarray | None:
        first, second = (surface, term) if self.surface_first and surface else (term, surface)
        v = self.get(first)
        if v is None and second and second != first:
            v = self.get(second)
        return v


class Bag:
    """The words of one piece of article text: their terms (exact matching) and a matrix of
    unit vectors (soft matching)."""

    __slots__ = ("terms", "matrix")

    def __init__(self, text: str, vectors: Vectors, limit: int | None = None):
        tokens = [(s, t) for _, s, t in surfaces_and_terms(text) if t]
        if limit is not None:
            tokens = tokens[:limit]
        surface = {}
        for s, t in tokens:
            surface.setdefault(t, s)
        self.terms = set(surface)
        rows = [v for t, s in surface.items() if (v := vectors.of(t, s)) is not None]
        self.matrix = np.vstack(rows) if rows else np.zeros((0, 300), dtype=np.float32)

    def sims(self, slot_terms: list[set[str]], qmatrix: np.ndarray, qhas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per slot: best similarity (1 for an exact term) and whether it was exact."""
        exact = np.array([bool(ts & self.terms) for ts in slot_terms])
        if len(self.matrix) and qhas.any():
            best = (qmatrix @ self.matrix.T).max(axis=1)
            best = np.where(qhas, np.clip(best, 0.0, 1.0), 0.0)
        else:
            best = np.zeros(len(slot_terms), dtype=np.float32)
        return np.where(exact, 1.0, best), exact


class Article:
    def __init__(self, record, vectors: Vectors):
        self.pooled = {
            "title": Bag(record.title, vectors),
            "head": Bag("\n".join(h.title for h in record.headings), vectors),
            "section": Bag(record.section, vectors),
            "summary": Bag(record.summary, vectors),
            "body": Bag(record.body[: BODY_WORDS * 12], vectors, limit=BODY_WORDS),
        }
        self.items = {
            "head_best": [Bag(h.title, vectors) for h in record.headings],
            "alias_best": [Bag(a, vectors) for a in (record.title, *record.aliases)],
        }


def g(s: np.ndarray, exact: np.ndarray, floor: float, mode: str) -> np.ndarray:
    if mode == "cut":
        return np.where(s >= floor, s, 0.0)
    if mode == "shift":
        return np.clip((s - floor) / (1 - floor), 0.0, 1.0)
    return np.where((s >= floor) & ~exact, s, 0.0)  # soft: near-synonyms only


class Prepared:
    """One query: its candidates (ids, engine scores) and per field the slot similarities."""

    def __init__(self, q: Query, key: str, ids: list[str], scores: list[float], long_query: bool,
                 weights: np.ndarray, sims: dict[str, list]):
        self.q, self.key, self.ids, self.scores = q, key, ids, np.array(scores)
        self.long_query, self.weights, self.sims = long_query, weights, sims

    def feature(self, field: str, floor: float, mode: str) -> np.ndarray:
        total = self.weights.sum() or 1.0
        out = np.zeros(len(self.ids))
        for i, entry in enumerate(self.sims[field]):
            if field in ("head_best", "alias_best"):
                vals = [float(self.weights @ g(s, e, floor, mode)) for s, e in entry]
                out[i] = max(vals, default=0.0) / total
            else:
                s, e = entry
                out[i] = float(self.weights @ g(s, e, floor, mode)) / total
        return out


def prepare(name: str, manifest, queries: list[Query], vectors: Vectors, tmp: Path) -> tuple[list[Prepared], dict]:
    started = time.perf_counter()
    build_lexical(manifest, tmp / name)
    engine = Engine.open(tmp / name)
    build_s = time.perf_counter() - started
    records = {a.id: a for a in manifest.articles}
    articles: dict[str, Article] = {}
    generation = engine._current()
    reader, vocabulary = generation.reader()
    idf = engine_mod._idf_function(reader, generation)
    out, feature_s, article_s, check = [], 0.0, 0.0, []
    coverage = [0, 0]  # query slots with a navec vector, all query slots
    floor_was = engine_mod.MIN_RELATIVE_SCORE
    for q in queries:
        check.append(rank_of([h.id for h in engine.search(q.text, limit=10).hits], q))
        engine_mod.MIN_RELATIVE_SCORE = 0.0
        try:
            result = engine.search(q.text, limit=DEPTH)
        finally:
            engine_mod.MIN_RELATIVE_SCORE = floor_was
        analyzed = analyze_query(q.text, vocabulary, generation.synonyms)
        ids = [h.id for h in result.hits]
        t0 = time.perf_counter()
        for i in ids:
            if i not in articles:
                articles[i] = Article(records[i], vectors)
        article_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        # the query side: slots' terms, their navec vectors (lemma, else the surface form)
        surface = {t: s for _, s, t in surfaces_and_terms(result.corrected or q.text) if t}
        slot_terms, rows, has = [], [], []
        for slot in analyzed.slots:
            terms = {t for alt, _ in slot.alternatives for t in alt}
            first = slot.alternatives[0][0]
            v = vectors.of(first[0], surface.get(first[0])) if len(first) == 1 else None
            if v is None:  # a compound or an unknown word: any alternative that navec knows
                v = next((vectors.get(t) for t in sorted(terms) if vectors.get(t) is not None), None)
            slot_terms.append(terms)
            rows.append(v if v is not None else np.zeros(300, dtype=np.float32))
            has.append(v is not None)
        qmatrix = np.vstack(rows) if rows else np.zeros((0, 300), dtype=np.float32)
        qhas = np.array(has, dtype=bool)
        coverage[0] += int(qhas.sum())
        coverage[1] += len(has)
        weights = np.array([_slot_weight(s, idf) for s in analyzed.slots])
        sims: dict[str, list] = {f: [] for f in FIELDS}
        for i in ids:
            a = articles[i]
            for f, bag in a.pooled.items():
                sims[f].append(bag.sims(slot_terms, qmatrix, qhas))
            for f, bags in a.items.items():
                sims[f].append([b.sims(slot_terms, qmatrix, qhas) for b in bags])
        feature_s += time.perf_counter() - t0
        key = f"vk-{half(q)}" if name == "vk" else f"s-{q.group}"
        long_query = len(analyzed.slots) >= engine_mod.LONG_QUERY_WORDS
        out.append(Prepared(q, key, ids, [h.score for h in result.hits], long_query, weights, sims))
    cost = {
        "build_s": build_s,
        "articles": len(articles),
        "article_bags_ms_each": 1000 * article_s / max(len(articles), 1),
        "query_feature_ms": 1000 * feature_s / max(len(queries), 1),
        "query_slots_with_vector": coverage[0] / max(coverage[1], 1),
        "engine_default_ranks": check,
    }
    return out, cost


def ranks(prepared: list[Prepared], extra: list[np.ndarray] | None = None) -> dict[str, list]:
    groups: dict[str, list] = {}
    for n, p in enumerate(prepared):
        score = p.scores + (extra[n] if extra is not None else 0.0)
        order = sorted(range(len(p.ids)), key=lambda i: -score[i])  # stable: ties keep the engine's order
        ids = [p.ids[i] for i in order]
        if p.long_query and ids:  # the engine's long-query floor, on the new scores
            top = score[order[0]]
            ids = [p.ids[i] for i in order if score[i] >= engine_mod.MIN_RELATIVE_SCORE * top]
        r = rank_of(ids[:10], p.q)
        groups.setdefault(p.key, []).append(r)
        groups.setdefault(p.key.split("-")[0] + "-all", []).append(r)
    return groups


def metrics(rs: list) -> tuple[float, float, float]:
    n = len(rs) or 1
    return (
        sum(r == 0 for r in rs) / n,
        sum(r is not None and r < 5 for r in rs) / n,
        sum(1 / (r + 1) for r in rs if r is not None) / n,
    )


def row(name: str, groups: dict[str, list], cols: list[str]) -> str:
    cells = []
    for c in cols:
        t1, t5, mrr = metrics(groups[c])
        cells.append(f"{t1:.3f}/{t5:.3f}/{mrr:.3f}" if c.startswith("vk") else f"{t1:.3f}")
    widths = [20 if c.startswith("vk") else 9 for c in cols]
    return f"{name:34}" + "".join(f"{x:>{w}}" for x, w in zip(cells, widths, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--forms", choices=["lemma", "surface"], default="lemma",
                        help="which form of a word to look up in navec first (the other is the fallback)")
    args = parser.parse_args()
    Vectors.surface_first = args.forms == "surface"

    before = rss_mb()
    t0 = time.perf_counter()
    vectors = Vectors(navec_path())
    load_s = time.perf_counter() - t0
    after = rss_mb()
    print(f"navec: {navec_path().name}, load {load_s:.2f} s, max RSS {before:.0f} -> {after:.0f} MB", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        vk_manifest, vk_queries = vk_cloud()
        vk, vk_cost = prepare("vk", vk_manifest, vk_queries, vectors, Path(tmp))
        sample, s_cost = prepare("sample", sample_kb(), sample_queries(), vectors, Path(tmp))
    for name, cost in (("vk", vk_cost), ("sample", s_cost)):
        dflt = cost.pop("engine_default_ranks")
        print(f"{name}: engine default top1 {metrics(dflt)[0]:.3f} top5 {metrics(dflt)[1]:.3f}; "
              + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in cost.items()))
    print(f"navec load {load_s:.2f} s; max RSS after load {after:.0f} MB (before {before:.0f}); "
          f"after everything {rss_mb():.0f} MB; vectors unpacked {len(vectors.cache)}")

    vk_cols = ["vk-A", "vk-B", "vk-all"]
    s_cols = sorted({p.key for p in sample}) + ["s-all"]
    header = f"{'variant':34}" + "".join(f"{c + ' t1/t5/mrr':>20}" for c in vk_cols)
    header += "".join(f"{c[2:]:>9}" for c in s_cols)
    base_vk, base_s = ranks(vk), ranks(sample)

    # every single-field variant, evaluated on VK (cheap); the sample only for those shown
    results = []
    feats_vk: dict[tuple, list[np.ndarray]] = {}
    for f in FIELDS:
        for floor in FLOORS:
            for mode in MODES:
                if mode == "shift" and floor == 0.0:
                    continue
                feats_vk[(f, floor, mode)] = [p.feature(f, floor, mode) for p in vk]
                for w in WEIGHTS:
                    groups = ranks(vk, [w * x for x in feats_vk[(f, floor, mode)]])
                    a1, _, amrr = metrics(groups["vk-A"])
                    results.append(((a1, amrr), (f, floor, mode, w), groups))
    results.sort(key=lambda r: r[0], reverse=True)

    def with_sample(spec: list[tuple], label: str, vk_groups=None) -> str:
        extra_vk = [sum(w * p.feature(f, fl, m) for f, fl, m, w in spec) for p in vk] if vk_groups is None else None
        extra_s = [sum(w * p.feature(f, fl, m) for f, fl, m, w in spec) for p in sample]
        groups = vk_groups or ranks(vk, extra_vk)
        groups.update(ranks(sample, extra_s))
        return row(label, groups, vk_cols + s_cols)

    print("\nSingle field, best on VK half A (top-1, then MRR); columns: top-1/top-5/MRR, sample top-1")
    print(header)
    print(row("baseline (engine order)", {**base_vk, **base_s}, vk_cols + s_cols))
    for _, (f, floor, mode, w), groups in results[: args.top]:
        print(with_sample([(f, floor, mode, w)], f"{f} {mode}>={floor:g} w={w:g}", dict(groups)))

    print("\nBest per field on A (each field alone)")
    print(header)
    best_per_field = {}
    for _, spec, groups in results:
        if spec[0] not in best_per_field:
            best_per_field[spec[0]] = spec
            f, floor, mode, w = spec
            print(with_sample([spec], f"{f} {mode}>={floor:g} w={w:g}", dict(groups)))

    # two fields together: the best floor/mode of each field, weights re-gridded on A
    print("\nTwo fields together (each at its best floor/mode on A; weights gridded on A)")
    print(header)
    pair_results = []
    names = list(best_per_field)
    for i, f1 in enumerate(names):
        for f2 in names[i + 1:]:
            s1, s2 = best_per_field[f1], best_per_field[f2]
            x1, x2 = feats_vk[s1[:3]], feats_vk[s2[:3]]
            for w1 in WEIGHTS:
                for w2 in WEIGHTS:
                    groups = ranks(vk, [w1 * a + w2 * b for a, b in zip(x1, x2, strict=True)])
                    a1, _, amrr = metrics(groups["vk-A"])
                    pair_results.append(((a1, amrr), [(*s1[:3], w1), (*s2[:3], w2)], groups))
    pair_results.sort(key=lambda r: r[0], reverse=True)
    for _, spec, groups in pair_results[: args.top]:
        label = " + ".join(f"{f[:6]} {m[:2]}{fl:g} {w:g}" for f, fl, m, w in spec)
        print(with_sample(spec, label, dict(groups)))

    # how robust: B and all at fixed, reasonable settings (not picked on B)
    print("\nFixed settings per field (floor 0.5 cut, w = 0.2), for the shape of the effect")
    print(header)
    for f in FIELDS:
        print(with_sample([(f, 0.5, "cut", 0.2)], f"{f} cut>=0.5 w=0.2"))

    # does the signal exist? Over the VK questions whose page is a candidate but not first:
    # how often the feature is higher for the (best-placed) relevant page than for the first hit
    print("\nVK, page among the candidates but not first: feature(relevant) vs feature(first hit)")
    print(f"{'field / floor / mode':28}{'n':>5}{'higher':>8}{'equal':>8}{'lower':>8}"
          "   (page already first: its feature below / equal to / above the best other candidate's)")
    for f in FIELDS:
        for floor, mode in ((0.0, "cut"), (0.5, "cut"), (0.5, "soft")):
            hi = eq = lo = 0
            keep = [0, 0, 0]
            for p, x in zip(vk, feats_vk[(f, floor, mode)], strict=True):
                r = rank_of(p.ids, p.q)
                if r is None:
                    continue
                if r == 0:  # the right page is first: would the feature keep it there?
                    others = x[1:].max() if len(x) > 1 else 0.0
                    keep[0 if x[0] < others else 1 if x[0] == others else 2] += 1
                    continue
                d = x[r] - x[0]
                hi, eq, lo = hi + (d > 1e-9), eq + (abs(d) <= 1e-9), lo + (d < -1e-9)
            label = f"{f} {floor:g} {mode}"
            print(f"{label:28}{hi + eq + lo:5d}{hi:8d}{eq:8d}{lo:8d}   {keep[0]}/{keep[1]}/{keep[2]}")

    # cost of the feature for one query against its 50 candidates, article bags precomputed
    p = vk[0]
    t0 = time.perf_counter()
    reps = 0
    for p in vk:
        p.feature("title", 0.5, "cut")
        reps += 1
    print(f"\nfeature from cached similarities: {1000 * (time.perf_counter() - t0) / reps:.2f} ms/query/field")
    return 0


if __name__ == "__main__":
    sys.exit(main())
