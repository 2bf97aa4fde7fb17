"""kb finding: everything between the build's manifest and a customer's answer.

One sub-package per box of DESIGN.md, importing one way only (tests/test_architecture.py
checks it)::

    manifest.py   the build's records (.kb/manifest.json), the only thing search reads of a build
    privacy.py    masking personal data, for the event store, the gap report and drafts
    meaning/      sentence encoders and stored vectors                 -> manifest
    engine/       analysis, the Whoosh index, query, scoring, rerank   -> manifest, meaning
    events/       the event store: schema, cleaning, stats, export     -> privacy
    service/      the HTTP app and its policy                          -> engine, events, manifest
    gaps/         the search-gap analysis and its reports              -> engine, meaning, events, manifest, privacy

``search`` never imports ``generator`` (the build imports ``search``, not the other way round)
and never imports ``mkdocs``.
"""
