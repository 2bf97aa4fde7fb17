"""``kb check`` and ``kb build``: the orchestrators. Each stage is one call.

check: config → load → cross-article checks.
build: check → stage → run the builder into a temp dir → short links and redirects →
manifest → search index → swap ``site/`` in whole. A failure at any step leaves the
previous ``site/`` as it was.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb_helpcenter.generator.builder import BuilderError, run_builder
from kb_helpcenter.generator.checks import article_anchors, check_all, check_raw_html
from kb_helpcenter.generator.fallback import write_fallback_index
from kb_helpcenter.generator.generation import current, export_site, make_current, new_generation, remove_stale_work
from kb_helpcenter.generator.learning import project_learned, rejected
from kb_helpcenter.generator.links import redirects_for, tombstones_for, write_stubs
from kb_helpcenter.generator.loader import Loaded, load
from kb_helpcenter.generator.manifest import manifest_dict, write_manifest
from kb_helpcenter.generator.model import ContentError, Location, Problem, sort_problems
from kb_helpcenter.generator.published import (
    PUBLISHED_FILE,
    Published,
    check_published,
    load_published,
    updated_entries,
    write_published,
)
from kb_helpcenter.generator.sanitize import clean_pages
from kb_helpcenter.generator.siteconfig import SiteConfig, load_site_config
from kb_helpcenter.generator.stage import write_stage
from kb_helpcenter.search.engine.index import write_index
from kb_helpcenter.search.manifest import manifest_from_dict
from kb_helpcenter.search.meaning.models import summary as meaning_summary
from kb_helpcenter.site_theme import THEME_DIR

STATE_DIR = ".kb"
SITE_DIR = "site"
INDEX_DIR = "index"

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"kb: {message}", file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


@dataclass
class CheckResult:
    """The outcome of :func:`check`: what was loaded and every problem found."""

    config: SiteConfig | None
    loaded: Loaded
    problems: list[Problem] = field(default_factory=list)
    published: Published = field(default_factory=Published)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


@dataclass(frozen=True)
class BuildResult:
    site_dir: Path
    articles: int
    redirects: int
    warnings: list[Problem]
    seconds: float


def check(project: Path) -> CheckResult:
    """Load and validate the project; never raises for content problems."""
    project = project.resolve()
    problems: list[Problem] = []
    try:
        config = load_site_config(project)
    except ContentError as exc:
        config = None
        problems.extend(exc.problems)
    loaded = load(project)
    problems.extend(loaded.problems)
    problems.extend(check_all(loaded.kb, loaded.assets, loaded.unloaded))
    if config is None or config.raw_html == "sanitize":
        problems.extend(check_raw_html(loaded.kb))
    published = load_published(project)
    problems.extend(check_published(loaded.kb, published, article_anchors(loaded.kb)))
    try:
        rejected(project)  # kb/_learned.yml: read by every build that learns
    except ContentError as exc:
        problems.extend(exc.problems)
    return CheckResult(config, loaded, sort_problems(problems), published)


def build(project: Path, *, drafts: bool = False, strict: bool = False, dev_reload: bool = False,
          progress: Progress | None = None) -> BuildResult:
    """Build the help site of ``project``; raise :class:`ContentError` on content errors.

    A production build (not ``drafts``, not ``dev_reload``) also records the published URLs and
    anchors in ``kb/_published.yml``; previews never do.
    """
    say = progress or _quiet
    started = time.perf_counter()
    project = project.resolve()
    result = check(project)
    blocking = result.problems if strict else result.errors
    if blocking or result.config is None:
        raise ContentError(blocking or result.problems)
    config, kb = result.config, result.loaded.kb
    articles = kb.published(drafts=drafts)
    say(f"checked {len(kb.articles)} articles ({len(result.warnings)} warnings)")

    state = project / STATE_DIR
    state.mkdir(exist_ok=True)
    tombstones = tuple(tombstones_for(articles, result.published.entries))
    marker = secrets.token_hex(12)  # unguessable: a body cannot close its own region early
    stage = write_stage(kb, config, state / "stage", theme_dir=THEME_DIR, tombstones=tombstones,
                        assets=result.loaded.assets, drafts=drafts, dev_reload=dev_reload, body_marker=marker)
    say(f"staged {len(articles)} pages")

    remove_stale_work(state)
    generation = new_generation(state)  # site, index and manifest: current together, or not at all
    out = generation / "site"
    try:
        try:
            builder_warnings = run_builder(stage.config_file, out)
        except BuilderError as exc:
            raise ContentError([Problem(Location("mkdocs.yml"), "", f"the site builder failed: {exc}")]) from None
        warnings = result.warnings + [
            Problem(Location(".kb/stage"), "", f"builder: {message}", severity="warning")
            for message in builder_warnings
        ]
        if strict and builder_warnings:
            raise ContentError(warnings)
        say(f"rendered the site in {time.perf_counter() - started:.1f} s")
        scripted = clean_pages(out, marker, sanitize=config.raw_html == "sanitize", language=config.language)
        dropped = drop_unused_assets(out)
        say(f"left out what the site does not use: {dropped / 1e6:.1f} MB (Material's own search, source maps)")
        cleaned = {p.location.path for p in result.warnings if p.message.startswith("raw HTML: ")}
        if cleaned:
            say(f"raw HTML: removed what could run from {len(cleaned)} article(s) (kb check lists it)")
        redirects = redirects_for(articles, result.published.entries)
        write_stubs(out, redirects, site_url=config.site_url)
        if scripted:
            warnings.append(Problem(Location(SITE_DIR + "/" + scripted[0]), "", (
                f"{len(scripted)} page(s) carry an inline <script> ({', '.join(scripted[:3])}"
                f"{', ...' if len(scripted) > 3 else ''}): kb serve's Content-Security-Policy blocks it"),
                severity="warning", hint="move the script to a file under site_theme or kb/, or remove it"))
        manifest = manifest_dict(kb, articles, site_url=config.site_url)
        records = manifest_from_dict(manifest)
        previous = current(state)
        learned = project_learned(project, records, enabled=config.learn)
        index = write_index(records, generation / "index", say=say,
                            previous=previous / "index" if previous else _older_index(state),
                            learned=[(a.article_id, a.question, a.weight) for a in learned])
        if learned:
            say(f"search learned {len(learned)} question(s) from operators and customers (kb learn lists them)")
        say(f"indexed {index.articles} articles for search in {index.seconds:.1f} s"
            + (f" ({index.vectors} English questions with sentence vectors)" if index.vectors else ""))
        meaning = meaning_summary()
        if not index.vectors and not meaning.startswith("no "):
            meaning += " (no English titles or aliases here: Russian text is ranked by words)"
        say(f"meaning: {meaning}")
        fallback_bytes = write_fallback_index(out, records)
        say(f"wrote the static fallback search index ({fallback_bytes / 1024:.0f} KB)")
        write_manifest(generation / "manifest.json", manifest)
        make_current(state, generation)  # one rename: from here the service answers with this build
        export_site(out, project / SITE_DIR, state=state)
        if not drafts and not dev_reload:
            anchors = {r["id"]: frozenset(h["id"] for h in r["headings"]) for r in manifest["articles"]}
            if write_published(project, updated_entries(result.published, articles, anchors)):
                say(f"updated {PUBLISHED_FILE}: commit it with your changes")
    except BaseException:
        if current(state) != generation.resolve():
            shutil.rmtree(generation, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    say(f"built {len(articles)} articles into {SITE_DIR}/ in {seconds:.1f} s")
    return BuildResult(project / SITE_DIR, len(articles), len(redirects), warnings, seconds)


#: What Material ships that a kb site never loads: its lunr search and its worker (kb's search
#: is its own, see site_theme/assets/kb/search-*.js) and the bundles' source maps.
UNUSED_ASSETS = ("assets/javascripts/lunr", "assets/javascripts/workers")
_SOURCE_MAP = re.compile(rb"\n?/[/*]# sourceMappingURL=[^\n]*?(?:\*/)?\s*$")


def drop_unused_assets(site: Path) -> int:
    """Remove :data:`UNUSED_ASSETS` and every ``*.map`` from the built ``site`` (and the
    bundles' last-line pointers to their maps); return the bytes saved."""
    saved = 0
    for rel in UNUSED_ASSETS:
        folder = site / rel
        if folder.is_dir():
            saved += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder)
    for source_map in site.joinpath("assets").rglob("*.map"):
        saved += source_map.stat().st_size
        source_map.unlink()
    for bundle in (*site.joinpath("assets").rglob("*.min.js"), *site.joinpath("assets").rglob("*.min.css")):
        data = bundle.read_bytes()
        stripped = _SOURCE_MAP.sub(b"", data)
        if stripped != data:
            bundle.write_bytes(stripped)
    return saved


def _older_index(state: Path) -> Path | None:
    """The index of a build made before generations (``.kb/index`` -> ``index-<version>-<ns>``),
    so that the first build after an upgrade re-uses its sentence vectors."""
    link = state / INDEX_DIR
    return link.resolve() if link.is_symlink() and link.exists() else None


stderr_progress = _stderr
