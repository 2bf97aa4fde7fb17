"""The gap report as files: ``gaps.html``, ``gaps.md``, ``gaps.json``, ``gaps.csv``.

    >>> context = ReportContext(inputs={"questions_files": ["tickets.csv"]})
    >>> write_reports(report, context, Path("reports"), formats=("html", "json"))
    [PosixPath('reports/gaps.html'), PosixPath('reports/gaps.json')]

Every text that came from a customer (labels, questions, terms, comments) is masked again here
(:func:`search.privacy.mask` is idempotent) and escaped for its format: HTML entities in
``gaps.html``, Markdown punctuation in ``gaps.md``, and a leading ``=+-@`` neutralised in
``gaps.csv`` so a spreadsheet never runs a question as a formula. ``gaps.html`` is one file with
inline CSS and no script: it opens offline and from a mail attachment.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kb_helpcenter.search.events.export import csv_cell
from kb_helpcenter.search.gaps.model import GapReport
from kb_helpcenter.search.gaps.report.context import ReportContext, iso_time, trend_text
from kb_helpcenter.search.gaps.report.page import render_html
from kb_helpcenter.search.privacy import mask

FORMATS = ("html", "md", "json", "csv")


def to_json(report: GapReport, context: ReportContext) -> dict[str, Any]:
    """The ``gaps.json`` shape of INTERFACES.md, plus the method, top terms, dates, weight and trend."""
    return {
        "generated_at": iso_time(report.generated_at),
        "since": iso_time(report.since),
        "inputs": context.inputs,
        "method": {"name": report.method.name, "note": report.method.note},
        "totals": report.totals,
        "gaps": [
            {
                "rank": g.rank,
                "label": mask(g.label),
                "size": g.size,
                "kind": g.kind,
                "nearest": ({"id": g.nearest.id, "title": g.nearest.title, "score": g.nearest.score}
                            if g.nearest else None),
                "sources": g.sources,
                "questions": [{"text": mask(q.text), "count": q.count} for q in g.questions],
                "weight": g.weight,
                "top_terms": [mask(t) for t in g.top_terms],
                "first_seen": iso_time(g.first_seen),
                "last_seen": iso_time(g.last_seen),
                "previous": g.previous,
                "trend": trend_text(g) or None,
            }
            for g in report.gaps
        ],
        "articles": {
            "most_no_votes": [{"id": a.id, "title": a.title, "no": a.count, "yes": a.extra}
                              for a in context.most_no_votes],
            "most_sent": [{"id": a.id, "title": a.title, "sent": a.count} for a in context.most_sent],
        },
        "learned": [{**alias.to_json(), "question": mask(alias.question), "title": title}
                    for alias, title in context.learned],
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(text: str) -> str:
    """Text that Markdown shows as typed: punctuation escaped, line breaks as spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(report: GapReport, context: ReportContext, *, top: int = 20) -> str:
    """A short Markdown summary for a chat or a ticket: totals, top gaps, near misses."""
    t = report.totals
    lines = [f"# {md_escape(context.title)}", "",
             f"{t['questions']:,} questions: {t['answered']:,} answered, {t['near_miss']:,} near misses, "
             f"{t['unanswered']:,} unanswered. Generated {iso_time(report.generated_at)}; "
             f"closeness by {md_escape(report.method.note)}.", ""]
    new = report.new_articles()[:top]
    if new:
        lines += ["## New articles needed", "", "| # | gap | questions | trend | nearest article |",
                  "|---|---|---|---|---|"]
        for g in new:
            nearest = f"{md_escape(g.nearest.title)} ({g.nearest.score:.2f})" if g.nearest else "—"
            lines.append(f"| {g.rank} | {md_escape(mask(g.label))} | {g.size} | {trend_text(g) or '—'} | {nearest} |")
        lines.append("")
    near = report.near_misses()[:top]
    if near:
        lines += ["## Near misses: add an alias", ""]
        for g in near:
            title = md_escape(g.nearest.title) if g.nearest else "?"
            lines.append(f"- **{title}** (`{g.nearest.id if g.nearest else ''}`): add “{md_escape(mask(g.label))}” "
                         f"— {g.size} questions")
        lines.append("")
    if context.learned:
        lines += ["## Learned from operators and customers: make them aliases", ""]
        for alias, title in context.learned[:top]:
            lines.append(f"- **{md_escape(title)}** (`{alias.article_id}`): “{md_escape(mask(alias.question))}” "
                         f"— {_evidence(alias)}")
        lines.append("")
    return "\n".join(lines)


def _evidence(alias) -> str:
    parts = [f"{alias.operators} operator link(s)" if alias.operators else "",
             f"{alias.customers} customer(s) said yes" if alias.customers else "",
             f"{alias.against} said no" if alias.against else ""]
    return ", ".join(p for p in parts if p)


CSV_COLUMNS = ("rank", "kind", "label", "size", "weight", "trend", "search", "tickets", "feedback",
               "first_seen", "last_seen", "nearest_id", "nearest_score", "top_terms", "questions")


def render_csv(report: GapReport) -> str:
    """One row per gap; ``questions`` holds the distinct questions as ``count× text`` lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in report.gaps:
        writer.writerow([
            g.rank, g.kind, csv_cell(mask(g.label)), g.size, g.weight, trend_text(g),
            g.sources["search"], g.sources["tickets"], g.sources["feedback"],
            iso_time(g.first_seen) or "", iso_time(g.last_seen) or "",
            g.nearest.id if g.nearest else "", g.nearest.score if g.nearest else "",
            csv_cell(" ".join(mask(t) for t in g.top_terms)),
            csv_cell("\n".join(f"{q.count}× {mask(q.text)}" for q in g.questions)),
        ])
    return out.getvalue()


def write_reports(report: GapReport, context: ReportContext, out_dir: Path, *,
                  formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write the chosen formats into ``out_dir`` (created); return the paths written."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"format: expected some of {', '.join(FORMATS)}, got {', '.join(unknown)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    renderers = {
        "html": lambda: render_html(report, context),
        "md": lambda: render_markdown(report, context),
        "json": lambda: json.dumps(to_json(report, context), ensure_ascii=False, indent=2) + "\n",
        "csv": lambda: render_csv(report),
    }
    written = []
    for fmt in FORMATS:
        if fmt in formats:
            path = out_dir / f"gaps.{fmt}"
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(renderers[fmt](), encoding="utf-8", newline="")
            tmp.replace(path)
            written.append(path)
    return written
