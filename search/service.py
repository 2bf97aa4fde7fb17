"""The HTTP service: the static help site (and, later, the search API) on one port.

An ASGI app built by :func:`create_app`; ``kb serve`` runs it under uvicorn. Handlers are thin:
the work lives in the engine and the event store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles


@dataclass(frozen=True)
class ServiceSettings:
    """Where the service finds its files."""

    site_dir: Path


def create_app(settings: ServiceSettings, *, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app serving ``settings.site_dir``; ``extra_routes`` take precedence."""
    site = StaticFiles(directory=settings.site_dir, html=True, check_dir=False)
    routes = list(extra_routes or []) + [Mount("/", app=site, name="site")]
    return Starlette(routes=routes)
