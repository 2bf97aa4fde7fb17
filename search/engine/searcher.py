"""The query engine: a customer's text in, ranked articles with snippets out.

>>> engine = Engine.open(Path(".kb/index"))
>>> engine.search("pfzdrf dbcbn").corrected
'заявка висит'

Ranking has two stages. :mod:`search.engine.scoring` scores every article that matches a query word
with BM25F over the index's postings (one slot per customer word; a slot counts its best
alternative: the word, its synonyms, its compound's parts, or, for less, its derivational
root). The best 50 are then re-ranked by :mod:`search.engine.rerank`: how close the query is to one of
the article's own questions (title and aliases, "nearest question") and to one of its headings.
An English query, when the index holds sentence vectors (:mod:`search.meaning.vectors`), is re-ranked
once more by how close its meaning is to each candidate's nearest question.

One :class:`Engine` serves many threads: each thread gets its own Whoosh reader, and a new
index switched in by ``kb build`` is noticed by a cheap ``readlink`` at most once a second.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.reading import IndexReader
from whoosh.support.levenshtein import distance

from kb_helpcenter.search.engine.analysis import lemma
from kb_helpcenter.search.engine.index import (
    FIELD_B,
    FIELD_WEIGHTS,
    ROOTS_FIELD,
    ROOTS_WEIGHT,
    TEXT_FIELDS,
    VOCABULARY_FIELD,
    VOCABULARY_INDEX,
    read_cross_script,
    read_meta,
    resolve_index,
)
from kb_helpcenter.search.engine.query import AnalyzedQuery, SynonymTable, analyze_query
from kb_helpcenter.search.engine.rerank import Candidate, rerank
from kb_helpcenter.search.engine.scoring import FieldStats, PostingCache, bm25f, document_frequency
from kb_helpcenter.search.engine.snippets import best_moment, make_snippet
from kb_helpcenter.search.meaning.vectors import MODEL as VECTORS_MODEL
from kb_helpcenter.search.meaning.vectors import ArticleVectors, blend, is_latin, stored_vectors
from kb_helpcenter.search.meaning.vectors import enabled as vectors_enabled

#: First-stage hits the re-ranking stages see. 100 rather than 50: on the VK questions the expected
#: page is among the first 50 after re-ranking for 89.5 % instead of 87 %, for +1 to 2 ms p99
#: (200: 90 %, +6 ms).
CANDIDATES = 100
TIME_BUDGET_SECONDS = 0.2
#: Every search checks which index is current (a realpath: microseconds), so pages and search
#: switch to a new build at the same moment.
RECHECK_SECONDS = 0.0
STORED_CACHE = 4096  # articles' stored fields kept per index generation
IDF_CACHE = 100_000  # words' IDF kept per index generation
CLOSE_AFTER_SECONDS = 30.0
#: For queries of at least LONG_QUERY_WORDS words, hits scoring below MIN_RELATIVE_SCORE of
#: the best hit are left out (short queries keep every match: it may be all there is).
MIN_RELATIVE_SCORE = 0.3
LONG_QUERY_WORDS = 5
QUERY_VECTOR_CACHE = 2048  # English queries' sentence vectors kept per process
MAX_QUERY_CHARS = 1000
#: An English query is encoded from its first 40 tokens. Encoding costs about 6 ms for a short
#: query (reading the weights) and grows with the tokens; on Banking77, cutting at 40 moves
#: meaning-only top-1 from 0.806 to 0.803 and the encoding's p99 from 13.5 to 11.5 ms.
QUERY_TOKENS = 40


@dataclass(frozen=True)
class Hit:
    """One article in the results."""

    id: str
    title: str
    url: str
    section: str
    summary: str
    snippet: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The engine's answer: the query as typed, the correction applied (or None), the hits."""

    query: str
    corrected: str | None
    hits: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict:
        """The JSON shape of INTERFACES.md (``kb search --json``, ``/api/search``)."""
        return {
            "query": self.query,
            "corrected": self.corrected,
            "hits": [asdict(h) for h in self.hits],
        }


