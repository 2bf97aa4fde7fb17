"""What every format of the gap report shares: the report's context and how a trend reads.

Both writers (:mod:`~search.gaps.report.formats` for JSON, Markdown and CSV, and
:mod:`~search.gaps.report.page` for ``gaps.html``) import this module and never each other the
other way round: ``formats`` -> ``page`` -> ``context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kb_helpcenter.search.events.learned import LearnedAlias
from kb_helpcenter.search.gaps.model import ArticleCount, Gap


@dataclass(frozen=True)
class ReportContext:
    """What the report shows beside the gaps: its inputs, and the articles' own signals."""

    inputs: dict[str, Any] = field(default_factory=dict)
    most_no_votes: tuple[ArticleCount, ...] = ()
    most_sent: tuple[ArticleCount, ...] = ()
    #: What search learned from operators and customers (search.events.learned), with each
    #: article's title: the writers' "add this alias" list of proven questions.
    learned: tuple[tuple[LearnedAlias, str], ...] = ()
    title: str = "Search gaps"


def iso_time(moment: datetime | None) -> str | None:
    """``2026-12-04T10:00:00Z``, or ``None`` for an unknown moment."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def trend_text(gap: Gap) -> str:
    """``"+40%"``, ``"−25%"``, ``"new"`` (nothing in the baseline) or ``""`` (no baseline)."""
    if gap.previous is None:
        return ""
    if not gap.previous:
        return "new"
    change = round(100 * (gap.size - gap.previous) / gap.previous)
    return f"+{change}%" if change > 0 else f"−{-change}%" if change < 0 else "±0%"
