"""The query engine: a customer's text in, ranked articles with snippets out.

>>> engine = Engine.open(Path(".kb/index"))
>>> engine.search("pfzdrf dbcbn").corrected
'заявка висит'

Ranking has two stages. Whoosh finds candidates with BM25F over the article fields (one query
slot per customer word, the best alternative of a slot counting: the word, its synonyms, its
compound parts). The top candidates are then re-ranked in plain Python by
:mod:`search.rerank`: how much of the query (weighted by rarity) an article covers, and how
close the query is to one of the article's own questions (its title and aliases).

One :class:`Engine` serves many threads: each thread gets its own Whoosh searcher, and a new
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
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.query import And, DisjunctionMax, NullQuery, Or, Query, Term
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance

from search.analysis import root
from search.index import SEARCH_FIELDS, VOCABULARY_FIELD, read_meta, resolve_index
from search.query import AnalyzedQuery, Slot, SynonymTable, analyze_query
from search.rerank import Candidate, rerank
from search.snippets import make_snippet

CANDIDATES = 50
TIME_LIMIT_SECONDS = 0.5
RECHECK_SECONDS = 1.0
LEMMA_FIELDS = tuple(f for f in SEARCH_FIELDS if f != "roots")


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


class _Vocabulary:
    """The index vocabulary as query analysis sees it (one per searcher, so per thread)."""

    def __init__(self, searcher: Searcher):
        self._reader = searcher.reader()
        self.knows_term = lru_cache(maxsize=20_000)(self._knows_term)
        self.knows_word = lru_cache(maxsize=20_000)(self._knows_word)
        self.nearest_word = lru_cache(maxsize=5_000)(self._nearest_word)

    def _knows_term(self, term: str) -> bool:
        return any(self._reader.doc_frequency(f, term) for f in LEMMA_FIELDS)

    def _knows_word(self, word: str) -> bool:
        return self._reader.doc_frequency(VOCABULARY_FIELD, word) > 0

    def _nearest_word(self, word: str, maxdist: int) -> str | None:
        best: tuple[int, int, str] | None = None
        for candidate in self._reader.terms_within(VOCABULARY_FIELD, word, maxdist, prefix=1):
            key = (
                distance(word, candidate),
                -self._reader.doc_frequency(VOCABULARY_FIELD, candidate),
                candidate,
            )
            if best is None or key < best:
                best = key
        return best[2] if best else None


class _Generation:
    """One opened index directory and what is derived from it."""

    def __init__(self, target: Path):
        self.target = target
        self.meta = read_meta(target)
        self.index = whoosh_index.open_dir(str(target))
        self.synonyms = SynonymTable(self.meta.get("synonyms") or ())
        self.local = threading.local()

    def searcher(self) -> tuple[Searcher, _Vocabulary]:
        state = getattr(self.local, "state", None)
        if state is None:
            searcher = self.index.searcher(weighting=BM25F())
            state = (searcher, _Vocabulary(searcher))
            self.local.state = state
        return state


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
    def index_version(self) -> str:
        """The version string of the current index."""
        return str(self._generation.meta.get("version", ""))

    def search(self, text: str, *, limit: int = 10) -> SearchResult:
        """Best articles for a customer's ``text``; never raises on odd input."""
        generation = self._current()
        searcher, vocabulary = generation.searcher()
        analyzed = analyze_query(text or "", vocabulary, generation.synonyms)
        if not analyzed.slots or limit <= 0:
            return SearchResult(query=text or "", corrected=analyzed.corrected)
        candidates = self._candidates(searcher, analyzed, max(limit, CANDIDATES))
        ranked = rerank(candidates, analyzed.slots, _idf_function(searcher))[:limit]
        terms = analyzed.terms
        hits = [
            Hit(
                id=c.fields["id"],
                title=c.fields["title_text"],
                url=c.fields["url"],
                section=c.fields.get("section_text", ""),
                summary=c.fields.get("summary_text", ""),
                snippet=make_snippet(c.fields.get("snippet_source", ""), terms),
                score=round(c.score, 4),
            )
            for c in ranked
        ]
        return SearchResult(query=text, corrected=analyzed.corrected, hits=hits)

    def _candidates(self, searcher: Searcher, analyzed: AnalyzedQuery, n: int) -> list[Candidate]:
        query = whoosh_query(analyzed.slots)
        collector = searcher.collector(limit=n, terms=True)
        bounded = TimeLimitCollector(collector, timelimit=TIME_LIMIT_SECONDS, use_alarm=False)
        try:
            searcher.search_with_collector(query, bounded)
        except TimeLimit:
            pass  # keep what was found in time
        results = bounded.results()
        return [
            Candidate(
                fields=hit.fields(),
                bm25=hit.score,
                matched={(f, _text(t)) for f, t in hit.matched_terms()},
            )
            for hit in results
        ]

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
                    self._generation = _Generation(resolve_index(self.index_dir))
                    self._link = link
                except Exception:  # noqa: BLE001 - a half-switched index: keep serving the old one
                    pass
        return self._generation

    def _read_link(self) -> str:
        try:
            return os.readlink(self.index_dir)
        except OSError:
            return str(self.index_dir.resolve())


def whoosh_query(slots: list[Slot]) -> Query:
    """The candidate query: an OR of slots, each the best of its alternatives over all fields."""
    slot_queries = []
    for slot in slots:
        alternatives = [_alternative(terms, weight) for terms, weight in slot.alternatives]
        slot_queries.append(
            alternatives[0] if len(alternatives) == 1 else DisjunctionMax(alternatives)
        )
    if not slot_queries:
        return NullQuery
    return slot_queries[0] if len(slot_queries) == 1 else Or(slot_queries)


def _alternative(terms: tuple[str, ...], weight: float) -> Query:
    per_term = [_term_over_fields(t, weight) for t in terms]
    return per_term[0] if len(per_term) == 1 else And(per_term)


def _term_over_fields(term: str, weight: float) -> Query:
    clauses: list[Query] = [Term(f, term, boost=weight) for f in LEMMA_FIELDS]
    clauses.append(Term("roots", root(term), boost=weight))
    return Or(clauses)


def _text(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _idf_function(searcher: Searcher):
    reader = searcher.reader()
    total = max(1, reader.doc_count())

    @lru_cache(maxsize=4096)
    def idf(term: str) -> float:
        import math

        df = max(reader.doc_frequency(f, term) for f in LEMMA_FIELDS)
        return math.log(1 + total / (1 + df))

    return idf
