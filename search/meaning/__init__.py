"""Meaning: sentence encoders and the sentence vectors stored beside the index.

Owns the optional encoders (:mod:`~search.meaning.minilm`: all-MiniLM-L6-v2 in plain numpy,
English) and the vectors of the articles' own questions (:mod:`~search.meaning.vectors`:
written at build, read by the engine and the gap analysis). Model-agnostic on the outside: an
encoder is ``texts -> unit rows``; a new encoder is a new module here.

May import: :mod:`search.manifest` (the records whose texts are embedded) and optional
numerical packages (numpy, tokenizers, safetensors), lazily, so that kb runs without them.
Must not import: any other part of ``search`` (the engine and the gaps use meaning, not the
other way round), ``generator`` or ``mkdocs``.
"""
