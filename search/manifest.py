"""Reading ``.kb/manifest.json``: the only thing ``search`` needs from the build.

The generator writes one record per published article. ``search`` never imports the
generator; this module is the contract between them. The file looks like::

    {
      "format": 1,
      "generated_at": "2026-11-24T10:00:00+00:00",
      "site_url": "https://help.example/",          # may be ""
      "synonyms": [["симка", "sim-карта", "сим-карта"], ["лк", "личный кабинет"]],
      "articles": [
        {
          "id": "terminal-payment-not-arrived",
          "url": "payment/terminal-payment-not-arrived/",   # relative to the site root
          "title": "Оплатили через терминал, а деньги не поступили",
          "summary": "...",                                   # "" when absent
          "aliases": ["заплатил в терминале деньги не пришли", ...],
          "tags": ["оплата"],
          "section": "Оплата",                                # section title (sub-section: "Оплата / Карты")
          "section_id": "payment",                            # the section folder path
          "headings": [{"id": "apn-android", "title": "Настройка APN на Android", "level": 2}],
          "body": "plain text of the article body, markup stripped",
          "videos": [{"url": "...", "title": "...", "anchor": "video-1",
                      "transcript": [{"start": 5.0, "text": "..."}]}],
                      # the page element of a video is #<anchor>; #<anchor>-t<seconds> (e.g.
                      # "#video-1-t90") scrolls to it and makes play start at that moment
          "updated": "2026-10-15",                            # or null
          "lang": "ru"
        }
      ]
    }
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST_FORMAT = 1


class ManifestError(Exception):
    """The manifest is missing, unreadable or of an unknown format."""


@dataclass(frozen=True)
class Heading:
    id: str
    title: str
    level: int = 2


@dataclass(frozen=True)
class TranscriptCue:
    start: float
    text: str


@dataclass(frozen=True)
class VideoRecord:
    url: str
    title: str = ""
    transcript: tuple[TranscriptCue, ...] = ()
    anchor: str = ""  # the video's element id on the article page, e.g. "video-1"

    def moment_url(self, article_url: str, seconds: float) -> str:
        """The article URL that scrolls to this video and starts it at ``seconds``."""
        return f"{article_url}#{self.anchor}-t{int(seconds)}" if self.anchor else article_url


@dataclass(frozen=True)
class ArticleRecord:
    id: str
    url: str
    title: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = ""
    section_id: str = ""
    headings: tuple[Heading, ...] = ()
    body: str = ""
    videos: tuple[VideoRecord, ...] = ()
    updated: str | None = None
    lang: str = "ru"


@dataclass(frozen=True)
class Manifest:
    articles: tuple[ArticleRecord, ...]
    synonyms: tuple[tuple[str, ...], ...] = ()
    #: Loanword pairs (``kb/_loanwords.yml`` and, unless the project turns them off, kb's
    #: general list): search treats them as synonym groups.
    loanwords: tuple[tuple[str, ...], ...] = ()
    site_url: str = ""
    generated_at: str = ""
    extra: dict = field(default_factory=dict)


def record_from_dict(data: dict) -> ArticleRecord:
    """Build an :class:`ArticleRecord` from one manifest entry (missing optional keys allowed)."""
    return ArticleRecord(
        id=data["id"],
        url=data["url"],
        title=data["title"],
        summary=data.get("summary") or "",
        aliases=tuple(data.get("aliases") or ()),
        tags=tuple(data.get("tags") or ()),
        section=data.get("section") or "",
        section_id=data.get("section_id") or "",
        headings=tuple(Heading(h["id"], h["title"], int(h.get("level", 2))) for h in data.get("headings") or ()),
        body=data.get("body") or "",
        videos=tuple(
            VideoRecord(
                url=v["url"],
                title=v.get("title") or "",
                transcript=tuple(TranscriptCue(float(c["start"]), c["text"]) for c in v.get("transcript") or ()),
                anchor=v.get("anchor") or f"video-{i}",
            )
            for i, v in enumerate(data.get("videos") or (), 1)
        ),
        updated=data.get("updated"),
        lang=data.get("lang") or "ru",
    )


def manifest_from_dict(data: dict) -> Manifest:
    """Build a :class:`Manifest` from the decoded JSON document."""
    if data.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"manifest format {data.get('format')!r} is not {MANIFEST_FORMAT}: run `kb build` again")
    return Manifest(
        articles=tuple(record_from_dict(a) for a in data.get("articles") or ()),
        synonyms=tuple(tuple(group) for group in data.get("synonyms") or ()),
        loanwords=tuple(tuple(group) for group in data.get("loanwords") or ()),
        site_url=data.get("site_url") or "",
        generated_at=data.get("generated_at") or "",
    )


def load_manifest(path: Path) -> Manifest:
    """Read the manifest at ``path``; a missing or broken file is a :class:`ManifestError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest; run `kb build` first") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path}: unreadable manifest ({exc}); run `kb build` again") from None
    return manifest_from_dict(data)
