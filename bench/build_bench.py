"""Build speed: ``kb build`` beside a plain mkdocs-material build of the same Markdown.

    python bench/build_bench.py [--sizes sample,1000,5000] [--repeat N] [--skip-plain-above N]
    python bench/build_bench.py --quick        # sample and 1000, plain mkdocs up to 1000 only

For each size it builds one project with ``kb build`` and a plain MkDocs project (Material,
``language: ru``, kb's Markdown extensions, the default search plugin and MkDocs' full automatic
navigation: what a team gets without kb), each in its own process, and records wall time, ms per
article and the process's peak RSS. ``kb check`` is timed too. The table goes to stdout, progress
to stderr, the figures to ``bench/out/build.json``. Targets (from the issue): kb build at most
30 ms per article at 1,000 and 5,000 articles, and ``kb check`` of 1,000 under 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, Run, generate_kb, run_measured, tail  # noqa: E402

from kb_helpcenter.generator.markdown_config import mkdocs_yaml  # noqa: E402

OUT = REPO / "bench" / "out"
# The venv's kb and mkdocs: the repo's .venv (what `make` installs), else beside this python.
BIN = REPO / ".venv" / "bin" if (REPO / ".venv" / "bin" / "kb").exists() else Path(sys.executable).parent
TARGET_MS_PER_ARTICLE = 30.0
TARGET_CHECK_SECONDS = 3.0
CHECK_TARGET_SIZE = 1000
SKIP_REASON = ("plain mkdocs renders the whole navigation into every page: about 10 minutes "
               "at 5,000 articles")


@dataclass
class Timing:
    """Repeated runs of one command, summarised by the median."""

    runs_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)  # user + system time of each run
    peak_rss_mb: float = 0.0
    skipped: str = ""

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s) if self.runs_s else 0.0

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpu_s) if self.cpu_s else 0.0

    def per_article_ms(self, articles: int) -> float:
        return 1000 * self.median_s / articles if self.runs_s else 0.0


@dataclass
class SizeResult:
    """Everything measured for one size."""

    size: str
    articles: int
    kb_build: Timing
    kb_check: Timing
    plain_mkdocs: Timing

    def to_json(self) -> dict:
        def one(t: Timing) -> dict:
            data = asdict(t)
            data.update(median_s=round(t.median_s, 3), median_cpu_s=round(t.median_cpu_s, 3),
                        ms_per_article=round(t.per_article_ms(self.articles), 2))
            return data
        return {"size": self.size, "articles": self.articles, "kb_build": one(self.kb_build),
                "kb_check": one(self.kb_check), "plain_mkdocs": one(self.plain_mkdocs)}


def say(message: str) -> None:
    print(f"build_bench: {message}", file=sys.stderr, flush=True)


# ---- projects ----------------------------------------------------------------------------------


def kb_project(size: str, root: Path) -> Path:
    """The kb project for ``size``: a copy of the repo's sample, or a generated one."""
    project = root / f"kb-{size}"
    if size == "sample":
        shutil.copytree(REPO / "kb", project / "kb")
        shutil.copy2(REPO / "mkdocs.yml", project / "mkdocs.yml")
    else:
        generate_kb(project, int(size))
    return project


def count_articles(project: Path) -> int:
    """Published-article count as the site sees it: ``.md`` files outside ``_`` folders."""
    kb = project / "kb"
    return sum(1 for p in kb.rglob("*.md")
               if not any(part.startswith(("_", ".")) for part in p.relative_to(kb).parts))


def plain_project(project: Path, root: Path) -> Path:
    """A plain mkdocs-material project with the same Markdown as ``project``.

    Articles keep their ``<section>/<slug>.md`` paths (so relative links still resolve) and their
    front matter (MkDocs ignores keys it does not know); kb-owned ``_`` files are left out.
    """
    plain = root / f"plain-{project.name.removeprefix('kb-')}"
    docs = plain / "docs"
    shutil.copytree(project / "kb", docs, ignore=shutil.ignore_patterns("_*"))
    (docs / "index.md").write_text("# Справочный центр\n\nОтветы на частые вопросы.\n", encoding="utf-8")
    (plain / "mkdocs.yml").write_text(
        "site_name: Справочный центр\n"
        "theme:\n  name: material\n  language: ru\n"
        "plugins:\n  - search\n"
        + mkdocs_yaml(), encoding="utf-8")
    return plain


