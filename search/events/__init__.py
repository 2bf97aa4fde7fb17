"""The event store: searches, clicks, feedback and operator-sent links (``.kb/events.sqlite``).

Owns the store (:mod:`~search.events.store`: one interface, WAL mode, nothing lost on a crash),
its ordered migrations and columns (:mod:`~search.events.schema`), what may enter it
(:mod:`~search.events.clean`: validation, clamping, no personal data), the read side for the
gap report (:mod:`~search.events.stats`) and ``kb events export`` (:mod:`~search.events.export`).

May import: the standard library and :mod:`search.privacy` (one masking of personal data for
everything kb keeps). Must not import any other part of ``search`` (the service writes events
and the gap analysis reads them; the store knows neither), ``generator`` or ``mkdocs``.
"""
