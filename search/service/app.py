"""The HTTP service: the static help site and the search API on one port.

:func:`create_app` builds the ASGI app; ``kb serve`` runs it under uvicorn, with ``--workers N``
through :func:`create_app_from_env` (settings travel to worker processes as JSON in
``KB_SERVICE``). Handlers only parse, call the engine or the event store, and answer JSON; every
bad input is a 4xx with ``{"error": message}``. No IP address or user agent is ever stored.

Routes (see ``/api/openapi.json``)::

    GET  /api/search?q=&limit=   GET /api/suggest?q=   GET /api/link?q=&limit=
    POST /api/click              POST /api/feedback    GET /a/<id>[?ref=op]
    GET  /healthz                anything else: the static site
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import json
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from kb_helpcenter.search.engine.index import IndexError_
from kb_helpcenter.search.engine.searcher import Engine
from kb_helpcenter.search.events.writer import EventWriter, Outcome
from kb_helpcenter.search.manifest import ManifestError, load_manifest
from kb_helpcenter.search.service.operator_links import operator_links
from kb_helpcenter.search.service.policy import HeaderLimits, SecurityHeaders, content_security_policy
from kb_helpcenter.search.service.results_page import render_results
from kb_helpcenter.search.service.validate import (
    MAX_COMMENT,
    MAX_QUERY,
    BadRequest,
    check_article_id,
    check_write,
    choice_param,
    int_param,
    is_article_id,
    json_object,
    origin_of,
    read_body,
    text_param,
    token,
)

MAX_LIMIT = 50
SUGGEST_LIMIT = 6
SOURCES = ("site", "ops", "api")
ENV_VAR = "KB_SERVICE"
log = logging.getLogger("kb.service")


class SettingsError(ValueError):
    """A service setting is wrong; the message names the key and the value."""


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the service needs to know, in one typed place.

    ``state_dir`` is the project's ``.kb/``: the search index, the manifest, the event store and
    the build's state live there. Without it only the static site is served.
    """

    site_dir: Path
    state_dir: Path | None = None
    cors_origins: tuple[str, ...] = ()
    record_events: bool = True
    retention_days: int = 365
    cache_size: int = 2048  # recent answers kept per process; 0 turns the cache off
    spool_max_bytes: int = 32 * 1024 * 1024  # events kept while the store is unavailable

    def __post_init__(self) -> None:
        for origin in self.cors_origins:
            if not re.match(r"^https?://[^/\s]+$", origin):
                raise SettingsError(f"cors_origins: {origin!r} is not an origin like https://help.example.com")
        if self.cache_size < 0:
            raise SettingsError(f"cache_size: {self.cache_size!r} must be 0 (off) or more")
        if self.retention_days < 1:
            raise SettingsError(f"retention_days: {self.retention_days!r} must be a positive number of days")

    @property
    def site_root(self) -> Path:
        """The site to serve: the current generation's (``.kb/current/site``, switched together
        with the index in one rename by ``kb build``), else ``site_dir`` (an older build)."""
        if self.state_dir is not None and (self.state_dir / "current" / "site").is_dir():
            return self.state_dir / "current" / "site"
        return self.site_dir

    @property
    def index_dir(self) -> Path | None:
        return self.state_dir / "index" if self.state_dir else None

    @property
    def manifest_path(self) -> Path | None:
        return self.state_dir / "manifest.json" if self.state_dir else None

    @property
    def events_path(self) -> Path | None:
        return self.state_dir / "events.sqlite" if self.state_dir and self.record_events else None

    def to_env(self) -> str:
        """The settings as JSON, for worker processes (see :func:`create_app_from_env`)."""
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_env(cls, text: str) -> ServiceSettings:
        try:
            data = json.loads(text)
            return cls(
                site_dir=Path(data["site_dir"]),
                state_dir=Path(data["state_dir"]) if data.get("state_dir") else None,
                cors_origins=tuple(data.get("cors_origins") or ()),
                record_events=bool(data.get("record_events", True)),
                retention_days=int(data.get("retention_days", 365)),
                cache_size=int(data.get("cache_size", 2048)),
                spool_max_bytes=int(data.get("spool_max_bytes", 32 * 1024 * 1024)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"{ENV_VAR}: unreadable settings ({exc})") from None


class Articles:
    """The manifest's id → record map, reloaded when ``kb build`` writes a new manifest."""

    def __init__(self, path: Path | None):
        self.path = path
        self._lock = threading.Lock()
        self._mtime: tuple[str, int] | None = None
        self.by_id: dict[str, Any] = {}
        self.site_url = ""

    def current(self) -> dict[str, Any]:
        if self.path is None:
            return self.by_id
        with self._lock:
            try:  # the manifest of the current generation: which file, and which version of it
                mtime = (os.path.realpath(self.path), self.path.stat().st_mtime_ns)
            except OSError:
                return self.by_id
            if mtime != self._mtime:
                try:
                    manifest = load_manifest(self.path)
                except ManifestError:
                    return self.by_id
                self.by_id = {a.id: a for a in manifest.articles}
                self.site_url = manifest.site_url
                self._mtime = mtime
        return self.by_id


class Service:
    """The state behind the handlers: engine, articles, event store."""

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.articles = Articles(settings.manifest_path)
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._cache: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._scores: tuple[float, dict[str, dict[str, int]]] | None = None
        self.events = None
        self.writer: EventWriter | None = None
        if settings.events_path is not None:
            from kb_helpcenter.search.events.store import EventStore

            # a short busy timeout: the writer thread spools instead of waiting on a locked file
            self.events = EventStore(settings.events_path, retention_days=settings.retention_days,
                                     busy_timeout_ms=1000)
            self.writer = EventWriter(self.events, settings.state_dir / "spool",
                                      spool_max_bytes=settings.spool_max_bytes)

    def search(self, text: str, *, limit: int, correct: bool = True) -> dict[str, Any]:
        """The engine's answer as JSON, from a small per-process cache of recent questions.

        Customers ask the same few questions all day; the cache is keyed by the index the
        answer came from, so a new build is never answered from the old one.
        """
        engine = self.engine()
        key = (self._index_generation(), text, limit, correct)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return copy.deepcopy(hit)
        payload = engine.search(text, limit=limit, correct=correct).to_json()
        if self.settings.cache_size:
            with self._cache_lock:
                self._cache[key] = copy.deepcopy(payload)
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)
        return payload

    def _index_generation(self) -> str:
        """The directory the index resolves to now (the cache never answers from an old build)."""
        return os.path.realpath(self.settings.index_dir) if self.settings.index_dir is not None else ""

    def feedback_scores(self) -> dict[str, dict[str, int]]:
        """Helpful / not helpful votes per article, recomputed at most once a minute."""
        if self.events is None:
            return {}
        now = time.monotonic()
        cached = self._scores
        if cached is None or now - cached[0] > 60:
            rows = self.events.rows("SELECT article_id, SUM(helpful) AS yes, COUNT(*) - SUM(helpful) AS no "
                                    "FROM feedback GROUP BY article_id")
            self._scores = (now, {r["article_id"]: {"yes": int(r["yes"]), "no": int(r["no"])} for r in rows})
        return self._scores[1]

    def allowed_origins(self) -> tuple[str, ...]:
        """Origins whose pages may record events: the site's own (``site_url``) and ``cors_origins``."""
        self.articles.current()
        own = origin_of(self.articles.site_url)
        return tuple(o for o in (own, *(origin_of(c) for c in self.settings.cors_origins)) if o)

    def engine(self) -> Engine:
        """The engine, opened on first use (the index may appear after the server started)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    if self.settings.index_dir is None:
                        raise BadRequest("search is not configured on this server", 503)
                    try:
                        self._engine = Engine.open(self.settings.index_dir)
                    except IndexError_ as exc:
                        raise BadRequest(f"search index unavailable: {exc}", 503) from None
        return self._engine


#: How long a click or a vote waits for its event to be stored before it is answered "queued".
WRITE_WAIT_SECONDS = 0.25


async def _written(done: Future[Outcome]) -> Response:
    """The answer to an event write: 204 stored, 202 queued (in the queue or the spool: it will
    be stored), 503 when not even the spool can take it."""
    try:
        outcome = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(done)), WRITE_WAIT_SECONDS)
    except TimeoutError:
        outcome = Outcome.QUEUED
    if outcome is Outcome.STORED:
        return Response(status_code=204)
    if outcome is Outcome.QUEUED:
        return JSONResponse({"status": "queued", "detail": "the event store is busy; the event is kept and will be "
                             "stored"}, status_code=202)
    return JSONResponse({"error": "the event store is unavailable and its spool is full; try again later"},
                        status_code=503, headers={"Retry-After": "30"})


def _limit_param(request: Request, default: int = 10) -> int:
    return int_param(request.query_params, "limit", default=default, low=1, high=MAX_LIMIT)


def _session(request: Request) -> str | None:
    return token(request.headers.get("x-kb-session", ""))


async def _event_body(request: Request) -> dict[str, Any]:
    """The JSON object of an event write, from the site's own pages or an allowed origin."""
    service: Service = request.app.state.service
    check_write(request, allowed_origins=service.allowed_origins())
    return json_object(await read_body(request))


