"""Security headers for every response, the Content-Security-Policy first.

The policy allows only what the site needs: its own scripts, styles and images, the video
players a reader starts by a click, and the API. Material's pages carry a few small inline
scripts; ``kb build`` lists their SHA-256 hashes in ``.kb/csp.json`` so the policy can allow
exactly those and no other inline script (a stored ``<script>`` in content would not run).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP_FILE = "csp.json"
VIDEO_FRAMES = (
    "https://www.youtube-nocookie.com", "https://rutube.ru", "https://vkvideo.ru", "https://vk.com",
    "https://player.vimeo.com",
)


def _script_hashes(state_dir: Path | None) -> list[str]:
    if state_dir is None:
        return []
    try:
        data = json.loads((state_dir / CSP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [h for h in data.get("script_hashes", []) if isinstance(h, str) and h.startswith("sha256-")]


def content_security_policy(state_dir: Path | None, *, cors_origins: tuple[str, ...] = ()) -> Policy:
    """The policy for a project whose build state is in ``state_dir``."""
    return Policy(state_dir, cors_origins)


class Policy:
    """The CSP header value, re-read when ``kb build`` writes new script hashes."""

    def __init__(self, state_dir: Path | None, cors_origins: tuple[str, ...]):
        self.state_dir = state_dir
        self.cors_origins = cors_origins
        self._lock = threading.Lock()
        self._checked = 0.0
        self._mtime: float | None = None
        self._value = self._build()

    def _build(self) -> str:
        scripts = " ".join(["'self'", *(f"'{h}'" for h in _script_hashes(self.state_dir))])
        return "; ".join([
            "default-src 'self'",
            f"script-src {scripts}",
            # Material sets a few style attributes in its HTML (e.g. the search result list).
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "media-src 'self' https:",
            "frame-src " + " ".join(VIDEO_FRAMES),
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ])

    def value(self) -> str:
        now = time.monotonic()
        if self.state_dir is not None and now - self._checked > 1.0:
            with self._lock:
                self._checked = now
                try:
                    mtime = (self.state_dir / CSP_FILE).stat().st_mtime
                except OSError:
                    mtime = None
                if mtime != self._mtime:
                    self._mtime = mtime
                    self._value = self._build()
        return self._value


#: Strict-Transport-Security for responses that reached the service over HTTPS: a year, no
#: ``includeSubDomains`` (the help center's domain may share its parent with other sites).
HSTS = b"max-age=31536000"


class SecurityHeaders:
    """Pure ASGI middleware adding the CSP and a few hardening headers to every response."""

    def __init__(self, app: ASGIApp, *, csp: Policy):
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self.csp.value().encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                ]
                if scope.get("scheme") == "https":
                    # only over HTTPS (RFC 6797): behind a proxy that terminates TLS, uvicorn takes
                    # the scheme from X-Forwarded-Proto when the proxy is a trusted forwarder
                    headers.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