@dataclass(frozen=True)
class ExplainedHit:
    """One candidate as each stage saw it (:meth:`Engine.explain`)."""

    id: str
    title: str
    rank: int  #: 0-based, in the final order
    first_rank: int  #: 0-based, in the first stage's (BM25F) order
    bm25: float
    question: float  #: nearest question (title, aliases): cosine
    heading: float  #: nearest heading: cosine
    meaning: float | None  #: sentence-vector cosine, when that stage ran
    score: float
    shown: bool  #: False when the relative-score cut leaves it out of the results


@dataclass(frozen=True)
class Explanation:
    """The outcome of :meth:`Engine.explain`."""

    query: str
    corrected: str | None
    slots: list[list[dict]]
    hits: list[ExplainedHit]

    def to_json(self) -> dict:
        return {"query": self.query, "corrected": self.corrected, "slots": self.slots,
                "hits": [asdict(h) for h in self.hits]}


class _Vocabulary:
    """The index vocabulary as query analysis sees it (one per reader, so per thread)."""

    def __init__(self, reader: IndexReader, words: IndexReader):
        self._reader = reader
        self._words = words
        self.knows_term = lru_cache(maxsize=20_000)(self._knows_term)
        self.knows_word = lru_cache(maxsize=20_000)(self._knows_word)
        self.nearest_word = lru_cache(maxsize=5_000)(self._nearest_word)

    def _knows_term(self, term: str) -> bool:
        return any(self._reader.doc_frequency(f, term) for f in TEXT_FIELDS)

    def _knows_word(self, word: str) -> bool:
        return (VOCABULARY_FIELD, word) in self._words

    def _nearest_word(self, word: str, maxdist: int) -> str | None:
        best: tuple[int, int, str] | None = None
        for candidate in self._words.terms_within(VOCABULARY_FIELD, word, maxdist, prefix=1):
            # the most common reading of the candidate wins a tie
            df = max(self._reader.doc_frequency(f, lemma(candidate)) for f in TEXT_FIELDS)
            key = (distance(word, candidate), -df, candidate)
            if best is None or key < best:
                best = key
        return best[2] if best else None


class _Generation:
    """One opened index directory and what is derived from it (shared by all threads)."""

    def __init__(self, target: Path):
        self.target = target
        self.meta = read_meta(target)
        self.index = whoosh_index.open_dir(str(target))
        self.words = whoosh_index.open_dir(str(target), indexname=VOCABULARY_INDEX)
        self.synonyms = SynonymTable(self.meta.get("synonyms") or (), self.meta.get("loanwords") or ())
        self.cross = read_cross_script(target)
        with self.index.reader() as reader:
            self.fields = [FieldStats(reader, f, weight=FIELD_WEIGHTS[f], b=FIELD_B[f]) for f in TEXT_FIELDS]
            self.roots = FieldStats(reader, ROOTS_FIELD, weight=ROOTS_WEIGHT, b=FIELD_B["head"])
        self.local = threading.local()
        self._readers: list[IndexReader] = []
        self._lock = threading.Lock()
        # An index generation never changes: what is read from it can be kept. Stored fields of
        # the articles customers keep finding, and the IDF of the words they keep typing, are
        # most of the cost of a query after the first stage.
        self.idf_cache: dict[str, float] = {}
        self.stored_cache: dict[int, dict] = {}
        self.postings = PostingCache()
        self.vectors = _load_vectors(target)

    def stored(self, reader: IndexReader, docnum: int) -> dict:
        """The stored fields of ``docnum`` (cached; the cache is dropped whole when full)."""
        fields = self.stored_cache.get(docnum)
        if fields is None:
            if len(self.stored_cache) >= STORED_CACHE:
                self.stored_cache.clear()
            fields = self.stored_cache[docnum] = reader.stored_fields(docnum)
        return fields

    def reader(self) -> tuple[IndexReader, _Vocabulary]:
        """This thread's readers (Whoosh readers are not safe to share between threads)."""
        state = getattr(self.local, "state", None)
        if state is None:
            reader, words = self.index.reader(), self.words.reader()
            with self._lock:
                self._readers += [reader, words]
            state = (reader, _Vocabulary(reader, words))
            self.local.state = state
        return state

    def close(self) -> None:
        """Close every thread's reader (their files stay open, and on disk, until then)."""
        with self._lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()


