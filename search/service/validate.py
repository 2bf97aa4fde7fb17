"""One layer for everything a request brings: parameters, bodies, ids and where a write came from.

Every handler takes its input through these functions, so every bad input is a
:class:`BadRequest` (a 4xx with ``{"error": message}``) and never an exception deeper down:

- numbers are ASCII digits, bounded in length before ``int()`` sees them (``"²".isdigit()`` is
  true, ``int("²")`` raises);
- JSON bodies are bounded in size *and* nesting before they are parsed (a 1,000-level array is
  8 KB and a ``RecursionError`` in the parser);
- ids are checked against their pattern and length before they reach the file system;
- writes (clicks, votes) come as ``application/json`` from the site's own pages or a configured
  origin: a form or ``text/plain`` POST from another site, which browsers send without asking
  (no CORS preflight), is refused.

    >>> int_param({"limit": "10"}, "limit", default=5, low=1, high=50)
    10
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

MAX_QUERY = 500
MAX_COMMENT = 2_000
MAX_BODY = 8 * 1024
#: Event bodies are flat objects; anything nested deeper than this is not one of ours.
MAX_DEPTH = 4
MAX_ID = 100
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_DIGITS = re.compile(r"^[0-9]{1,6}$")


class BadRequest(HTTPException):
    """A 4xx answered as ``{"error": message}``; the message names the field and what it expected."""

    def __init__(self, message: str, status_code: int = 400):
        super().__init__(status_code=status_code, detail=message)


def text_param(params: Mapping[str, str], name: str = "q") -> str:
    """A customer's text: at most :data:`MAX_QUERY` characters, control characters dropped."""
    value = params.get(name, "")
    if len(value) > MAX_QUERY:
        raise BadRequest(f"{name}: at most {MAX_QUERY} characters (got {len(value)})")
    return "".join(ch for ch in value if ch >= " " or ch in "\t\n").strip()


def int_param(params: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` written in ASCII digits (``default`` when absent)."""
    raw = params.get(name)
    if raw is None:
        return default
    if not _DIGITS.match(raw) or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: expected a whole number from {low} to {high}, got {raw[:20]!r}")
    return int(raw)


def choice_param(params: Mapping[str, str], name: str, choices: tuple[str, ...], *, default: str) -> str:
    """One of ``choices``."""
    value = params.get(name, default)
    if value not in choices:
        raise BadRequest(f"{name}: expected one of {', '.join(choices)}")
    return value


def check_article_id(value: object, *, field: str = "article_id") -> str:
    """An article id (``[a-z0-9-]``, at most :data:`MAX_ID` characters)."""
    if not isinstance(value, str) or len(value) > MAX_ID or not _ID.match(value):
        raise BadRequest(f"{field}: expected an article id")
    return value


def is_article_id(value: str) -> bool:
    """Whether ``value`` may be an article id (checked before any file is looked up by it)."""
    return len(value) <= MAX_ID and bool(_ID.match(value))


def token(value: object) -> str | None:
    """A session or query id: 8 to 64 of ``[A-Za-z0-9_-]``; ``None`` otherwise."""
    return value if isinstance(value, str) and _TOKEN.match(value) else None


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON object of at most :data:`MAX_BODY` bytes and :data:`MAX_DEPTH` levels."""
    if len(body) > MAX_BODY:
        raise BadRequest(f"request body over {MAX_BODY} bytes", 413)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body: expected a JSON object") from None
    if _depth(text) > MAX_DEPTH:
        raise BadRequest(f"body: nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRequest("body: expected a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("body: expected a JSON object")
    return data


async def read_body(request: Request) -> bytes:
    """The request body, refused as soon as it passes :data:`MAX_BODY` bytes."""
    declared = request.headers.get("content-length", "")
    if _DIGITS.match(declared) is None and declared:
        if declared.isascii() and declared.isdigit():  # more than 6 digits: far too large
            raise BadRequest(f"request body over {MAX_BODY} bytes", 413)
        raise BadRequest("content-length: expected a number of bytes")
    if declared and int(declared) > MAX_BODY:
        raise BadRequest(f"request body over {MAX_BODY} bytes", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BadRequest(f"request body over {MAX_BODY} bytes", 413)
    return body


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased (``""`` when it has none)."""
    match = re.match(r"^(https?)://([^/?#\s]+)", url.strip(), re.I)
    return f"{match.group(1)}://{match.group(2)}".lower() if match else ""


def check_write(request: Request, *, allowed_origins: tuple[str, ...]) -> None:
    """Refuse an event write that is not JSON, or that a page of another site sent.

    Same-site pages send ``Sec-Fetch-Site: same-origin`` and an ``Origin`` equal to the page's;
    ``allowed_origins`` are the site's own address (``site_url``) and ``extra.kb.cors_origins``.
    Requests without either header (curl, helpdesk integrations) are not from a browser page and
    are accepted; CSRF needs a browser.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise BadRequest("content-type: expected application/json", 415)
    origin = request.headers.get("origin", "")
    fetch_site = request.headers.get("sec-fetch-site", "")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        if origin.lower() == own or origin_of(origin) in allowed_origins:
            return
        raise BadRequest(f"origin: {origin[:100]!r} may not record events here", 403)
    if fetch_site in ("cross-site", "same-site") or origin == "null":
        raise BadRequest("origin: events are accepted from the help site's own pages", 403)
