"""What may enter the event store: validation, clamping, and keeping personal data out.

Everything here is pure ``value -> value``. Identifiers that must be exact (article ids, query
ids, ranks) are checked and refused with an :class:`EventError` naming the field, which the
service answers with a 400. Free text (queries, comments) is never refused, only cleaned:

- control characters, lone surrogates and bidirectional overrides are removed (they break
  terminals, CSV readers and reports, and bidi overrides can disguise text);
- whitespace is collapsed (comments keep their line breaks);
- personal data (e-mail addresses, phone, card, passport, SNILS and INN numbers, IP addresses,
  other long numbers) becomes placeholders by :func:`search.privacy.mask`, the masking the gap
  report and drafts use too: customers do type these into search boxes and comment fields;
- the result is cut to the limit: 500 characters for queries, 2,000 for comments.

A session id is kept only when it looks like a random id a browser made up (see
:func:`clean_session`); anything else is dropped, never stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from kb_helpcenter.search.privacy import mask

QUERY_LIMIT = 500
COMMENT_LIMIT = 2000
TOP_IDS_LIMIT = 20
RANK_LIMIT = 1000
SOURCES = ("site", "ops", "api", "cli")

ARTICLE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
QUERY_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")  # ours are 22; the service accepts 8+
SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
REF = re.compile(r"[a-z0-9_-]{1,32}")

_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"[^\S\n]+")
_NON_WORD = re.compile(r"[\W_]+")


class EventError(ValueError):
    """An event field that cannot be stored; the message names the field and the value."""

    def __init__(self, field: str, expected: str, value: Any) -> None:
        self.field = field
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"{field}: expected {expected}, got {shown}")


def strip_controls(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without control, surrogate or bidi-override characters; tabs become spaces.

    >>> strip_controls("a\\tb\\x00c\\u202ed")
    'a bcd'
    """
    out = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in "\t\r\n\v\f":
            out.append(" ")
        elif char in _BIDI or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            out.append(char)
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders (:func:`search.privacy.mask`).

    >>> redact("звонил на +7 (916) 123-45-67, пишите a.b@mail.ru, заказ 2024")
    'звонил на [phone], пишите [email], заказ 2024'
    """
    return mask(text)


def clean_text(value: Any, *, field: str, limit: int, multiline: bool = False) -> str:
    """Free text as stored: a string, cleaned, redacted, whitespace collapsed, cut to ``limit``."""
    if not isinstance(value, str):
        raise EventError(field, "a string", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", strip_controls(value, keep_newlines=multiline))
    text = redact(_SPACES.sub(" ", text))
    if multiline:
        text = re.sub(r" ?\n ?", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()[:limit].strip()


def normalize_query(text: str) -> str:
    """The form questions are grouped by: case-folded, ``ё`` as ``е``, words only.

    >>> normalize_query("  Где мой ЗАКАЗ?!  Ёлка, ёж")
    'где мой заказ елка еж'
    """
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _NON_WORD.sub(" ", folded).strip()


def clean_session(value: Any) -> str | None:
    """``value`` if it looks like a random anonymous id, else ``None``.

    Kept: 8-64 characters of ``[A-Za-z0-9_-]`` with at least one letter (what
    ``crypto.randomUUID()`` or ``secrets.token_urlsafe()`` make). Dropped: anything else,
    including IP addresses (dots, colons), e-mails, and all-digit values such as phone
    numbers or numeric user ids, which may identify a person.
    """
    if not isinstance(value, str) or not SESSION.fullmatch(value):
        return None
    if not any(char.isalpha() for char in value):
        return None
    return value


def check_article_id(value: Any, *, field: str = "article_id") -> str:
    """An article id as the content model defines it: ``[a-z0-9-]+``, at most 100 characters."""
    if not isinstance(value, str) or not ARTICLE_ID.fullmatch(value):
        raise EventError(field, "an article id ([a-z0-9-], at most 100 characters)", value)
    return value


def check_query_id(value: Any) -> str:
    """A query id as :meth:`EventStore.record_query` hands them out."""
    if not isinstance(value, str) or not QUERY_ID.fullmatch(value):
        raise EventError("query_id", "a query id from the search answer", value)
    return value


def check_int(value: Any, *, field: str, low: int, high: int | None = None) -> int:
    """An integer (not a bool) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise EventError(field, f"a whole number {bounds}", value)
    return value


def check_bool(value: Any, *, field: str) -> bool:
    """``True`` or ``False`` exactly (``1``, ``"yes"`` and friends are refused)."""
    if not isinstance(value, bool):
        raise EventError(field, "true or false", value)
    return value


def check_choice(value: Any, *, field: str, choices: Iterable[str]) -> str:
    """One of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise EventError(field, "one of " + ", ".join(options), value)
    return value


def check_ref(value: Any) -> str:
    """Who sent a link: a short lowercase tag such as ``op``."""
    if not isinstance(value, str) or not REF.fullmatch(value):
        raise EventError("ref", "a short tag such as 'op' ([a-z0-9_-], at most 32 characters)", value)
    return value


def check_latency(value: Any) -> float | None:
    """Milliseconds the search took, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 3_600_000:
        raise EventError("latency_ms", "milliseconds >= 0", value)
    return round(float(value), 3)


def check_top_ids(values: Any) -> list[str]:
    """The article ids the search returned, best first; only the first 20 are kept."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise EventError("top_ids", "a list of article ids", values)
    return [check_article_id(value, field="top_ids") for value in list(values)[:TOP_IDS_LIMIT]]
