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

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from whoosh.reading import IndexReader

from search.analysis import root
from search.query import Slot

K1 = 6.0
B = 0.75


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
        # the denominator of a normalised term frequency, per document
        self.norms = [(1 - b) + b * n / average for n in lengths]

    def idf(self, df: int) -> float:
        """BM25 inverse document frequency (always positive)."""
        return math.log(self.count / (df + 1)) + 1.0


def postings(reader: IndexReader, fieldname: str, term: str) -> Iterator[tuple[int, float]]:
    """``(docnum, weight)`` for every posting of ``term``, a block at a time when possible."""
    if not reader.__contains__((fieldname, term)):
        return
    m = reader.postings(fieldname, term)
    block_reader = getattr(m, "_read_ids", None)
    if block_reader is None or not hasattr(m, "_next_block"):  # another codec: generic path
        while m.is_active():
            yield m.id(), m.weight()
            m.next()
        return
    while m.is_active():
        m._read_ids()
        m._read_weights()
        yield from zip(m._ids, m._weights, strict=False)
        m._next_block()


def bm25f(
    reader: IndexReader,
    slots: Sequence[Slot],
    fields: Sequence[FieldStats],
    *,
    roots: FieldStats | None = None,
    deadline: float | None = None,
) -> dict[int, Scored]:
    """Score every document that matches some slot; a slot counts its best alternative.

    BM25F proper: a term's frequency is normalised per field (``b``), weighted and summed over
    ``fields``, then saturated once (``K1``). ``roots`` (coarse derivational roots) count for a
    slot only where no alternative matched as a word.
    """
    total: dict[int, Scored] = {}
    order = sorted(range(len(slots)), key=lambda i: _slot_df(reader, slots[i], fields))
    for i in order:
        if deadline is not None and time.perf_counter() > deadline and total:
            break
        best: dict[int, float] = {}
        for terms, weight in slots[i].alternatives:
            _max_merge(best, _alternative(reader, terms, weight, fields))
        via_roots: dict[int, float] = {}
        if roots is not None and roots.weight:
            for terms, weight in slots[i].alternatives:
                rooted = tuple(root(t) for t in terms)
                if rooted != terms:
                    _max_merge(via_roots, _alternative(reader, rooted, weight, [roots]))
        bit = 1 << i
        for doc, score in best.items():
            s = total.get(doc)
            if s is None:
                total[doc] = Scored(doc, score, bit)
            else:
                s.score += score
                s.slots |= bit
        for doc, score in via_roots.items():
            if doc in best:
                continue
            s = total.get(doc)
            if s is None:
                total[doc] = Scored(doc, score, 0, bit)
            else:
                s.score += score
                s.roots_only |= bit
    return total


def document_frequency(reader: IndexReader, term: str, fields: Sequence[FieldStats]) -> int:
    """An estimate of how many documents hold ``term`` in any of ``fields``."""
    return max(reader.doc_frequency(f.fieldname, term) for f in fields)


def _slot_df(reader: IndexReader, slot: Slot, fields: Sequence[FieldStats]) -> int:
    terms, _ = slot.alternatives[0]
    return min(document_frequency(reader, t, fields) for t in terms)


def _alternative(
    reader: IndexReader, terms: tuple[str, ...], weight: float, fields: Sequence[FieldStats]
) -> dict[int, float]:
    """Documents holding every term of ``terms``, with the sum of the terms' BM25F scores."""
    result: dict[int, float] = {}
    for n, term in enumerate(terms):
        df = document_frequency(reader, term, fields)
        if not df:
            return {}
        tfs: dict[int, float] = {}
        for f in fields:
            norms, w = f.norms, f.weight
            for doc, tf in postings(reader, f.fieldname, term):
                tfs[doc] = tfs.get(doc, 0.0) + w * tf / norms[doc]
        idf = fields[0].idf(df) * weight
        scores = {doc: idf * tf * (K1 + 1) / (tf + K1) for doc, tf in tfs.items()}
        if n:
            result = {d: result[d] + s for d, s in scores.items() if d in result}
        else:
            result = scores
    return result


def _max_merge(into: dict[int, float], other: dict[int, float]) -> None:
    for doc, score in other.items():
        if score > into.get(doc, 0.0):
            into[doc] = score
