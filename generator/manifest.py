"""``.kb/manifest.json``: one plain record per published article, for ``search``.

The format is documented in :mod:`search.manifest`, the reader's side of the contract.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kb_helpcenter.generator.model import Article, KnowledgeBase
from kb_helpcenter.generator.render import render
from kb_helpcenter.generator.video.render import video_anchor
from kb_helpcenter.search.engine.translit import default_loanwords
from kb_helpcenter.search.manifest import MANIFEST_FORMAT


def _section_title(kb: KnowledgeBase, section_id: str) -> str:
    section = kb.section(section_id)
    if section.parent_id:
        return f"{kb.section(section.parent_id).title} / {section.title}"
    return section.title


def article_record(article: Article, kb: KnowledgeBase) -> dict:
    """The manifest record of one article."""
    rendered = render(article.body)
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "aliases": list(article.aliases),
        "tags": list(article.tags),
        "section": _section_title(kb, article.section_id),
        "section_id": article.section_id,
        "headings": [{"id": h.id, "title": h.title, "level": h.level} for h in rendered.headings],
        "body": rendered.text,
        "videos": [
            {"url": v.url, "title": v.title, "anchor": video_anchor(i),
             "transcript": [{"start": c.start, "text": c.text} for c in v.cues]}
            for i, v in enumerate(article.videos, 1)
        ],
        "updated": article.updated.isoformat() if article.updated else None,
        "lang": detect_lang(f"{article.title} {article.summary} {rendered.text[:2000]}"),
    }


def detect_lang(text: str) -> str:
    """``"ru"`` when Cyrillic letters outnumber Latin ones, else ``"en"``."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "ru" if cyrillic >= latin else "en"


def loanword_groups(kb: KnowledgeBase) -> tuple[tuple[str, ...], ...]:
    """The project's loanword groups, after kb's general list unless the project turned it off."""
    return ((*default_loanwords(),) if kb.loanword_defaults else ()) + kb.loanwords


def manifest_dict(kb: KnowledgeBase, articles: list[Article], *, site_url: str = "") -> dict:
    """The whole manifest document for ``articles``."""
    return {
        "format": MANIFEST_FORMAT,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "site_url": site_url,
        "synonyms": [list(group) for group in kb.synonyms],
        "loanwords": [list(group) for group in loanword_groups(kb)],
        "articles": [article_record(a, kb) for a in articles],
    }


def write_manifest(path: Path, data: dict) -> None:
    """Write the manifest atomically (a temp file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
