"""``kb import``: an existing MkDocs site (or any folder of Markdown pages) as a ``kb/``.

:func:`import_tree` reads like its stages: read the source, read every page (VK dialect to
plain Markdown, title and summary), plan where each page goes (sections from folders, ids from
paths), render (links and images re-pointed, front matter written), and move the result in.
Pages it cannot read are listed in :attr:`ImportReport.skipped` with the reason, never dropped
silently; nothing already in ``kb/`` is ever overwritten; the tree is written into a
temporary folder next to ``kb/`` and moved in at the end, so a failure leaves nothing behind.

Layout: a top-level folder is a section, a second-level folder with more than one page a
sub-section, and deeper folders fold into the file name (``a/b/c/d.md`` -> ``kb/a/b/c-d.md``).
Pages at the root go to the ``general`` section. A folder's own page (``index.md``,
``README.md``, or VK's ``x/x.md``) gives the folder's title and takes the folder's path as id.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb_helpcenter.generator.importer.dialect import DEFAULT_VARIABLES, convert, replace_vars
from kb_helpcenter.generator.importer.lists import normalize_list_indent
from kb_helpcenter.generator.importer.plan import Page, plan_layout
from kb_helpcenter.generator.importer.render import render_all
from kb_helpcenter.generator.importer.source import (
    IncludeReader,
    RawPage,
    Source,
    SourceError,
    index_folder,
    load_source,
    read_meta,
    read_page,
    walk_pages,
)
from kb_helpcenter.generator.importer.text import demote_h1, leading_title, prettify, tidy

PROGRESS_EVERY = 500
Progress = Callable[[int, int], None]  # (pages read so far, pages in all)


class ImportFailed(Exception):
    """Nothing was imported: the source is unusable or a target file already exists."""


@dataclass(frozen=True)
class ImportIssue:
    """Something carried over imperfectly (a dead link, a dropped macro), and where."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class ImportReport:
    """What :func:`import_tree` wrote and what it could not carry over (paths below kb/)."""

    kb_dir: Path
    articles: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # the _section.yml files written
    assets: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source path, reason)
    warnings: list[ImportIssue] = field(default_factory=list)
    seconds: float = 0.0

    def warn(self, path: str, message: str) -> None:
        """Record a warning about the source file ``path``."""
        self.warnings.append(ImportIssue(path, message))

    def summary(self) -> str:
        """One line: ``imported 1,470 articles in 19 sections (84 sub-sections); 3 pages ...``."""
        top = sum(1 for s in self.sections if s.count("/") == 1)
        subs = len(self.sections) - top
        text = f"imported {len(self.articles):,} articles in {top:,} sections"
        text += f" ({subs:,} sub-sections)" if subs else ""
        text += f", {len(self.assets):,} images" if self.assets else ""
        text += f"; {len(self.skipped):,} pages skipped" if self.skipped else ""
        text += f"; {len(self.warnings):,} warnings" if self.warnings else ""
        return text

    def details(self, *, all_warnings: bool = False) -> list[str]:
        """The skipped pages with their reasons, then the warnings (counted by kind, or all)."""
        lines = [f"skipped {path}: {reason}" for path, reason in self.skipped]
        if all_warnings:
            lines += [f"warning: {w}" for w in self.warnings]
        else:
            kinds = Counter(_kind(w.message) for w in self.warnings)
            lines += [f"warning: {n:,} × {kind}" for kind, n in kinds.most_common()]
        return lines


def _kind(message: str) -> str:
    """The warning with its particulars removed, to count warnings of one kind together."""
    message = re.sub(r"\([\d,]+ pages\)", "(… pages)", message)
    return re.sub(r"^(\S+) (\S+?|'[^']*'): ", r"\1 …: ", message)


def import_tree(src: Path, kb_dir: Path, *, exclude: Sequence[str] = (),
                progress: Progress | None = None) -> ImportReport:
    """Import the Markdown pages under ``src`` into ``kb_dir`` and report what happened.

    ``src`` is an MkDocs project (``mkdocs.yml`` + ``docs_dir``) or a folder of pages.
    ``exclude`` adds globs over page paths (``**/faq/faq.md``) to the built-in exclusions
    (names starting with ``_`` or ``.``). Raises :class:`ImportFailed`, writing nothing, when
    the source cannot be read or a file to be written already exists in ``kb_dir``.
    """
    started = time.monotonic()
    report = ImportReport(kb_dir=kb_dir)
    try:
        source = load_source(src)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from exc
    paths = walk_pages(source.root, exclude=exclude, skip=[kb_dir])
    pages = read_pages(source, paths, report, progress=progress)
    plan = plan_layout(pages, source, taken_ids=existing_ids(kb_dir), warn=report.warn)
    files, assets = render_all(plan, source, warn=report.warn)
    check_conflicts(kb_dir, [*files, *assets])
    write_atomically(kb_dir, files, assets)
    report.articles = sorted(p.target for p in plan.pages)
    report.sections = sorted(files_named(files, "_section.yml"))
    report.assets = sorted(assets)
    report.seconds = time.monotonic() - started
    return report


def files_named(files: dict[str, str], name: str) -> list[str]:
    """The paths in ``files`` whose file name is ``name``."""
    return [p for p in files if posixpath.basename(p) == name]


