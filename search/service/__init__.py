"""The HTTP service: the static help site and the search API on one port (``kb serve``).

Owns the Starlette app (:mod:`~search.service.app`: handlers that parse, call the engine,
record the event and answer JSON), its policy (:mod:`~search.service.policy`: security
headers, the Content-Security-Policy), the OpenAPI description (:mod:`~search.service.openapi`)
and operators' ready-to-send links (:mod:`~search.service.operator_links`, also ``kb link``).

May import: :mod:`search.engine`, :mod:`search.events`, :mod:`search.manifest`, Starlette.
Must not import: :mod:`search.gaps`, ``generator`` or ``mkdocs``. Business logic lives in the
engine and the event store; the service only wraps them.
"""
