"""Security headers for every response, the Content-Security-Policy first.

The policy allows only what the site needs: its own scripts (from files: no inline script at
all, not even Material's, which ``site_theme`` serves as files), its own styles and images, the
video players a reader starts by a click, and the API. A ``<script>`` that reached a page
through content never runs; nor does an event handler attribute (no ``'unsafe-inline'``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VIDEO_FRAMES = (
    "https://www.youtube-nocookie.com", "https://rutube.ru", "https://vkvideo.ru", "https://vk.com",
    "https://player.vimeo.com",
)


def content_security_policy() -> str:
    """The Content-Security-Policy of every response: scripts from the site's own files only."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
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


#: Strict-Transport-Security for responses that reached the service over HTTPS: a year, no
#: ``includeSubDomains`` (the help center's domain may share its parent with other sites).
HSTS = b"max-age=31536000"


#: Request headers beyond these are refused with 431 (nginx's default is 4 x 8 KB lines).
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADERS = 100


class HeaderLimits:
    """Pure ASGI middleware refusing oversized request headers with a JSON 431.

    uvicorn's httptools parser sets no limit of its own. This bounds what a request may carry
    into the app; the time a slow client may take to send its headers is bounded by the
    reverse proxy in front (the shipped ``deploy/nginx.conf``: ``client_header_timeout``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope.get("headers") or []
            size = sum(len(k) + len(v) for k, v in headers)
            if size > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
                body = b'{"error": "request headers too large"}'
                await send({"type": "http.response.start", "status": 431,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Pure ASGI middleware adding the CSP and a few hardening headers to every response."""

    def __init__(self, app: ASGIApp, *, csp: str):
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self.csp),
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