# --- reading ---------------------------------------------------------------------------

_KNOWN_KEYS = {"title", "description", "summary", "tags", "aliases", "updated", "date", "status"}


def read_pages(source: Source, paths: Sequence[str], report: ImportReport, *,
               progress: Progress | None = None) -> list[Page]:
    """Read and convert every page; unreadable and empty ones go to ``report.skipped``.

    Folder pages that turn out empty are still returned (``empty=True``): their title names
    the folder even though they do not become articles.
    """
    pages: list[Page] = []
    dropped: Counter[str] = Counter()
    include = IncludeReader(source.root)
    source.variables = {**DEFAULT_VARIABLES, **source.variables}
    for done, path in enumerate(paths, 1):
        raw = read_page(source.root / path)
        if isinstance(raw, RawPage):
            page = read_one(source, path, raw, include, report)
            dropped.update(k for k in raw.front if k not in _KNOWN_KEYS)
            if page.empty:
                report.skipped.append((path, "empty page (nothing but a title)"))
            pages.append(page)
        else:
            report.skipped.append((path, raw.reason))
        if progress and (done % PROGRESS_EVERY == 0 or done == len(paths)):
            progress(done, len(paths))
    for key, count in sorted(dropped.items()):
        report.warn("", f"front-matter {key!r}: kb has no such field, dropped "
                         f"({count:,} page{'' if count == 1 else 's'})")
    return pages


def read_one(source: Source, path: str, raw: RawPage, include: IncludeReader,
             report: ImportReport) -> Page:
    """One readable page as a :class:`Page`: converted body, title, summary, tags, order."""
    def warn(message: str) -> None:
        report.warn(path, message)

    meta = read_meta(source.root / (path.rsplit(".", 1)[0] + ".meta.json"), warn)
    body = convert(raw.body, origin=path, read_include=include, variables=source.variables,
                   warn=warn)
    heading, anchor, body = leading_title(body)
    front = raw.front
    folder = index_folder(path)
    name = posixpath.basename(folder) if folder else posixpath.basename(path).rsplit(".", 1)[0]
    title = (_text(front.get("title")) or source.page_titles.get(path) or _text(meta.get("title"))
             or heading or prettify(name))
    summary = (_text(front.get("description")) or _text(front.get("summary"))
               or _text(meta.get("shortDescription")) or _text(meta.get("description")))
    order = source.page_order.get(path)
    if order is None and isinstance(meta.get("weight"), int):
        order = meta["weight"]
    body = demote_h1(body)
    if not source.mkdocs:  # written for a CommonMark renderer: lists need 4-space nesting
        body = normalize_list_indent(body)
    body = tidy(body)
    return Page(
        source=path, folder=folder, title=replace_vars(title, source.variables),
        summary=replace_vars(summary, source.variables), body=body,
        anchor=anchor, empty=not body.strip(), order=order,
        tags=_texts(front.get("tags")), aliases=_texts(front.get("aliases")),
        updated=_date(front.get("updated") or front.get("date")),
        status=front.get("status") if front.get("status") in ("published", "draft", "archived")
        else None,
    )


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [_text(v) for v in value if _text(v)]


def _date(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    return None


# --- writing ---------------------------------------------------------------------------

_ID_LINE = re.compile(r"^id:\s*['\"]?([a-z0-9-]+)", re.MULTILINE)


def existing_ids(kb_dir: Path) -> set[str]:
    """Ids already used in ``kb_dir``, so imported articles never take one of them."""
    ids: set[str] = set()
    if kb_dir.is_dir():
        for path in kb_dir.rglob("*.md"):
            head = path.read_text(encoding="utf-8", errors="replace")[:2000]
            ids.update(_ID_LINE.findall(head.split("\n---", 1)[0]))
    return ids


def check_conflicts(kb_dir: Path, paths: Sequence[str]) -> None:
    """Refuse to go on when any file to be written already exists: import never overwrites."""
    if kb_dir.exists() and not kb_dir.is_dir():
        raise ImportFailed(f"{kb_dir}: exists and is not a folder")
    clashes = [p for p in paths if (kb_dir / p).exists()]
    if clashes:
        more = f" (and {len(clashes) - 1:,} more)" if len(clashes) > 1 else ""
        raise ImportFailed(
            f"{kb_dir / clashes[0]} already exists{more}; kb import never overwrites: "
            "import into an empty or missing kb/, or move the existing files away")


def write_atomically(kb_dir: Path, files: dict[str, str], assets: dict[str, Path]) -> None:
    """Write everything into a temporary folder next to ``kb_dir``, then move it in."""
    kb_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{kb_dir.name}.import-", dir=kb_dir.parent))
    try:
        for rel, text in files.items():
            (temp / rel).parent.mkdir(parents=True, exist_ok=True)
            (temp / rel).write_text(text, encoding="utf-8")
        for rel, origin in assets.items():
            (temp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, temp / rel)
        if kb_dir.is_dir() and not any(kb_dir.iterdir()):
            kb_dir.rmdir()
        if not kb_dir.exists():
            os.replace(temp, kb_dir)
            return
        check_conflicts(kb_dir, [*files, *assets])  # again: someone may have written meanwhile
        for rel in sorted([*files, *assets]):
            (kb_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp / rel, kb_dir / rel)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
