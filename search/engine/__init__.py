"""The search engine: a customer's text in, ranked articles with snippets out.

Owns text analysis (:mod:`~search.engine.analysis`: Russian and English as customers type
them), query-time analysis (:mod:`~search.engine.query`: typos, keyboard layouts, synonyms),
the Whoosh index (:mod:`~search.engine.index`: build into a new directory, switch atomically),
first-stage scoring (:mod:`~search.engine.scoring`: BM25F), re-ranking
(:mod:`~search.engine.rerank`), snippets (:mod:`~search.engine.snippets`) and the engine that
composes them (:mod:`~search.engine.searcher`: ``Engine.search``).

May import: :mod:`search.manifest` and :mod:`search.meaning` (vectors for English queries).
Must not import: :mod:`search.service`, :mod:`search.events`, :mod:`search.gaps` (they use the
engine, not the other way round), ``generator`` or ``mkdocs``.
"""
