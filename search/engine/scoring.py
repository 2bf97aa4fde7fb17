"""First-stage retrieval: BM25F over Whoosh postings, one pass per query term.

Whoosh's own query matchers advance a tree of union matchers one document at a time; on a
10,000-article help center an eight-word question then costs 50–100 ms in pure Python. The
index is still Whoosh's, but this module reads each term's postings block by block and adds
BM25 contributions into a dictionary, which is several times faster, and it knows for free which
query words each article matched (the coverage the re-ranker needs).

Terms are scored rarest first; when the time budget runs out the remaining (most common, least
informative) terms are skipped, so a 2,000-character paste is bounded in time.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from whoosh.reading import IndexReader

from kb_helpcenter.search.engine.analysis import root
from kb_helpcenter.search.engine.query import Slot

K1 = 6.0
B = 0.75
#: A query word found in more than this share of the articles is skipped when the query has
#: rarer words, on large indexes only ("не", "vk cloud" in a cloud provider's help center).
COMMON_FRACTION = 0.5
COMMON_POSTINGS = 2000  # ... and only when its postings are long enough to cost time


@dataclass
class Scored:
    """A first-stage candidate: document number, BM25F score, bitmask of matched slots."""

    docnum: int
    score: float
    slots: int
    roots_only: int = 0


class FieldStats:
    """One field's weight, length normalisation ``b`` and document lengths (loaded once per
    opened index, so a posting costs a list lookup)."""

    def __init__(self, reader: IndexReader, fieldname: str, *, weight: float = 1.0, b: float = B):
        self.fieldname = fieldname
        self.weight = weight
        self.b = b
        self.count = max(1, reader.doc_count_all())
        lengths = [reader.doc_field_length(d, fieldname) or 0 for d in range(self.count)]
        average = (sum(lengths) / self.count) or 1.0
        # weight / (the denominator of a normalised term frequency), per document: one
        # multiplication per posting
        self.inverse = [weight / ((1 - b) + b * n / average) for n in lengths]

    def idf(self, df: int) -> float:
        """BM25 inverse document frequency (always positive)."""
        return math.log(self.count / (df + 1)) + 1.0


def posting_blocks(reader: IndexReader, fieldname: str, term: str) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """``(docnums, weights)`` of ``term``'s postings, a block at a time when the codec allows.

    Reads Whoosh's own block arrays (whoosh 2.7 is final, so these attributes are stable);
    any other matcher is read one posting at a time.
    """
    if (fieldname, term) not in reader:
        return
    m = reader.postings(fieldname, term)
    if not all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block")):
        ids, weights = [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
        yield ids, weights
        return
    while m.is_active():
        m._read_ids()
        m._read_weights()
        yield m._ids, m._weights
        m._next_block()


@dataclass
class Scores:
    """First-stage scores by document number, and bitmasks of the slots each matched (by the
    word itself, or only through its derivational root)."""

    score: dict[int, float]
    slots: dict[int, int]
    roots_only: dict[int, int]

    def top(self, n: int) -> list[Scored]:
        """The ``n`` best documents."""
        best = heapq.nlargest(n, self.score, key=self.score.__getitem__)
        return [Scored(d, self.score[d], self.slots.get(d, 0), self.roots_only.get(d, 0)) for d in best]


class PostingCache:
    """Saturated term frequencies per term, kept for one index generation.

    Decoding a common word's postings (zlib, unpickling, delta decoding) is most of a query's
    cost on a large help center, and customers type the same words all day. An index
    generation never changes, so a term's ``{doc: x / (x + K1)}`` can be kept; the cache holds
    at most ``max_postings`` postings in all and is dropped whole when full.
    """

    def __init__(self, max_postings: int = 1_000_000):
        self.max_postings = max_postings
        self.size = 0
        self.terms: dict[tuple[str, tuple[str, ...]], dict[int, float]] = {}

    def get(self, key: tuple[str, tuple[str, ...]]) -> dict[int, float] | None:
        return self.terms.get(key)

    def put(self, key: tuple[str, tuple[str, ...]], value: dict[int, float]) -> None:
        if len(value) > self.max_postings // 4:
            return  # one huge list would evict everything else
        if self.size + len(value) > self.max_postings:
            self.terms.clear()
            self.size = 0
        self.terms[key] = value
        self.size += len(value)


def bm25f(
    reader: IndexReader,
    slots: Sequence[Slot],
    fields: Sequence[FieldStats],
    *,
    roots: FieldStats | None = None,
    deadline: float | None = None,
    cache: PostingCache | None = None,
) -> Scores:
    """Score every document that matches some slot; a slot counts its best alternative.

    BM25F proper: a term's frequency is normalised per field (``b``), weighted and summed over
    ``fields``, then saturated once (``K1``). ``roots`` (coarse derivational roots) count for a
    slot only where no alternative matched as a word. Slots are scored rarest first.
    """
    total: dict[int, float] = {}
    matched: dict[int, int] = {}
    via_root: dict[int, int] = {}
    dfs = [_slot_df(reader, slot, fields) for slot in slots]
    order = sorted(range(len(slots)), key=dfs.__getitem__)
    common = max(COMMON_FRACTION * fields[0].count, COMMON_POSTINGS) if fields else 0
    for n, i in enumerate(order):
        if n and deadline is not None and time.perf_counter() > deadline:
            break
        if n and dfs[i] > common:
            break  # in most articles: scoring it costs the most and changes the order the least
        best = _best_alternative(reader, slots[i].alternatives, fields, cache)
        bit = 1 << i
        _add(total, matched, best, bit)
        if roots is not None and roots.inverse and roots.count:
            rooted = [(tuple(root(t) for t in terms), weight) for terms, weight in slots[i].alternatives]
            rooted = [
                (terms, w) for (terms, w), (orig, _) in zip(rooted, slots[i].alternatives, strict=True) if terms != orig
            ]
            if rooted:
                extra = _best_alternative(reader, rooted, [roots], cache)
                _add(total, via_root, {d: s for d, s in extra.items() if d not in best}, bit)
    return Scores(total, matched, via_root)


def _add(total: dict[int, float], masks: dict[int, int], scores: dict[int, float], bit: int) -> None:
    get = total.get
    for doc, score in scores.items():
        total[doc] = get(doc, 0.0) + score
    mget = masks.get
    for doc in scores:
        masks[doc] = mget(doc, 0) | bit


def _best_alternative(
    reader: IndexReader,
    alternatives: Sequence[tuple[tuple[str, ...], float]],
    fields: Sequence[FieldStats],
    cache: PostingCache | None = None,
) -> dict[int, float]:
    best: dict[int, float] = {}
    for terms, weight in alternatives:
        scores = _alternative(reader, terms, weight, fields, cache)
        if not best:
            best = scores
            continue
        get = best.get
        for doc, score in scores.items():
            if score > get(doc, 0.0):
                best[doc] = score
    return best


def document_frequency(reader: IndexReader, term: str, fields: Sequence[FieldStats]) -> int:
    """An estimate of how many documents hold ``term`` in any of ``fields``."""
    return max(reader.doc_frequency(f.fieldname, term) for f in fields)


def _slot_df(reader: IndexReader, slot: Slot, fields: Sequence[FieldStats]) -> int:
    terms, _ = slot.alternatives[0]
    return min(document_frequency(reader, t, fields) for t in terms)


def _saturated(reader: IndexReader, term: str, fields: Sequence[FieldStats]) -> dict[int, float]:
    """``{doc: x / (x + K1)}`` where ``x`` is the term's weighted, length-normalised frequency."""
    acc: dict[int, float] = {}
    get = acc.get
    for f in fields:
        inverse = f.inverse
        for ids, weights in posting_blocks(reader, f.fieldname, term):
            for doc, tf in zip(ids, weights, strict=False):
                acc[doc] = get(doc, 0.0) + tf * inverse[doc]
    k1 = K1
    return {doc: x / (x + k1) for doc, x in acc.items()}


def _alternative(
    reader: IndexReader,
    terms: tuple[str, ...],
    weight: float,
    fields: Sequence[FieldStats],
    cache: PostingCache | None = None,
) -> dict[int, float]:
    """Documents holding every term of ``terms``, with the sum of the terms' BM25F scores."""
    result: dict[int, float] = {}
    for n, term in enumerate(terms):
        df = document_frequency(reader, term, fields)
        if not df:
            return {}
        key = (term, tuple(f.fieldname for f in fields))
        saturated = cache.get(key) if cache is not None else None
        if saturated is None:
            saturated = _saturated(reader, term, fields)
            if cache is not None:
                cache.put(key, saturated)
        scale = fields[0].idf(df) * weight * (K1 + 1)
        scores = {doc: scale * x for doc, x in saturated.items()}
        if n:
            result = {d: result[d] + s for d, s in scores.items() if d in result}
        else:
            result = scores
    return result
