"""``kb gaps`` as a library call: inputs → analysis → report files (drafts are the CLI's).

    >>> run = run_report(project, GapsRequest(questions_files=(Path("tickets.csv"),), since_days=30))
    >>> run.paths
    [PosixPath('.../reports/gaps.html'), ...]

Stages, one call each: open the engine and the manifest; read the exports; read the event log;
find the gaps; write the formats. Problems the user can fix raise :class:`GapsError` with a
message that says what to do; progress goes to ``echo``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kb_helpcenter.search.engine.index import IndexError_
from kb_helpcenter.search.engine.searcher import Engine
from kb_helpcenter.search.events.learned import learned_aliases
from kb_helpcenter.search.events.schema import EventStoreError
from kb_helpcenter.search.events.store import EventStore, store_path
from kb_helpcenter.search.gaps.find import QuestionSet, find_gaps
from kb_helpcenter.search.gaps.inputs import add_events, add_export, article_questions, article_signals, cached_search
from kb_helpcenter.search.gaps.method import Embed
from kb_helpcenter.search.gaps.model import GapReport
from kb_helpcenter.search.gaps.questions import QuestionsError, read_questions
from kb_helpcenter.search.gaps.report.context import ReportContext
from kb_helpcenter.search.gaps.report.formats import FORMATS, write_reports
from kb_helpcenter.search.manifest import ManifestError, load_manifest
from kb_helpcenter.search.meaning import minilm
from kb_helpcenter.search.meaning.vectors import stored_vectors

Echo = Callable[[str], None]


class GapsError(Exception):
    """A report that cannot be made (no index, unreadable file, bad option); exit status 1."""


@dataclass(frozen=True)
class GapsRequest:
    """The options of ``kb gaps``."""

    questions_files: tuple[Path, ...] = ()
    text_column: str | None = None
    use_events: bool = False
    since_days: int | None = None
    out_dir: Path = Path("reports")
    formats: tuple[str, ...] = FORMATS
    now: datetime | None = None
    retention_days: int = 365
    #: Learned aliases (search.events.learned): listed for writers unless learning is off;
    #: ``rejected`` are the project's ``kb/_learned.yml`` pairs.
    learn: bool = True
    rejected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GapsRun:
    """What :func:`run_report` made."""

    report: GapReport
    paths: list[Path]


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html, md"`` → ``("html", "md")``; unknown names raise ``ValueError``."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise ValueError(f"--format: expected some of {', '.join(FORMATS)}, got {text!r}")
    return names


class StderrProgress:
    """A one-line progress bar on stderr for the long stage (the engine), at most 5 updates a second."""

    def __init__(self, echo: Echo) -> None:
        self.echo = echo
        self.shown = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < 2000:
            return
        now = time.monotonic()
        if done < total and now - self.shown < (0.2 if self.tty else 10):
            return
        self.shown = now
        width = 30
        filled = width * done // max(total, 1)
        line = f"kb: {stage} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if done >= total else ""))
            sys.stderr.flush()
        else:
            self.echo(line)


def sentence_encoder(index: Path | None = None) -> Embed | None:
    """The optional English encoder as :func:`find_gaps` takes it, or ``None`` when it is not
    installed. It loads on first use: Russian questions never pay for it. Texts whose vectors
    the search index at ``index`` already holds (its articles' English titles and aliases,
    :mod:`search.meaning.vectors`) are taken from there, not embedded again."""
    if not minilm.available()[0]:
        return None
    stored: dict[str, Any] = {}
    loaded = False

    def embed(texts: list[str]) -> Any:
        nonlocal loaded
        import numpy as np

        if not loaded:
            loaded = True
            vectors = stored_vectors(index.resolve()) if index is not None and index.exists() else None
            if vectors is not None:
                stored.update(zip(vectors.texts, vectors.matrix, strict=True))
        keys = [" ".join(t.split()) for t in texts]
        new = sorted({k for k in keys if k not in stored})
        fresh = dict(zip(new, minilm.shared_encoder().encode(new), strict=True)) if new else {}
        rows = [stored[k] if k in stored else fresh[k] for k in keys]
        return np.stack(rows).astype(np.float32) if rows else minilm.shared_encoder().encode([])

    return embed


def run_report(project: Path, request: GapsRequest, *, echo: Echo = lambda line: None) -> GapsRun:
    """Make the report for ``project`` (see the module docstring)."""
    project = project.resolve()
    now = request.now or datetime.now(UTC)
    since = now - timedelta(days=request.since_days) if request.since_days else None
    try:
        engine = Engine.open(project / ".kb" / "index")
        manifest = load_manifest(project / ".kb" / "manifest.json")
    except (IndexError_, ManifestError) as exc:
        raise GapsError(f"{exc} (run `kb build` first)") from exc
    questions = QuestionSet(now=now, since=since)
    inputs: dict = {"questions_files": [], "events": None, "since": since.isoformat() if since else None}
    for path in request.questions_files:
        try:
            parsed = read_questions(path, text_column=request.text_column)
        except QuestionsError as exc:
            raise GapsError(str(exc)) from exc
        add_export(questions, parsed)
        echo(f"kb: {parsed.summary()}")
        inputs["questions_files"].append({
            "path": path.name, "format": parsed.format, "encoding": parsed.encoding,
            "questions": len(parsed.questions), "skipped_empty": parsed.skipped_empty,
            "skipped_bad": parsed.skipped_bad,
        })
    most_no: tuple = ()
    most_sent: tuple = ()
    learned: tuple = ()
    titles = {a.id: a.title for a in manifest.articles}
    asked = article_questions(manifest)  # each article's title and aliases
    if request.use_events or not request.questions_files:
        path = store_path(project)
        if not path.exists():
            if request.use_events:
                raise GapsError(f"no event store at {path}: events are recorded by `kb serve` once people search")
            raise GapsError("nothing to analyse: give --questions FILE, or serve the site so searches are recorded")
        try:
            with EventStore(path, retention_days=request.retention_days, create=False) as store:
                inputs["events"] = add_events(questions, store)
                most_no, most_sent = article_signals(store, titles, since=since)
                if request.learn:
                    learned = tuple(learned_aliases(store, now=now, rejected=request.rejected, articles=asked))
        except EventStoreError as exc:
            raise GapsError(str(exc)) from exc
        echo("kb: events: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in inputs["events"].items()))
    report = find_gaps(questions, cached_search(engine), articles=asked,
                       progress=StderrProgress(echo), embed=sentence_encoder(project / ".kb" / "index"))
    context = ReportContext(inputs=inputs, most_no_votes=most_no, most_sent=most_sent,
                            learned=tuple((a, titles.get(a.article_id, "")) for a in learned))
    out_dir = request.out_dir if request.out_dir.is_absolute() else project / request.out_dir
    paths = write_reports(report, context, out_dir, formats=request.formats)
    t = report.totals
    echo(f"kb: {t['questions']:,} questions, {t['answered']:,} answered, {t['near_miss']:,} near misses, "
         f"{t['unanswered']:,} unanswered in {len(report.new_articles()):,} topics; closeness by {report.method.note}")
    return GapsRun(report, paths)