def _article_id(service: Service, data: dict[str, Any]) -> str:
    found = check_article_id(data.get("article_id"))
    if service.articles.current() and found not in service.articles.current():
        raise BadRequest(f"article_id: no article {found!r}", 404)
    return found


def _search_payload(service: Service, request: Request, *, limit: int) -> tuple[dict[str, Any], float]:
    text = text_param(request.query_params)
    # ?exact=1: the words as typed, no layout or typo correction ("search for what I typed")
    correct = choice_param(request.query_params, "exact", ("0", "1"), default="0") == "0"
    started = time.perf_counter()
    payload = service.search(text, limit=limit, correct=correct)
    return payload, (time.perf_counter() - started) * 1000


# The search handlers are coroutines that run the engine right in the event loop. A search is a
# few milliseconds of pure-Python CPU work: a thread pool adds no parallelism under the GIL, and
# sixteen threads sharing one core stretch every request to the time of all sixteen (a p99 of
# hundreds of ms). In the loop each request runs to the end, first come first served; more
# cores are used with --workers.
async def api_search(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    limit = _limit_param(request)
    source = choice_param(request.query_params, "source", SOURCES, default="api")
    payload, latency = _search_payload(service, request, limit=limit)
    payload["query_id"] = _record_search(service, request, payload["query"], payload.get("corrected"),
                                         [h["id"] for h in payload["hits"]], latency, source=source)
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


def _record_search(service: Service, request: Request, text: str, corrected: str | None, ids: list[str],
                   latency: float, *, source: str) -> str | None:
    """Record one search (when the service records events); return its ``query_id``, which the
    answer carries before the event is written, or None when nothing was or will be stored."""
    if service.events is None or not text.strip():
        return None
    query_id = secrets.token_urlsafe(16)
    written = service.writer.submit("query", dict(
        text=text, normalized=corrected or text, hits=len(ids), top_ids=ids[:5], latency_ms=latency,
        corrected=corrected, session=_session(request), source=source, query_id=query_id,
    ))
    return None if written.done() and written.result() is Outcome.REFUSED else query_id


async def api_suggest(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    payload, _ = _search_payload(service, request, limit=SUGGEST_LIMIT)
    suggestions = [{"title": h["title"], "url": h["url"]} for h in payload["hits"]]
    return JSONResponse({"suggestions": suggestions}, headers={"Cache-Control": "no-store"})


async def api_link(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    text = text_param(request.query_params)
    started = time.perf_counter()
    result = service.engine().search(text, limit=_limit_param(request, default=3))  # operators: always fresh
    latency = (time.perf_counter() - started) * 1000
    records = service.articles.current()
    hits = operator_links(result, site_url=service.articles.site_url)
    votes = service.feedback_scores()
    for hit in hits:  # what an operator weighs before sending: how fresh, how helpful
        record = records.get(hit["id"])
        hit["updated"] = record.updated if record else None
        hit["feedback"] = votes.get(hit["id"], {"yes": 0, "no": 0})
    # An operator's look-up is a search of source "ops": the link the operator then copies is
    # recorded as its click (/api/click), and that pair is what search learns from.
    query_id = _record_search(service, request, result.query, result.corrected, [h["id"] for h in hits], latency,
                              source="ops")
    return JSONResponse({"query": result.query, "query_id": query_id, "hits": hits},
                        headers={"Cache-Control": "no-store"})


async def api_click(request: Request) -> Response:
    service: Service = request.app.state.service
    data = await _event_body(request)
    query_id = token(data.get("query_id"))
    if query_id is None:
        raise BadRequest("query_id: expected the query_id of a search")
    article_id = _article_id(service, data)
    rank = data.get("rank")
    if not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= 1000:
        raise BadRequest("rank: expected the 1-based position of the clicked result")
    if service.events is None:
        return Response(status_code=204)
    return await _written(service.writer.submit("click", dict(
        query_id=query_id, article_id=article_id, rank=rank, session=_session(request))))


async def api_feedback(request: Request) -> Response:
    service: Service = request.app.state.service
    data = await _event_body(request)
    article_id = _article_id(service, data)
    helpful = data.get("helpful")
    if not isinstance(helpful, bool):
        raise BadRequest("helpful: expected true or false")
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise BadRequest("comment: expected text")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise BadRequest(f"comment: at most {MAX_COMMENT} characters (got {len(comment)})")
    if service.events is None:
        return Response(status_code=204)
    # A flood from one session is dropped by the store; the answer stays the same, so a script
    # learns nothing from it.
    return await _written(service.writer.submit("feedback", dict(
        article_id=article_id, helpful=helpful, comment=comment or None, session=_session(request))))


def _not_found_page(settings: ServiceSettings) -> Response:
    page = settings.site_root / "404.html"
    if page.is_file():
        return FileResponse(page, status_code=404, media_type="text/html")
    return JSONResponse({"error": "not found"}, status_code=404)


def short_link(request: Request) -> Response:
    service: Service = request.app.state.service
    article_id = request.path_params["article_id"]
    if not is_article_id(article_id):  # before any file is looked up by it
        return _not_found_page(service.settings)
    record = service.articles.current().get(article_id)
    if record is None:
        # A deleted article's short link: the build left a redirect or tombstone page for it.
        stub = service.settings.site_root / "a" / article_id / "index.html"
        if stub.is_file():
            return FileResponse(stub, media_type="text/html")
        return _not_found_page(service.settings)
    if request.query_params.get("ref") == "op" and service.events is not None:
        service.writer.submit("sent_link", {"article_id": article_id, "ref": "op"})
    root = request.scope.get("root_path", "")
    return RedirectResponse(f"{root}/{record.url}", status_code=302)


def healthz(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    try:
        engine = service.engine()
        events = {**service.writer.pending(), "writer": service.writer.alive} if service.writer is not None else None
        return JSONResponse({"status": "ok", "articles": engine.articles, "index_version": engine.index_version,
                             "meaning": list(engine.meaning), "events": events})
    except BadRequest as exc:
        return JSONResponse({"status": "degraded", "articles": 0, "index_version": "", "meaning": [],
                             "error": exc.detail},
                            status_code=503)


def openapi(request: Request) -> JSONResponse:
    from kb_helpcenter.search.service.openapi import OPENAPI

    return JSONResponse(OPENAPI)


_SITE_ROOT: contextvars.ContextVar[str | None] = contextvars.ContextVar("kb_site_root", default=None)
#: Material's bundles carry a content hash in their names: a new release is a new name.
_FINGERPRINTED = re.compile(r"^assets/.*\.[0-9a-f]{8,}\.min\.(?:js|css)$")


def cache_control(path: str, content_type: str = "") -> str:
    """How long a browser may keep a site file: fingerprinted bundles a year, other assets
    (kb's own scripts and styles, images, fonts) an hour and then revalidated, pages never
    without asking (every build changes them)."""
    path = path.lstrip("/")
    if _FINGERPRINTED.match(path):
        return "public, max-age=31536000, immutable"
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/json", "application/xml", "text/xml", "text/plain") or path == "":
        return "no-cache"  # pages, the static search index, the sitemap: new with every build
    return "public, max-age=3600, must-revalidate"


class SiteFiles(StaticFiles):
    """The static site, answering every odd path with the site's 404 page, never a 500, and
    adding the slash to a folder's URL by a relative redirect: the ``Host`` header a client
    sent is never written back into a ``Location``.

    The site folder is ``.kb/current/site``, a symlink that ``kb build`` switches to the next
    generation: each request resolves it once, so all its lookups (the page, a folder's
    ``index.html``, the 404 page) come from one generation, however the switch falls.
    """

    async def get_response(self, path: str, scope) -> Response:
        token = _SITE_ROOT.set(os.path.realpath(self.directory))
        try:
            response = await super().get_response(path, scope)
        except OSError:  # a name the file system refuses (too long, not encodable): not a page
            raise HTTPException(status_code=404) from None
        finally:
            _SITE_ROOT.reset(token)
        if isinstance(response, RedirectResponse):
            # Starlette redirects "/x" to an absolute "http://<Host>/x/"; keep only the path
            location = URL(response.headers["location"])
            relative = location.path + (f"?{location.query}" if location.query else "")
            return RedirectResponse(relative, status_code=response.status_code)
        if "cache-control" not in response.headers:
            response.headers["Cache-Control"] = cache_control(path, response.headers.get("content-type", ""))
        return response


    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        root = _SITE_ROOT.get() or os.path.realpath(self.directory)
        if path.startswith(("/", "\\")):
            return "", None
        full_path = os.path.realpath(os.path.join(root, path))
        if os.path.commonpath([full_path, root]) != root:
            return "", None  # out of the site
        try:
            return full_path, os.stat(full_path)
        except (FileNotFoundError, NotADirectoryError):
            return "", None


GZIP_MIN_BYTES = 500
SEARCH_PAGE_LIMIT = 20  # as many as the page's script asks for


async def search_page(request: Request) -> Response:
    """``/search/?q=``: the results page with the results in it, for browsers without
    JavaScript (:mod:`search.service.results_page`); without ``q``, the page as built."""
    service: Service = request.app.state.service
    root = os.path.realpath(service.settings.site_root)  # one generation for the whole answer
    page_path = Path(root) / "search" / "index.html"
    # a page clips an over-long question instead of answering 400 as the API does
    text = text_param({"q": request.query_params.get("q", "")[:MAX_QUERY]})
    if not text or not page_path.is_file():
        if not page_path.is_file():
            return _not_found_page(service.settings)
        return FileResponse(page_path, media_type="text/html")
    correct = request.query_params.get("exact") != "1"
    started = time.perf_counter()
    payload = service.search(text, limit=SEARCH_PAGE_LIMIT, correct=correct)
    latency = (time.perf_counter() - started) * 1000
    _record_search(service, request, payload["query"], payload.get("corrected"), [h["id"] for h in payload["hits"]],
                   latency, source="site")
    body = render_results(page_path.read_text(encoding="utf-8"), payload, root=request.scope.get("root_path", ""))
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


def api_not_found(request: Request) -> JSONResponse:
    return JSONResponse({"error": f"no API endpoint {request.url.path[:200]}"}, status_code=404)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/api/") or exc.status_code not in (404, 405):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return _not_found_page(request.app.state.service.settings)


def create_app(settings: ServiceSettings, *, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    """The ASGI app: API routes, short links, health, then the static site."""
    service = Service(settings)
    site = SiteFiles(directory=settings.site_root, html=True, check_dir=False)
    routes: list[BaseRoute] = [
        *(extra_routes or []),
        Route("/api/search", api_search),
        Route("/api/suggest", api_suggest),
        Route("/api/link", api_link),
        Route("/api/click", api_click, methods=["POST"]),
        Route("/api/feedback", api_feedback, methods=["POST"]),
        Route("/api/openapi.json", openapi),
        Route("/api/{rest:path}", api_not_found),  # other methods: the site answers 405, as JSON here
        Route("/a/{article_id}", short_link),
        Route("/a/{article_id}/", short_link),
        Route("/healthz", healthz),
        Route("/search/", search_page),
        Mount("/", app=site, name="site"),
    ]
    # text goes out compressed (a 114 KB bundle is ~35 KB); what is compressed already is not
    middleware = [Middleware(HeaderLimits), Middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6),
                  Middleware(SecurityHeaders, csp=content_security_policy())]
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST"], allow_headers=["Content-Type", "X-KB-Session"],
                                     max_age=600))
    @asynccontextmanager
    async def lifespan(app: Starlette):
        # Open the index before taking requests: a worker is ready when it listens.
        if settings.index_dir is not None:
            try:
                service.engine().warm()
            except BadRequest as exc:
                log.warning("starting without search: %s", exc.detail)
        yield
        if service.events is not None:
            service.writer.close()  # what is queued is stored or spooled, never dropped

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: _http_error})  # type: ignore[dict-item]
    app.state.service = service
    return app


def create_app_from_env() -> Starlette:
    """The app for ``uvicorn --factory`` worker processes: settings from ``$KB_SERVICE``."""
    return create_app(ServiceSettings.from_env(os.environ[ENV_VAR]))