# ---- measuring ---------------------------------------------------------------------------------


def measure(name: str, cmd: list[str], *, repeat: int, logs: Path, env: dict[str, str],
            before_each: Path | None = None) -> Timing:
    """Run ``cmd`` ``repeat`` times; fail loudly (with the log's tail) if it fails."""
    timing = Timing()
    for i in range(1, repeat + 1):
        if before_each is not None:  # a plain site of 5,000 pages is gigabytes: do not keep two
            shutil.rmtree(before_each, ignore_errors=True)
        run: Run = run_measured(cmd, log=logs / f"{name}-{i}.log", env=env)
        if run.returncode != 0:
            raise SystemExit(f"build_bench: {' '.join(cmd)} failed (exit {run.returncode}):\n"
                             f"{tail(run.log)}")
        timing.runs_s.append(round(run.seconds, 3))
        timing.cpu_s.append(round(run.cpu_seconds, 3))
        timing.peak_rss_mb = round(max(timing.peak_rss_mb, run.peak_rss_mb), 1)
        say(f"  {name} run {i}/{repeat}: {run.seconds:.2f} s (CPU {run.cpu_seconds:.2f} s), "
            f"peak RSS {run.peak_rss_mb:.0f} MB")
    return timing


def bench_size(size: str, root: Path, *, repeat: int | None, skip_plain_above: int | None,
               env: dict[str, str]) -> SizeResult:
    """Prepare both projects for ``size`` and time kb build, kb check and plain mkdocs."""
    say(f"[{size}] preparing projects")
    project = kb_project(size, root)
    plain = plain_project(project, root)
    articles = count_articles(project)
    runs = repeat or (1 if articles > 1000 else 3)
    logs = root / f"logs-{size}"
    logs.mkdir()

    say(f"[{size}] kb check of {articles} articles")
    check = measure(f"kb-check-{size}", [str(BIN / "kb"), "check", "-C", str(project)],
                    repeat=max(runs, 3) if articles <= CHECK_TARGET_SIZE else runs, logs=logs, env=env)
    say(f"[{size}] kb build of {articles} articles")
    build = measure(f"kb-build-{size}", [str(BIN / "kb"), "build", "-C", str(project)],
                    repeat=runs, logs=logs, env=env)
    shutil.rmtree(project / "site", ignore_errors=True)

    if skip_plain_above is not None and articles > skip_plain_above:
        plain_timing = Timing(skipped=f"{articles} articles > --skip-plain-above {skip_plain_above}; "
                                      + SKIP_REASON)
        say(f"[{size}] plain mkdocs skipped: {plain_timing.skipped}")
    else:
        say(f"[{size}] plain mkdocs build of {articles} articles"
            + (" (takes minutes: every page holds the whole navigation)" if articles > 1000 else ""))
        site = plain / "site"
        plain_timing = measure(f"plain-mkdocs-{size}",
                               [str(BIN / "mkdocs"), "build", "-q", "-f", str(plain / "mkdocs.yml"),
                                "-d", str(site)],
                               repeat=runs, logs=logs, env=env, before_each=site)
        shutil.rmtree(site, ignore_errors=True)
    return SizeResult(size, articles, build, check, plain_timing)


# ---- report ------------------------------------------------------------------------------------


def linearity(results: list[SizeResult]) -> dict:
    """ms/article at 5,000 over ms/article at 1,000 (1.0 = perfectly linear), when both ran."""
    by_size = {r.size: r for r in results}
    small, large = by_size.get("1000"), by_size.get("5000")
    out: dict[str, float | None] = {"kb_build": None, "plain_mkdocs": None}
    if small and large:
        for key in out:
            a, b = getattr(small, key), getattr(large, key)
            if a.runs_s and b.runs_s:
                out[key] = round(b.per_article_ms(large.articles) / a.per_article_ms(small.articles), 2)
    return out


