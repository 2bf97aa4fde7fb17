"""``kb doctor``: what is installed and active here, and what each missing part costs.

    >>> report = diagnose(Path("my-help"))
    >>> print(render_text(report))
    kb 0.1.0 · Python 3.11.7 · Linux x86_64
    ok       packages          mkdocs 1.6.1, mkdocs-material 9.7.0, whoosh 2.7.4, ...
    ...

Each :class:`Check` is one line: a part, its state (``ok``, ``missing``, ``off``, ``stale``,
``error``), what was found, and for anything not ``ok`` what that costs and what to run. Nothing
here writes: the event store is opened read-only, the index is only read.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import shutil
import sqlite3
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

#: The distributions whose versions decide how kb behaves.
PACKAGES = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "whoosh", "pymorphy3",
            "pymorphy3-dicts-ru", "starlette", "uvicorn", "click")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


@dataclass(frozen=True)
class Check:
    """One part of the installation or the project, and its state."""

    part: str
    state: str  # ok | missing | off | stale | error | none
    found: str
    cost: str = ""  # what is lost while it is not ok
    fix: str = ""  # what to run


@dataclass(frozen=True)
class Report:
    """Everything ``kb doctor`` found."""

    version: str
    python: str
    platform: str
    checks: tuple[Check, ...]

    @property
    def broken(self) -> bool:
        """True when a part kb cannot work without is missing or failing."""
        return any(c.state == "error" for c in self.checks)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_packages() -> Check:
    """The versions of the packages kb stands on; an error when one is missing."""
    versions = {name: _version(name) for name in PACKAGES}
    missing = [name for name, v in versions.items() if v is None]
    found = ", ".join(f"{name} {v}" for name, v in versions.items() if v)
    if missing:
        return Check("packages", "error", found, cost=f"kb cannot run without {', '.join(missing)}",
                     fix="pip install --upgrade kb-helpcenter")
    return Check("packages", "ok", found)


def check_dictionaries() -> Check:
    """The Russian morphology dictionaries (pymorphy3-dicts-ru), loaded and used once."""
    try:
        from kb_helpcenter.search.engine.analysis import lemma

        seen = lemma("заявки")
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        return Check("russian dictionaries", "error", f"{type(exc).__name__}: {exc}",
                     cost="Russian inflections are not understood (заявки ≠ заявка)",
                     fix="pip install --force-reinstall pymorphy3-dicts-ru")
    state = "ok" if seen == "заявка" else "error"
    return Check("russian dictionaries", state, f"pymorphy3-dicts-ru {_version('pymorphy3-dicts-ru')}: "
                 f"заявки -> {seen}")


def check_models() -> list[Check]:
    """Each sentence model: active, switched off, or missing with what that costs."""
    from kb_helpcenter.search.meaning.models import INSTALL, statuses

    out = []
    for model in statuses():
        part = f"meaning: {model.language}"
        if model.active:
            out.append(Check(part, "ok", f"{model.name} ({model.package}): {model.used_for}"))
        elif "KB_SEMANTIC" in model.reason:
            out.append(Check(part, "off", f"{model.name}: switched off by {model.reason}", cost=model.without,
                             fix="unset KB_SEMANTIC"))
        else:
            out.append(Check(part, "missing", f"{model.name}: {model.reason}", cost=model.without, fix=INSTALL))
    return out


def check_project(project: Path) -> list[Check]:
    """The project's site, search index and event store, when ``project`` is one."""
    if not (project / "mkdocs.yml").is_file():
        return [Check("project", "none", f"{project}: no mkdocs.yml here (kb init DIR makes a project)")]
    from kb_helpcenter.search.engine.index import IndexUnavailable, read_meta, resolve_index

    out = [Check("project", "ok", str(project))]
    site = project / "site" / "index.html"
    out.append(Check("site", "ok", f"{project / 'site'} ({sum(1 for _ in (project / 'site').rglob('*.html'))} pages)")
               if site.is_file() else
               Check("site", "missing", "not built yet", cost="nothing to serve", fix="kb build"))
    try:
        target = resolve_index(project / ".kb" / "index")
        meta = read_meta(target)
        vectors = _vector_rows(target)
        vectors = f", {vectors} English questions with sentence vectors" if vectors else ", no sentence vectors"
        learned = meta.get("learned") or 0
        loanwords = len(meta.get("loanwords") or ())
        found = (f"version {meta.get('version')}, {meta.get('articles')} articles{vectors}, "
                 f"{loanwords} loanword groups, {learned} learned questions (kb learn)")
        out.append(Check("search index", "ok", found))
    except IndexUnavailable as exc:
        state = "missing" if "no search index" in str(exc) else "stale"
        out.append(Check("search index", state, str(exc), cost="kb serve rebuilds it at start; kb search fails",
                         fix="kb build"))
    out.append(check_events(project / ".kb" / "events.sqlite"))
    return out


