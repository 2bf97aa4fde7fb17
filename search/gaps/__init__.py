"""The search-gap analysis: what customers asked that the knowledge base does not answer.

Inputs (:mod:`~search.gaps.questions`: helpdesk exports; :mod:`~search.gaps.inputs`: the event
log, the engine, the manifest), masking of personal data (:mod:`~search.privacy`), the shared
vocabulary (:mod:`~search.gaps.model`), classification and ranking (:mod:`~search.gaps.find`),
typo folding (:mod:`~search.gaps.typos`), clustering by lemmas (:mod:`~search.gaps.cluster`) or
by embeddings (:mod:`~search.gaps.cluster_dense`, :mod:`~search.gaps.semantic`), near misses
(:mod:`~search.gaps.near`), the choice between the two (:mod:`~search.gaps.method`), the run
as a library call (:mod:`~search.gaps.run`) and the report writers (:mod:`search.gaps.report`).

May import: :mod:`search.engine`, :mod:`search.meaning`, :mod:`search.events`,
:mod:`search.manifest`, :mod:`search.privacy`. Must not import: :mod:`search.service`, ``generator`` (drafts are the
generator's: it imports this package) or ``mkdocs``. The analysis itself (``find``, ``cluster``,
``near``, ``semantic``) is pure: no I/O, no clock.
"""
