"""Events written off the request path: a bounded queue, one writer thread, and a spool file.

The service hands every event to :meth:`EventWriter.submit`, which never waits for SQLite: the
writer thread stores events in order. When the store cannot take one (another process holds
the file locked, the disk is full, the file is read-only), the event goes to an append-only
spool file instead (``.kb/spool/events-<pid>.jsonl``, one JSON line per event, flushed at once),
and the writer replays the spool into the store as soon as the store answers again. Spools
left by a process that died (``kill -9``) are replayed by the next writer that starts. So a
locked or slow store never delays a search, and an accepted event is never lost:

- :data:`Outcome.STORED` — in the store;
- :data:`Outcome.QUEUED` — accepted, not yet in the store (waiting in the queue or the spool);
- :data:`Outcome.REFUSED` — not accepted: the spool is full (the service answers 503).

Replaying is at least once: a process killed in the middle of a replay replays that part again.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from kb_helpcenter.search.events.clean import EventError
from kb_helpcenter.search.events.schema import EventStoreError, parse_stamp, stamp
from kb_helpcenter.search.events.store import EventStore

log = logging.getLogger("kb.events")

QUEUE_SIZE = 10_000
#: The spool takes at most this much before events are refused (about 100,000 searches).
SPOOL_MAX_BYTES = 32 * 1024 * 1024
#: After a failed write, the store is tried again this much later (events spool meanwhile).
RETRY_SECONDS = 1.0
#: At most this many queued events go into one transaction.
BATCH = 500


class Outcome(Enum):
    STORED = "stored"
    QUEUED = "queued"
    REFUSED = "refused"


_KINDS: dict[str, Callable[..., Any]] = {
    "query": EventStore.record_query,
    "click": EventStore.record_click,
    "feedback": EventStore.record_feedback,
    "sent_link": EventStore.record_sent_link,
}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EventWriter:
    """One writer thread for ``store``; events it cannot store wait in ``spool_dir``."""

    def __init__(self, store: EventStore, spool_dir: Path, *, queue_size: int = QUEUE_SIZE,
                 spool_max_bytes: int = SPOOL_MAX_BYTES, retry_seconds: float = RETRY_SECONDS) -> None:
        self.store = store
        self.spool_dir = Path(spool_dir)
        self.spool_max_bytes = spool_max_bytes
        self.retry_seconds = retry_seconds
        self._queue: queue.Queue[tuple[str, dict[str, Any], Future[Outcome]] | None] = queue.Queue(queue_size)
        self._spool_lock = threading.Lock()
        self._retry_at = 0.0
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="kb-event-writer", daemon=True)
        self._thread.start()

    # -- the request side ----------------------------------------------------------------

    def submit(self, kind: str, fields: dict[str, Any]) -> Future[Outcome]:
        """Accept one event (``kind``: query, click, feedback, sent_link); never blocks.

        ``fields`` are the keyword arguments of the store's ``record_*`` method; ``at`` is set
        to now when missing, so a queued event keeps the time it happened.
        """
        if kind not in _KINDS:
            raise ValueError(f"kind: expected one of {', '.join(_KINDS)}, got {kind!r}")
        fields = {**fields, "at": fields.get("at") or datetime.now().astimezone()}
        done: Future[Outcome] = Future()
        try:
            self._queue.put_nowait((kind, fields, done))
        except queue.Full:
            done.set_result(self._spool(kind, fields))
        return done

    @property
    def spool_path(self) -> Path:
        return self.spool_dir / f"events-{os.getpid()}.jsonl"

    def pending(self) -> dict[str, int]:
        """Events accepted but not stored yet: in the queue, and in this process's spool files."""
        spooled = 0
        for path in self.spool_dir.glob(f"events-{os.getpid()}.jsonl*") if self.spool_dir.is_dir() else ():
            try:
                with path.open("rb") as lines:
                    spooled += sum(1 for _ in lines)
            except OSError:
                continue
        return {"queued": self._queue.qsize(), "spooled": spooled}

    def close(self, timeout: float = 10.0) -> None:
        """Store (or spool) what is queued and stop the thread."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.error("event writer: queue still full at shutdown; %d events not written", self._queue.qsize())
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the writer thread runs (``/healthz`` says so)."""
        return self._thread.is_alive()

    # -- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        self._safely(lambda: self._replay(orphans=True))
        stopping = False
        while not stopping:
            try:
                item = self._queue.get(timeout=self.retry_seconds)
            except queue.Empty:
                self._safely(self._replay)
                continue
            if item is None:
                break
            items = [item]
            while len(items) < BATCH:  # what else is waiting: stored in the same transaction
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True  # stop after this batch (a flag: never a put by the only reader)
                    break
                items.append(more)
            self._safely(lambda batch=items: self._write_batch(batch), items)
            if self._queue.empty():
                self._safely(self._replay)
        self._safely(self._drain)

    def _safely(self, work: Callable[[], Any], items: list | None = None) -> None:
        """Run ``work``; nothing it raises may end the thread (every event would stop there)."""
        try:
            work()
        except Exception:  # noqa: BLE001 - logged, and the batch's callers get an answer
            log.exception("event writer: unexpected error")
            for _, _, done in items or ():
                if not done.done():
                    done.set_result(Outcome.REFUSED)

    def _drain(self) -> None:
        items = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                items.append(item)
        for start in range(0, len(items), BATCH):
            self._write_batch(items[start:start + BATCH])

    def _write_batch(self, items: list[tuple[str, dict[str, Any], Future[Outcome]]]) -> None:
        """Store ``items`` in one transaction; when the store fails, spool every one of them."""
        if self._has_spool() and time.monotonic() >= self._retry_at:
            self._replay()  # what waits goes first: under steady traffic the queue is never empty
        if time.monotonic() < self._retry_at or self._has_spool():
            for kind, fields, done in items:  # keep the order: what is spooled goes in first
                done.set_result(self._spool(kind, fields))
            return
        try:
            with self.store.batch():
                for kind, fields, _ in items:
                    try:
                        _KINDS[kind](self.store, **fields)
                    except EventError as exc:  # the service validated it: a bug, not the visitor's
                        log.warning("event dropped: %s", exc)
        except EventStoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                self._one_by_one(items)  # one event the store can never take must not block the rest
                return
            log.warning("event store unavailable, spooling %d events: %s", len(items), exc)
            self._retry_at = time.monotonic() + self.retry_seconds
            for kind, fields, done in items:
                done.set_result(self._spool(kind, fields))
            return
        for _, _, done in items:
            done.set_result(Outcome.STORED)

    def _one_by_one(self, items: list[tuple[str, dict[str, Any], Future[Outcome]]]) -> None:
        for kind, fields, done in items:
            try:
                _KINDS[kind](self.store, **fields)
            except EventError as exc:
                log.warning("event dropped: %s", exc)
            except EventStoreError as exc:
                if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                    done.set_result(self._spool(kind, fields))
                    continue
                log.warning("event dropped (stored already): %s", exc)
            done.set_result(Outcome.STORED)

    def _has_spool(self) -> bool:
        try:
            return self.spool_path.stat().st_size > 0
        except OSError:
            return False

    def _spool(self, kind: str, fields: dict[str, Any]) -> Outcome:
        # ASCII JSON: any string (a lone surrogate included) is a valid line of the UTF-8 file
        line = json.dumps({"kind": kind, "fields": {**fields, "at": stamp(fields["at"])}}, ensure_ascii=True) + "\n"
        with self._spool_lock:
            try:
                self.spool_dir.mkdir(parents=True, exist_ok=True)
                size = self.spool_path.stat().st_size if self.spool_path.exists() else 0
                if size + len(line) > self.spool_max_bytes:
                    return Outcome.REFUSED
                with self.spool_path.open("a", encoding="utf-8") as spool:
                    spool.write(line)
                    spool.flush()
                    os.fsync(spool.fileno())
            except (OSError, ValueError) as exc:
                log.error("event spool unavailable (%s): event refused", exc)
                return Outcome.REFUSED
        return Outcome.QUEUED

    def _replay(self, *, orphans: bool = False) -> None:
        """Move spooled events into the store, oldest file first; stop at the first failure.
        Files of this process, and of processes that died (``kill -9``), are replayed."""
        if time.monotonic() < self._retry_at or not self.spool_dir.is_dir():
            return
        files = []
        for path in self.spool_dir.glob("events-*.jsonl*"):
            # events-<pid>.jsonl, or events-<pid>.jsonl.replaying-<pid>-<ns>: a rest kept by a replay
            owner = path.name.split("replaying-")[1] if "replaying-" in path.name else path.name[7:]
            pid = owner.split("-")[0].split(".")[0]
            if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
                files.append(path)
        # the oldest first: what a replay kept back is older than what was spooled since
        files.sort(key=lambda p: ("replaying-" not in p.name, p.stat().st_mtime_ns if p.exists() else 0))
        for path in files:
            if not self._replay_file(path):
                return

    def _replay_file(self, path: Path) -> bool:
        with self._spool_lock:
            taking = path.with_name(f"{path.name}.replaying-{os.getpid()}-{time.time_ns()}")
            try:
                path.rename(taking)
            except OSError:
                return True  # gone already (another writer took it)
        try:  # a line cut by a crash or a full disk is skipped, not fatal
            lines = taking.read_bytes().decode("utf-8", errors="replace").splitlines()
        except OSError as exc:
            log.error("spool %s unreadable: %s", taking.name, exc)
            return False
        for number, line in enumerate(lines):
            try:
                event = json.loads(line)
                fields = {**event["fields"], "at": parse_stamp(event["fields"]["at"])}
                _KINDS[event["kind"]](self.store, **fields)
            except EventStoreError as exc:
                if isinstance(exc.__cause__, sqlite3.IntegrityError):
                    continue  # stored already (a replay that was cut short): at least once, not twice
                self._retry_at = time.monotonic() + self.retry_seconds
                rest = "".join(f"{left}\n" for left in lines[number:])
                try:
                    with self._spool_lock, taking.open("w", encoding="utf-8") as keep:
                        keep.write(rest)  # kept in its own file, replayed first next time
                    kept = f"events-{os.getpid()}.jsonl.replaying-{os.getpid()}-{time.time_ns()}"
                    taking.rename(self.spool_dir / kept)
                except OSError as failed:
                    log.error("spool %s: cannot keep the rest (%s)", taking.name, failed)
                return False
            except (ValueError, KeyError, TypeError, EventError) as exc:
                log.warning("spooled event %d of %s dropped: %s", number + 1, path.name, exc)
        taking.unlink(missing_ok=True)
        log.info("replayed %d spooled events from %s", len(lines), path.name)
        return True