def _vector_rows(index: Path) -> int:
    from kb_helpcenter.search.meaning.vectors import VECTORS_META

    try:
        return len(json.loads((index / VECTORS_META).read_text(encoding="utf-8")).get("ids", []))
    except (OSError, ValueError, AttributeError):
        return 0


def check_events(path: Path) -> Check:
    """The event store, read-only: size, migrations applied, events per kind."""
    if not path.is_file():
        return Check("event store", "none", f"{path}: no events yet (kb serve creates it)")
    from kb_helpcenter.search.events.schema import KINDS, MIGRATIONS, applied_migrations

    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as conn:
            applied = applied_migrations(conn)
            counts = {kind: conn.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]  # noqa: S608 - fixed names
                      for kind in KINDS}
    except sqlite3.Error as exc:
        return Check("event store", "error", f"{path}: {exc}", cost="events cannot be recorded or read",
                     fix="check the file's permissions; restore it from a backup if it is damaged")
    size = path.stat().st_size / 1e6
    events = ", ".join(f"{n:,} {kind}" for kind, n in counts.items())
    pending = len(MIGRATIONS) - len(applied)
    spooled = 0
    for spool in (path.parent / "spool").glob("events-*.jsonl*"):
        with spool.open(encoding="utf-8", errors="replace") as lines:
            spooled += sum(1 for _ in lines)
    state = "ok" if pending == 0 and not spooled else "stale"
    found = f"{path} ({size:.1f} MB; {events}; schema {len(applied)}/{len(MIGRATIONS)} migrations)"
    if spooled:
        return Check("event store", state, found + f"; {spooled:,} events spooled, not stored yet",
                     cost="they are kept in .kb/spool/ and stored when the store takes writes again",
                     fix="kb serve stores them (check that nothing else holds events.sqlite locked)")
    return Check("event store", state, found, **({"cost": "older schema", "fix": "kb serve migrates it at start"}
                                                 if pending else {}))


def check_browser() -> Check:
    """Chromium, which only kb's own test suite needs (``make test`` installs it where it can)."""
    path = next((p for p in map(shutil.which, BROWSERS) if p), None)
    if path:
        return Check("browser (tests only)", "ok", path)
    return Check("browser (tests only)", "missing", "no Chromium on PATH",
                 cost="only kb's browser tests need it; sites and search do not",
                 fix="make test installs it (sudo apt-get install chromium)")


def diagnose(project: Path) -> Report:
    """Every check, in the order ``kb doctor`` prints them."""
    checks = [check_packages(), check_dictionaries(), *check_models(), *check_project(project.resolve()),
              check_browser()]
    return Report(version=_version("kb-helpcenter") or "unknown", python=platform.python_version(),
                  platform=f"{platform.system()} {platform.machine()}", checks=tuple(checks))


def render_text(report: Report) -> str:
    """The report as aligned lines, with cost and fix under anything that is not ok."""
    lines = [f"kb {report.version} · Python {report.python} · {report.platform} · {sys.executable}"]
    width = max(len(c.part) for c in report.checks)
    for c in report.checks:
        lines.append(f"{c.state:<8} {c.part:<{width}}  {c.found}")
        if c.cost:
            lines.append(f"{'':<8} {'':<{width}}  without it: {c.cost}")
        if c.fix:
            lines.append(f"{'':<8} {'':<{width}}  run: {c.fix}")
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """The report as JSON (``kb doctor --format json``)."""
    return json.dumps({**asdict(report), "broken": report.broken}, ensure_ascii=False, indent=2)
