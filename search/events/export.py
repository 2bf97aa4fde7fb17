"""``kb events export``: the event log as CSV or JSON Lines, for other tools.

Every record carries ``kind`` (``queries``, ``clicks``, ``feedback``, ``sent_links``) first, then
the columns of its kind (:data:`~search.events.schema.COLUMNS`). With ``kind="all"`` the kinds are
merged in time order; the CSV header is then the union of their columns and a record leaves the
others empty. In CSV, ``top_ids`` is a JSON list, ``helpful`` is ``true``/``false`` and a missing
value is an empty field. Customers' text starting with ``=``, ``+``, ``-``, ``@`` or a tab gets a
leading ``'`` in CSV (:func:`csv_cell`, which the gap report's
``gaps.csv`` uses too), so a spreadsheet opening the file shows
it instead of running it as a formula; JSON Lines keeps every value as stored.
"""

from __future__ import annotations

import csv
import heapq
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from kb_helpcenter.search.events.clean import check_choice
from kb_helpcenter.search.events.schema import COLUMNS, KINDS
from kb_helpcenter.search.events.store import EventStore

FORMATS = ("csv", "jsonl")


def columns_of(kind: str) -> list[str]:
    """The export columns for ``kind`` (or ``all``): ``kind`` first, then the stored columns."""
    header = ["kind"]
    for name in KINDS if kind == "all" else (kind,):
        header += [column for column in COLUMNS[name] if column not in header]
    return header


def events_of(store: EventStore, kind: str, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The events of ``kind`` (or ``all``, merged by time) with their ``kind`` first."""
    check_choice(kind, field="kind", choices=(*KINDS, "all"))

    def tagged(name: str) -> Iterator[dict[str, Any]]:
        for event in store.iter_events(name, since=since):
            yield {"kind": name, **event}

    if kind != "all":
        return tagged(kind)
    return heapq.merge(*(tagged(name) for name in KINDS), key=lambda event: event["ts"])


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return csv_cell(value)  # text people typed; numbers and stamps cannot start with "="
    return str(value)


def export_events(store: EventStore, out: TextIO, *, kind: str = "all", since: datetime | None = None,
                  fmt: str = "jsonl") -> int:
    """Write the events of ``kind`` to ``out`` as ``fmt`` (``csv`` or ``jsonl``); return how many.

    ``out`` should be opened with ``newline=""`` for CSV (the csv module writes ``\\r\\n``).
    """
    check_choice(fmt, field="format", choices=FORMATS)
    events = events_of(store, kind, since=since)
    count = 0
    if fmt == "csv":
        header = columns_of(kind)
        writer = csv.writer(out)
        writer.writerow(header)
        for event in events:
            writer.writerow([_cell(event.get(column)) for column in header])
            count += 1
    else:
        for event in events:
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            count += 1
    return count
