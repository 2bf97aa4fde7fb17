"""``kb serve --dev``: live preview. Rebuild on every change under ``kb/`` and reload the page.

The site is served by the same app as in production (:mod:`search.service.app`), plus one
long-poll endpoint, ``/__kb/reload``, that the preview pages call: it answers as soon as the
build version changes, with the build's errors when it failed (the page shows them).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.model import ContentError
from kb_helpcenter.search.service.app import ServiceSettings, create_app

POLL_SECONDS = 25.0


@dataclass
class PreviewState:
    """The last build: a version that changes on every build, and its errors ("" if none)."""

    version: int = 0
    errors: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, *, errors: str) -> None:
        with self.lock:
            self.errors = errors
            self.version += 1


def rebuild(project: Path, state: PreviewState, *, drafts: bool) -> None:
    """One preview build; content errors go to the page and to stderr, the old site stays."""
    started = time.perf_counter()
    try:
        build(project, drafts=drafts, dev_reload=True)
    except ContentError as exc:
        text = "\n".join(p.format() for p in exc.problems if p.severity == "error")
        print(text, file=sys.stderr, flush=True)
        state.update(errors=text)
        return
    state.update(errors="")
    print(f"kb: rebuilt in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def _watch(project: Path, state: PreviewState, stop: threading.Event, *, drafts: bool) -> None:
    from watchfiles import watch

    paths = [project / "kb", project / "mkdocs.yml"]
    for changes in watch(*[p for p in paths if p.exists()], stop_event=stop, debounce=200, step=50):
        names = sorted({Path(p).name for _, p in changes})
        print(f"kb: changed {', '.join(names[:5])}{' ...' if len(names) > 5 else ''}", file=sys.stderr)
        rebuild(project, state, drafts=drafts)


def create_preview_app(project: Path, *, drafts: bool = False):
    """The preview ASGI app for ``project`` (builds once on start-up, then on every change)."""
    state = PreviewState()
    stop = threading.Event()

    async def reload_endpoint(request: Request) -> JSONResponse:
        since = request.query_params.get("since", "")
        deadline = time.monotonic() + POLL_SECONDS
        while str(state.version) == since and time.monotonic() < deadline:
            if await request.is_disconnected():
                break
            await asyncio.sleep(0.1)
        return JSONResponse({"version": str(state.version), "errors": state.errors},
                            headers={"Cache-Control": "no-store"})

    @asynccontextmanager
    async def lifespan(app):
        rebuild(project, state, drafts=drafts)
        watcher = threading.Thread(target=_watch, args=(project, state, stop), kwargs={"drafts": drafts},
                                   daemon=True, name="kb-watch")
        watcher.start()
        try:
            yield
        finally:
            stop.set()

    # The preview answers searches like production but records no events: writers' own
    # searches are not customers' questions.
    app = create_app(ServiceSettings(site_dir=project / "site", state_dir=project / ".kb", record_events=False),
                     extra_routes=[Route("/__kb/reload", reload_endpoint)])
    app.router.lifespan_context = lifespan
    return RequestLog(app)


class RequestLog:
    """ASGI middleware of the preview: one line per request on stderr (method, path, status,
    milliseconds), so a writer sees what the browser asked for. No client addresses."""

    def __init__(self, app, *, echo=None):
        self.app = app
        self.echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") == "/__kb/reload":
            await self.app(scope, receive, send)  # the page's reload poll would flood the log
            return
        started = time.perf_counter()
        status = {"code": 0}

        async def sending(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ms = (time.perf_counter() - started) * 1000
            self.echo(f"kb: {scope.get('method', '')} {scope.get('path', '')} {status['code']} {ms:.0f} ms")