def targets(results: list[SizeResult]) -> dict:
    """The issue's targets, each with the measured figure and whether it is met."""
    verdicts = {}
    for r in results:
        if r.size in ("1000", "5000"):
            ms = r.kb_build.per_article_ms(r.articles)
            verdicts[f"kb_build_{r.size}_ms_per_article"] = {
                "target": f"<= {TARGET_MS_PER_ARTICLE:g}", "measured": round(ms, 2),
                "met": ms <= TARGET_MS_PER_ARTICLE}
        if r.articles == CHECK_TARGET_SIZE:
            verdicts["kb_check_1000_s"] = {"target": f"< {TARGET_CHECK_SECONDS:g}",
                                           "measured": round(r.kb_check.median_s, 3),
                                           "met": r.kb_check.median_s < TARGET_CHECK_SECONDS}
    return verdicts


def table(results: list[SizeResult]) -> str:
    """The figures as a fixed-width text table."""
    head = (f"{'size':>7} {'articles':>8} | {'tool':<12} {'median s':>9} {'ms/article':>10} "
            f"{'CPU s':>7} {'peak RSS MB':>11} {'runs':>4}")
    lines = [head, "-" * len(head)]
    for r in results:
        for tool, t in (("kb build", r.kb_build), ("plain mkdocs", r.plain_mkdocs), ("kb check", r.kb_check)):
            if t.skipped:
                lines.append(f"{r.size:>7} {r.articles:>8} | {tool:<12} {'skipped':>9}  (--skip-plain-above)")
                continue
            lines.append(f"{r.size:>7} {r.articles:>8} | {tool:<12} {t.median_s:>9.2f} "
                         f"{t.per_article_ms(r.articles):>10.1f} {t.median_cpu_s:>7.2f} {t.peak_rss_mb:>11.0f} "
                         f"{len(t.runs_s):>4}")
        if r.kb_build.runs_s and r.plain_mkdocs.runs_s:
            speedup = f"{r.plain_mkdocs.median_s / r.kb_build.median_s:.1f}x"
            lines.append(f"{'':>7} {'':>8} | {'kb speed-up':<12} {speedup:>9}")
    return "\n".join(lines)


def environment() -> dict:
    """What the figures were measured with."""
    def version(package: str) -> str:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v
        try:
            return v(package)
        except PackageNotFoundError:
            return "?"
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()
    # Others may be editing the code being measured: say whether it differed from the commit.
    dirty = bool(git("status", "--porcelain", "--", "generator", "search", "site_theme"))
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes_in_measured_code": dirty,
            "python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
            "mkdocs": version("mkdocs"), "mkdocs-material": version("mkdocs-material")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="sample,1000,5000",
                        help="comma-separated: 'sample' and/or article counts (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, median kept (default: 3, or 1 above 1,000 articles)")
    parser.add_argument("--skip-plain-above", type=int, default=None, metavar="N",
                        help="skip the plain mkdocs build for sizes above N articles")
    parser.add_argument("--quick", action="store_true",
                        help="sizes sample,1000 and no plain mkdocs above 1,000 articles")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects (path printed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "sample,1000"
        args.skip_plain_above = 1000 if args.skip_plain_above is None else args.skip_plain_above
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    bad = [s for s in sizes if s != "sample" and not s.isdigit()]
    if bad:
        parser.error(f"--sizes: expected 'sample' or article counts, found {', '.join(bad)}")

    started = environment()  # taken before the runs: the tree may change while they go on
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    root = Path(tempfile.mkdtemp(prefix="kb-build-bench-"))
    say(f"working in {root}")
    try:
        results = [bench_size(size, root, repeat=args.repeat, skip_plain_above=args.skip_plain_above,
                              env=env) for size in sizes]
    finally:
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    report = {"environment": started, "results": [r.to_json() for r in results],
              "linearity_ms_per_article_5000_over_1000": linearity(results), "targets": targets(results)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "build.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(table(results))
    ratio = report["linearity_ms_per_article_5000_over_1000"]
    if any(v is not None for v in ratio.values()):
        print("\nlinearity, ms/article at 5,000 over 1,000 (1.0 = linear): "
              + ", ".join(f"{k} {v}" for k, v in ratio.items() if v is not None))
    if report["targets"]:
        print("\ntargets:")
        for name, v in report["targets"].items():
            print(f"  {name}: {v['measured']} (target {v['target']}) {'met' if v['met'] else 'MISSED'}")
    print(f"\nfigures: {(OUT / 'build.json').relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