class Engine:
    """Search over one index directory (normally the ``.kb/index`` symlink)."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._generation = _Generation(resolve_index(self.index_dir))
        self._link = self._read_link()
        self._checked = time.monotonic()

    @classmethod
    def open(cls, index_dir: Path) -> Engine:
        """Open the index at ``index_dir``; raises ``IndexMissingError``/``IndexVersionError``."""
        return cls(index_dir)

    @property
    def articles(self) -> int:
        """How many articles the current index holds."""
        return int(self._generation.meta.get("articles", 0))

    @property
    def meaning(self) -> tuple[str, ...]:
        """The sentence models that re-rank queries on the current index (empty: words only)."""
        return (VECTORS_MODEL,) if self._generation.vectors is not None else ()

    @property
    def index_version(self) -> str:
        """The version string of the current index."""
        return str(self._generation.meta.get("version", ""))

    def warm(self) -> None:
        """Load what the first query would otherwise wait for (the sentence encoder, when this
        index has vectors): a server calls it before taking requests."""
        if self._generation.vectors is not None:
            _query_vector("warm up")

    def search(self, text: str, *, limit: int = 10, meaning: bool = True, correct: bool = True) -> SearchResult:
        """Best articles for a customer's ``text``; never raises on odd input.

        ``meaning=False`` skips the re-ranking of English queries by sentence vectors: the
        scores stay the lexical ones, on the scale the gap report's thresholds are calibrated
        on (:data:`search.gaps.model.CONFIDENT`). ``correct=False`` searches the words as typed
        (no keyboard-layout or typo correction): the "search for what I typed" link.
        """
        analyzed, ranked = self._rank(text, limit, meaning=meaning, correct=correct)
        ranked = _shown(ranked[:limit], len(analyzed.slots))
        terms, typed = analyzed.terms, analyzed.typed_terms  # properties: computed once, not per hit
        hits = [_hit(c, terms, typed) for c in ranked]
        return SearchResult(query=text or "", corrected=analyzed.corrected, hits=hits)

    def explain(self, text: str, *, limit: int = CANDIDATES, meaning: bool = True) -> Explanation:
        """What each stage made of ``text``: the slots searched, and for each of the first
        ``limit`` candidates its first-stage rank and score, the re-ranking features, the
        final score and whether the results would show it (``kb search --explain``)."""
        analyzed, ranked = self._rank(text, limit, meaning=meaning)
        shown = {id(c) for c in _shown(ranked[:limit], len(analyzed.slots))}
        rows = [
            ExplainedHit(
                id=c.fields["id"],
                title=c.fields["title_text"],
                rank=n,
                first_rank=c.first_rank,
                bm25=round(c.bm25, 4),
                question=round(c.question, 4),
                heading=round(c.heading, 4),
                meaning=None if c.meaning is None else round(c.meaning, 4),
                score=round(c.score, 4),
                shown=id(c) in shown,
            )
            for n, c in enumerate(ranked[:limit])
        ]
        slots = [
            [{"terms": list(terms), "weight": weight} for terms, weight in slot.alternatives]
            for slot in analyzed.slots
        ]
        return Explanation(query=text or "", corrected=analyzed.corrected, slots=slots, hits=rows)

    def _rank(self, text: str, limit: int, *, meaning: bool,
              correct: bool = True) -> tuple[AnalyzedQuery, list[Candidate]]:
        """The analysed query and every re-ranked candidate, best first, before any cut."""
        generation = self._current()
        reader, vocabulary = generation.reader()
        analyzed = analyze_query(text or "", vocabulary, generation.synonyms, generation.cross, correct=correct)
        if not analyzed.slots or limit <= 0:
            return analyzed, []
        scored = bm25f(
            reader,
            analyzed.slots,
            generation.fields,
            roots=generation.roots,
            # the budget is the first stage's: a cold first query (dictionaries loading) or a
            # busy machine must not cut scoring short before it starts
            deadline=time.perf_counter() + TIME_BUDGET_SECONDS,
            cache=generation.postings,
        )
        candidates = [
            Candidate(generation.stored(reader, s.docnum), s.score, s.slots, s.roots_only, first_rank=n)
            for n, s in enumerate(scored.top(max(limit, CANDIDATES)))
        ]
        ranked = rerank(candidates, analyzed.slots, _idf_function(reader, generation))
        if meaning and ranked and generation.vectors is not None and is_latin(text):
            ranked = _by_meaning(ranked, text, generation.vectors)
        return analyzed, ranked

    def _current(self) -> _Generation:
        """The generation to search; reopen when ``kb build`` switched the index."""
        now = time.monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return self._generation
        with self._lock:
            self._checked = now
            link = self._read_link()
            if link != self._link:
                try:
                    old, self._generation = self._generation, _Generation(resolve_index(self.index_dir))
                    self._link = link
                except Exception:  # noqa: BLE001 - a half-switched index: keep serving the old one
                    return self._generation
                # searches that already hold the old readers finish well within the grace time
                timer = threading.Timer(CLOSE_AFTER_SECONDS, old.close)
                timer.daemon = True
                timer.start()
        return self._generation

    def _read_link(self) -> str:
        # the whole chain (.kb/index -> current/index, current -> generations/<id>): a new
        # generation is one rename of "current", and the next search sees it
        return os.path.realpath(self.index_dir)


def _shown(ranked: list[Candidate], words: int) -> list[Candidate]:
    """What the results show of ``ranked``: a pasted sentence (``LONG_QUERY_WORDS`` or more)
    narrows to what matches it well; it does not flood. Only what is shown is cut: the
    re-ranking stages saw every candidate."""
    if not ranked or words < LONG_QUERY_WORDS:
        return ranked
    floor = MIN_RELATIVE_SCORE * ranked[0].score
    return [c for c in ranked if c.score >= floor]


def _load_vectors(target: Path) -> ArticleVectors | None:
    """The generation's sentence vectors, when it has them and the encoder is installed here
    (an index built with the ``semantic`` extra still serves, lexically, without it)."""
    return stored_vectors(target) if vectors_enabled()[0] else None


@lru_cache(maxsize=QUERY_VECTOR_CACHE)
def _query_vector(text: str):
    from kb_helpcenter.search.meaning.minilm import shared_encoder

    return shared_encoder().encode([text], max_tokens=QUERY_TOKENS)[0]


def _by_meaning(ranked: list[Candidate], text: str, vectors: ArticleVectors) -> list[Candidate]:
    """``ranked`` re-scored by :func:`search.meaning.vectors.blend` (scores become the blend)."""
    by_id = {c.fields["id"]: c for c in ranked}
    cosines = vectors.nearest(_query_vector(" ".join(text.split())[:MAX_QUERY_CHARS]), list(by_id))
    if not cosines:
        return ranked
    order = blend([(c.fields["id"], c.score) for c in ranked], cosines)
    for article, cosine in cosines.items():
        by_id[article].meaning = cosine
    for article, value in order:
        by_id[article].score = value
    return [by_id[article] for article, _ in order]


def _idf_function(reader: IndexReader, generation: _Generation):
    fields = generation.fields
    cache = generation.idf_cache

    def idf(term: str) -> float:
        value = cache.get(term)
        if value is None:
            if len(cache) >= IDF_CACHE:
                cache.clear()
            value = cache[term] = fields[0].idf(document_frequency(reader, term, fields))
        return value

    return idf


def _hit(candidate: Candidate, terms: set[str], typed: set[str]) -> Hit:
    """A ranked candidate as a hit; answered inside a video, it links to that moment. The
    passage is chosen by every term the query may match; only what the reader typed (as
    corrected) is marked, not the synonyms it also matched."""
    fields = candidate.fields
    stored = fields.get("snippet_source") or ()
    moment = best_moment(fields.get("moments") or (), stored, terms, typed)
    url, snippet = moment if moment else (fields["url"], make_snippet(stored, terms, typed))
    return Hit(
        id=fields["id"],
        title=fields["title_text"],
        url=url,
        section=fields.get("section_text", ""),
        summary=fields.get("summary_text", ""),
        snippet=snippet,
        score=round(candidate.score, 4),
    )
