"""The content model: immutable articles and sections, and located problems.

Everything downstream of the loader takes these objects, never raw front-matter dicts.
Each value keeps where it came from, so any later stage can say ``path:line: field: ...``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; ``line`` is 1-based, 0 when the whole file is meant."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the content, as a writer should read it."""

    location: Location
    field: str
    message: str
    severity: Severity = "error"
    hint: str = ""

    def format(self) -> str:
        """``path:line: field: message (hint: ...)`` — the one way problems are printed."""
        where = f"{self.location}: {self.field}: " if self.field else f"{self.location}: "
        kind = "" if self.severity == "error" else "warning: "
        text = f"{where}{kind}{self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text

    def to_json(self) -> dict:
        return {
            "path": self.location.path,
            "line": self.location.line,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class ContentError(Exception):
    """The content has errors; ``problems`` holds all of them, sorted by file and line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sort_problems(problems)
        errors = sum(1 for p in self.problems if p.severity == "error")
        super().__init__(f"{errors} error(s) in the content")


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Order problems by file, then line, then field, so output is stable and readable."""
    return sorted(problems, key=lambda p: (p.location.path, p.location.line, p.field, p.message))


@dataclass(frozen=True)
class Chapter:
    seconds: int
    title: str


@dataclass(frozen=True)
class Cue:
    """One line of a transcript: when it is said (seconds) and what."""

    start: float
    text: str


@dataclass(frozen=True)
class VideoSource:
    """A recognised video link: who hosts it and how to embed it.

    ``embed`` is the player URL with a ``{start}`` placeholder for the start time in seconds;
    ``kind`` is ``iframe`` for hosted players and ``file`` for a direct .mp4/.webm.
    """

    provider: str  # youtube, rutube, vk, vimeo, file
    provider_name: str  # shown to readers: "YouTube", "Rutube", "VK Видео", "Vimeo"
    video_id: str
    watch_url: str
    embed: str
    kind: str = "iframe"
    start: int = 0  # the start time given in the link itself (t=, start=)


@dataclass(frozen=True)
class Video:
    url: str
    source: VideoSource
    title: str = ""
    start: int = 0
    chapters: tuple[Chapter, ...] = ()
    transcript: str | None = None  # file name next to the article
    poster: str | None = None
    cues: tuple[Cue, ...] = ()


@dataclass(frozen=True)
class Section:
    """A folder of articles: ``kb/<id>/`` or one level deeper, ``kb/<parent>/<sub>/``."""

    id: str  # the folder path relative to kb/, e.g. "payment" or "payment/cards"
    title: str
    description: str = ""
    icon: str = ""
    order: int = 1000
    source: str = ""  # the _section.yml path relative to the project, "" when generated

    @property
    def parent_id(self) -> str | None:
        return self.id.rsplit("/", 1)[0] if "/" in self.id else None

    @property
    def depth(self) -> int:
        return self.id.count("/") + 1


@dataclass(frozen=True)
class Article:
    """One article of the knowledge base, validated and never changed after loading."""

    id: str
    title: str
    path: str  # relative to the project, e.g. "kb/payment/terminal.md"
    section_id: str
    slug: str  # the file name without ".md"
    body: str
    body_line: int  # the line in the file where the body starts
    summary: str = ""
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    videos: tuple[Video, ...] = ()
    related: tuple[str, ...] = ()
    updated: dt.date | None = None
    redirect_from: tuple[str, ...] = ()
    status: str = "published"
    order: int = 1000
    featured: bool = False
    gap: dict | None = field(default=None, compare=False, hash=False)  # evidence of a gap draft
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def url(self) -> str:
        """The article's URL relative to the site root, with a trailing slash."""
        return f"{self.section_id}/{self.slug}/"

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def where(self, key: str = "") -> Location:
        """The location of front-matter ``key`` (or of the file when unknown)."""
        return Location(self.path, self.lines.get(key, 1))


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything loaded from ``kb/``: sections, articles (all statuses) and synonyms."""

    root: Path  # the project directory
    sections: tuple[Section, ...]
    articles: tuple[Article, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    #: ``kb/_loanwords.yml``'s groups, and whether kb's general list applies as well.
    loanwords: tuple[tuple[str, ...], ...] = ()
    loanword_defaults: bool = True

    def published(self, *, drafts: bool = False) -> list[Article]:
        """Articles that go on the site: published ones, plus drafts when previewing."""
        wanted = {"published", "draft"} if drafts else {"published"}
        return [a for a in self.articles if a.status in wanted]

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)
