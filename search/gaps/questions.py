"""Helpdesk exports (``kb gaps --questions FILE``): messy files in, clean masked questions out.

    >>> parsed = read_questions(Path("tickets.csv"))
    >>> parsed.questions[0].text, parsed.skipped_empty
    ('Как вернуть товар без чека?', 3)

What helpdesks export (INTERFACES.md): CSV with ``,`` ``;`` or tab between fields, UTF-8 with or
without a BOM or cp1251, quoted multi-line fields, or JSON Lines. The text column is
``text_column`` when given, else the first of :data:`TEXT_COLUMNS` the header has; the optional
columns ``created_at``, ``id`` and ``channel`` are read when present.

Each text is cleaned the way a writer would read it (:func:`clean_message`): HTML reduced to
text, quoted earlier replies and signatures cut off, whitespace collapsed, and personal data
masked (:func:`search.privacy.mask`). Rows whose text is empty after that are counted and
skipped, rows that cannot be read at all (a broken JSON line) are counted as bad: neither is
ever fatal. Only a file that cannot be opened, or a CSV without a usable text column, raises
:class:`QuestionsError`.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kb_helpcenter.search.privacy import mask

TEXT_COLUMNS = ("question", "text", "subject", "body", "message", "вопрос", "текст", "тема", "сообщение")
DELIMITERS = (",", ";", "\t")
MAX_CHARS = 2000  # a question, not a thread: the rest of a long message is context

csv.field_size_limit(10 * 1024 * 1024)


class QuestionsError(Exception):
    """A questions file that cannot be read at all; the message names the file and why."""


@dataclass(frozen=True)
class TicketQuestion:
    """One question from an export: cleaned and masked text, and what the row said about it."""

    text: str
    created_at: datetime | None = None
    id: str = ""
    channel: str = ""


@dataclass
class ParsedQuestions:
    """What :func:`read_questions` found in one file."""

    path: str
    format: str  # "csv" or "jsonl"
    encoding: str
    delimiter: str = ""
    text_column: str = ""
    questions: list[TicketQuestion] = field(default_factory=list)
    skipped_empty: int = 0  # rows without text (after cleaning)
    skipped_bad: int = 0  # rows that could not be read (broken JSON, not an object)

    def summary(self) -> str:
        """One line for stderr: ``tickets.csv: 120 questions, 3 empty rows skipped``."""
        parts = [f"{len(self.questions):,} questions"]
        if self.skipped_empty:
            parts.append(f"{self.skipped_empty:,} empty rows skipped")
        if self.skipped_bad:
            parts.append(f"{self.skipped_bad:,} unreadable rows skipped")
        return f"{self.path}: " + ", ".join(parts)


# ---- cleaning one message --------------------------------------------------------------------

_DROP_ELEMENTS = re.compile(r"<(script|style|head|title|blockquote)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_BREAKS = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h[1-6]|hr)\b[^>]*>", re.I)
_TAG = re.compile(r"<!--.*?-->|<[a-zA-Z/!][^>]*>", re.S)
# A line that starts a quoted earlier message: everything from it on is history, not the question.
_QUOTE_HEADERS = re.compile(
    r"""^\s*(?:
        -{2,}\s*(?:original\s+message|исходное\s+сообщение|forwarded\s+message|пересылаемое\s+сообщение)\s*-{2,}
      | _{10,}
      | (?:on\s.{0,120}\swrote:)
      | .{0,160}\sпишет:
      | .{0,160}\sнаписал[аи]?:
      | (?:from|от|кому|to|sent|отправлено|date|дата):\s.*
        (?:\n\s*(?:sent|отправлено|to|кому|subject|тема|date|дата):\s.*)+
    )\s*$""",
    re.I | re.M | re.X,
)
# A line that starts a signature: everything from it on is the sender, not the question.
_SIGNATURE = re.compile(
    r"""^\s*(?:
        --\s*
      | (?:с\s+уважением|с\s+наилучшими\s+пожеланиями|всего\s+доброго|best\s+regards|kind\s+regards|regards
         |best\s+wishes|cheers|thanks\s+and\s+regards|sincerely)\b[,.!]?.*
      | (?:отправлено\s+с\s+(?:iphone|ipad|android|моего)|sent\s+from\s+my)\b.*
    )$""",
    re.I | re.M | re.X,
)
_QUOTED_LINE = re.compile(r"^\s*>.*$\n?", re.M)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def strip_html(text: str) -> str:
    """Text of an HTML fragment: tags dropped, breaks kept, entities decoded, quotes removed.

    ``strip_html("<p>Не&nbsp;приходит <b>SMS</b></p><blockquote>старое</blockquote>")`` is
    ``"Не приходит SMS\\n"``. Scripts, styles and ``<blockquote>`` (quoted replies) go whole.
    """
    if "<" not in text and "&" not in text:
        return text
    text = _DROP_ELEMENTS.sub(" ", text)
    text = _BREAKS.sub("\n", text)
    text = _TAG.sub(" ", text)
    return html.unescape(text).replace("\xa0", " ")


def clean_message(text: str) -> str:
    """A message as a question: HTML, quoted replies and signatures removed, masked, one line.

    >>> clean_message("Где мой заказ?\\n\\n> старый ответ\\n--\\nИван, +7 999 123-45-67")
    'Где мой заказ?'
    """
    text = strip_html(text.replace("\r\n", "\n").replace("\r", "\n"))
    match = _QUOTE_HEADERS.search(text)
    if match:
        text = text[: match.start()]
    text = _QUOTED_LINE.sub("", text)
    match = _SIGNATURE.search(text)
    if match and match.start() > 0:  # a message that is all "signature" keeps its text
        text = text[: match.start()]
    text = _SPACES.sub(" ", _BLANK_LINES.sub("\n", text)).strip()
    text = " ".join(line.strip() for line in text.split("\n") if line.strip())
    return mask(text[:MAX_CHARS].strip())


# ---- reading files ---------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (a BOM is dropped), UTF-16 with a BOM, else cp1251."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace"), "cp1251"


def parse_time(value: object) -> datetime | None:
    """A timestamp as exports write them (ISO 8601, ``DD.MM.YYYY[ HH:MM[:SS]]``, Unix seconds);
    ``None`` when there is none or it cannot be read. Times without a zone are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_unix(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        return _from_unix(float(text))
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
    except ValueError:
        for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _from_unix(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def read_questions(path: Path, *, text_column: str | None = None) -> ParsedQuestions:
    """Every question of one export file (CSV or JSON Lines), cleaned and masked."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    text, encoding = decode(data)
    text_column = text_column.strip().lower() if text_column else None
    if _looks_like_jsonl(path, text):
        parsed = ParsedQuestions(str(path), "jsonl", encoding, text_column=text_column or "")
        rows = _jsonl_rows(text, parsed)
    else:
        delimiter, header = _sniff(text)
        column = _pick_column(header, text_column, path)
        parsed = ParsedQuestions(str(path), "csv", encoding, delimiter, column)
        rows = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows.fieldnames = [name.strip().lower() for name in rows.fieldnames or ()]
        text_column = column
    for row in rows:
        column = text_column or _first_text_key(row)
        value = row.get(column) if column else None
        cleaned = clean_message(str(value)) if value not in (None, "") else ""
        if not cleaned:
            parsed.skipped_empty += 1
            continue
        parsed.questions.append(TicketQuestion(
            text=cleaned,
            created_at=parse_time(row.get("created_at")),
            id=str(row.get("id") or ""),
            channel=str(row.get("channel") or ""),
        ))
    return parsed


def _looks_like_jsonl(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    return text.lstrip().startswith("{")


def _jsonl_rows(text: str, parsed: ParsedQuestions) -> Iterator[dict]:
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            parsed.skipped_bad += 1
            continue
        if not isinstance(row, dict):
            parsed.skipped_bad += 1
            continue
        yield {str(k).strip().lower(): v for k, v in row.items()}


def _first_text_key(row: dict) -> str | None:
    return next((name for name in TEXT_COLUMNS if name in row), None)


def _sniff(text: str) -> tuple[str, list[str]]:
    """The delimiter that splits the header into the most columns (a known text column wins)."""
    best: tuple[tuple[bool, int], str, list[str]] | None = None
    first = next(csv.reader(io.StringIO(text, newline="")), [""])
    for delimiter in DELIMITERS:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        names = [h.strip().lower() for h in header]
        key = (any(n in TEXT_COLUMNS for n in names), len(names))
        if best is None or key > best[0]:
            best = (key, delimiter, names)
    assert best is not None
    return (best[1], best[2]) if best[2] else (",", [h.strip().lower() for h in first])


def _pick_column(header: list[str], wanted: str | None, path: Path) -> str:
    if wanted:
        if wanted.strip().lower() in header:
            return wanted.strip().lower()
        raise QuestionsError(f"{path}: no column {wanted!r}; the header has: {', '.join(header) or 'nothing'}")
    column = next((name for name in TEXT_COLUMNS if name in header), None)
    if column is None:
        raise QuestionsError(
            f"{path}: no text column; expected one of {', '.join(TEXT_COLUMNS)}, found: "
            f"{', '.join(header) or 'nothing'} (hint: --text-column NAME)"
        )
    return column
