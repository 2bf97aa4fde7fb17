"""Staging: turn the loaded knowledge base into a plain Material project in ``.kb/stage/``.

The stage is what any MkDocs-compatible builder can build: Markdown pages with front matter
Material understands (``title``, ``description``, ``template``, ``hide``) plus a ``kb`` block the
theme's templates read, and a ``mkdocs.yml`` that inherits the project's own settings.

The navigation holds the home page and the sections only. Material renders the whole navigation
into every page, which makes a full-navigation build quadratic (minutes for thousands of
articles); a help center needs sections, the current section's articles and search.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from kb_helpcenter.generator.links import Tombstone
from kb_helpcenter.generator.markdown_config import mkdocs_yaml
from kb_helpcenter.generator.model import Article, KnowledgeBase, Section
from kb_helpcenter.generator.siteconfig import SiteConfig
from kb_helpcenter.generator.video.render import embed_bare_links, facade_html, video_anchor

SIDEBAR_WINDOW = 15  # articles of the current section listed beside an article
POPULAR_COUNT = 8
SECTION_PREVIEW = 4  # articles named on a section card of the home page

MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря")


@dataclass(frozen=True)
class Stage:
    """Where the stage was written: the project directory for the builder and its config."""

    root: Path
    config_file: Path
    docs_dir: Path


def human_date(date) -> str:
    """``2026-10-15`` as ``15 октября 2026``."""
    return f"{date.day} {MONTHS_RU[date.month - 1]} {date.year}"


def _link(article: Article) -> dict:
    return {"title": article.title, "url": article.url, "summary": article.summary}


def _section_url(section: Section) -> str:
    return f"{section.id}/"


#: The page keys Material's templates print, some of them unescaped (``<title>``, the meta
#: description, the header topic, the navigation): kb stages them HTML-escaped, so writers' text
#: is text in every slot. kb's own templates print ``page.title`` as staged (already escaped) and
#: escape everything under ``kb`` themselves.
ESCAPED_KEYS = ("title", "description")


def _page(meta: dict, body: str = "") -> str:
    meta = {k: html.escape(v, quote=True) if k in ESCAPED_KEYS and isinstance(v, str) else v
            for k, v in meta.items()}
    # JSON is YAML: a one-line flow mapping is the cheapest front matter to write and to parse.
    return f"---\n{json.dumps(meta, ensure_ascii=False)}\n---\n\n{body}"


def _article_meta(article: Article, kb: KnowledgeBase, siblings: list[Article],
                  by_id: dict[str, Article], config: SiteConfig) -> dict:
    section = kb.section(article.section_id)
    crumbs = []
    if section.parent_id:
        parent = kb.section(section.parent_id)
        crumbs.append({"title": parent.title, "url": _section_url(parent)})
    crumbs.append({"title": section.title, "url": _section_url(section)})
    position = next(i for i, a in enumerate(siblings) if a.id == article.id)
    start = max(0, min(position - SIDEBAR_WINDOW // 2, len(siblings) - SIDEBAR_WINDOW))
    window = siblings[start:start + SIDEBAR_WINDOW]
    related = [_link(by_id[r]) for r in article.related if r in by_id and r != article.id]
    return {
        "title": article.title,
        "description": article.summary or article.title,
        "kb": {
            "kind": "article",
            "id": article.id,
            "summary": article.summary,
            "updated": article.updated.isoformat() if article.updated else "",
            "updated_text": human_date(article.updated) if article.updated else "",
            "status": article.status,
            "crumbs": crumbs,
            "section": {"title": section.title, "url": _section_url(section), "count": len(siblings)},
            "siblings": [{"title": a.title, "url": a.url, "current": a.id == article.id} for a in window],
            "related": related,
            "short_url": f"a/{article.id}/",
        },
    }


def article_body(article: Article) -> str:
    """The staged Markdown of an article: its videos as facades first, then the body with
    video links that stand alone on a line turned into facades too."""
    blocks = [
        # With directory URLs the page sits one folder below its .md file: posters are ../<file>.
        facade_html(video, i, fallback_title=article.title,
                    poster_url=f"../{video.poster}" if video.poster else None)
        for i, video in enumerate(article.videos, 1)
    ]
    body, _ = embed_bare_links(article.body, first_index=len(blocks) + 1, fallback_title=article.title)
    return "\n\n".join(blocks + [body]) if blocks else body


def _videos_meta(kb: KnowledgeBase, by_section: dict[str, list[Article]], visible: list[Section]) -> dict:
    groups = []
    for section in visible:
        items = [
            {"title": v.title or a.title, "provider": v.source.provider_name, "article": a.title,
             "url": f"{a.url}#{video_anchor(i)}", "chapters": len(v.chapters), "transcript": bool(v.cues)}
            for a in by_section.get(section.id, []) for i, v in enumerate(a.videos, 1)
        ]
        if items:
            groups.append({"title": section.title, "url": _section_url(section), "videos": items})
    return {
        "title": "Видеоинструкции",
        "description": "Все видео справочного центра по разделам.",
        "template": "kb-videos.html",
        "hide": ["toc"],
        "kb": {"kind": "videos", "groups": groups, "crumbs": []},
    }


def _section_meta(section: Section, kb: KnowledgeBase, articles: list[Article],
                  children: list[Section], counts: dict[str, int]) -> dict:
    crumbs = []
    if section.parent_id:
        parent = kb.section(section.parent_id)
        crumbs.append({"title": parent.title, "url": _section_url(parent)})
    return {
        "title": section.title,
        "description": section.description or section.title,
        "template": "kb-section.html",
        "kb": {
            "kind": "section",
            "id": section.id,
            "description": section.description,
            "icon": section.icon,
            "crumbs": crumbs,
            "articles": [_link(a) for a in articles],
            "children": [{"title": c.title, "url": _section_url(c), "description": c.description,
                          "count": counts.get(c.id, 0)} for c in children],
        },
    }


def _home_meta(config: SiteConfig, cards: list[dict], popular: list[Article]) -> dict:
    return {
        "title": config.site_name,
        "description": f"{config.site_name}: ответы на частые вопросы",
        "template": "kb-home.html",
        "hide": ["navigation", "toc"],
        "kb": {"kind": "home", "sections": cards, "popular": [_link(a) for a in popular]},
    }


def _search_meta(popular: list[Article]) -> dict:
    # The results page of kb's own search (site_theme/kb-search.html fills it in the browser);
    # popular articles are what it offers when nothing is found.
    return {
        "title": "Поиск",
        "description": "Поиск по справочному центру",
        "template": "kb-search.html",
        "hide": ["navigation", "toc"],
        "kb": {"kind": "search", "robots": "noindex", "popular": [_link(a) for a in popular], "crumbs": []},
    }


# The operators' page (site_theme/kb-ops.html): not in the navigation, noindex.
OPS_PAGE = {"title": "Поиск для операторов", "template": "kb-ops.html", "hide": ["navigation", "toc"],
            "kb": {"kind": "ops", "robots": "noindex, nofollow", "crumbs": []}}


def _tombstone_meta(tombstone: Tombstone) -> dict:
    return {
        "title": tombstone.title or "Статья удалена",
        "description": tombstone.text,
        "template": "kb-tombstone.html",
        "hide": ["navigation", "toc"],
        "kb": {"kind": "tombstone", "robots": "noindex", "id": tombstone.id, "text": tombstone.text, "crumbs": []},
    }


def write_stage(kb: KnowledgeBase, config: SiteConfig, stage: Path, *, theme_dir: Path,
                assets: tuple[str, ...], drafts: bool = False, dev_reload: bool = False,
                tombstones: tuple[Tombstone, ...] = (), body_marker: str = "") -> Stage:
    """Write the stage for ``kb`` into ``stage`` (replacing an older one) and return it.

    ``tombstones`` are published articles that are gone for good: each of their old addresses
    gets a page saying so (with search), instead of a 404.
    """
    if stage.exists():
        shutil.rmtree(stage)
    docs = stage / "docs"
    docs.mkdir(parents=True)
    articles = kb.published(drafts=drafts)
    by_id = {a.id: a for a in articles}
    by_section: dict[str, list[Article]] = {}
    for article in articles:
        by_section.setdefault(article.section_id, []).append(article)
    counts = {sid: len(items) for sid, items in by_section.items()}
    for section in kb.sections:
        if section.parent_id:
            counts[section.parent_id] = counts.get(section.parent_id, 0) + counts.get(section.id, 0)
    visible = [s for s in kb.sections if counts.get(s.id)]

    for article in articles:
        siblings = by_section[article.section_id]
        target = docs / article.section_id / f"{article.slug}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = _article_meta(article, kb, siblings, by_id, config)
        target.write_text(_page(meta, article_body(article)), encoding="utf-8")

    cards = []
    for section in visible:
        children = [s for s in visible if s.parent_id == section.id]
        own = by_section.get(section.id, [])
        page = docs / section.id / "index.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_page(_section_meta(section, kb, own, children, counts)), encoding="utf-8")
        if not section.parent_id:
            preview = own or [a for c in children for a in by_section.get(c.id, [])]
            cards.append({"title": section.title, "url": _section_url(section),
                          "description": section.description, "icon": section.icon,
                          "count": counts.get(section.id, 0),
                          "articles": [_link(a) for a in preview[:SECTION_PREVIEW]]})

    featured = sorted((a for a in articles if a.featured and a.status == "published"),
                      key=lambda a: (a.order, a.title))
    popular = featured[:POPULAR_COUNT]
    if len(popular) < POPULAR_COUNT:
        taken = {a.id for a in popular}
        for section in visible:
            for article in by_section.get(section.id, [])[:1]:
                if article.id not in taken and len(popular) < POPULAR_COUNT:
                    popular.append(article)
                    taken.add(article.id)
    videos = _videos_meta(kb, by_section, visible)
    home = _home_meta(config, cards, popular)
    if videos["kb"]["groups"]:
        (docs / "videos").mkdir()
        (docs / "videos" / "index.md").write_text(_page(videos), encoding="utf-8")
        home["kb"]["videos_url"] = "videos/"
    (docs / "index.md").write_text(_page(home), encoding="utf-8")
    (docs / "search").mkdir(exist_ok=True)
    (docs / "search" / "index.md").write_text(_page(_search_meta(popular)), encoding="utf-8")
    (docs / "ops").mkdir(exist_ok=True)
    (docs / "ops" / "index.md").write_text(_page(OPS_PAGE), encoding="utf-8")
    live_urls = {a.url for a in articles}
    for tombstone in tombstones:
        for source in tombstone.sources:
            page = docs / source / "index.md"
            if source in live_urls or page.exists():
                continue
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(_page(_tombstone_meta(tombstone)), encoding="utf-8")

    for asset in assets:
        if asset.startswith("_drafts/") and not drafts:
            continue
        target = docs / asset
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(kb.root / "kb" / asset, target)

    nav = [{"Главная": "index.md"}] + [
        {html.escape(s.title, quote=True): f"{s.id}/index.md"} for s in visible if not s.parent_id
    ]
    config_file = stage / "mkdocs.yml"
    config_file.write_text(
        config_yaml(config, theme_dir=theme_dir, nav=nav, dev_reload=dev_reload, body_marker=body_marker),
        encoding="utf-8"
    )
    return Stage(root=stage, config_file=config_file, docs_dir=docs)


def config_yaml(config: SiteConfig, *, theme_dir: Path, nav: list[dict], dev_reload: bool,
                body_marker: str = "") -> str:
    """The stage's ``mkdocs.yml``: inherit the project's file, override what kb owns."""
    features = list(dict.fromkeys([
        *config.features, "navigation.top", "content.code.copy",
        "toc.follow",
    ]))
    j = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731 - JSON scalars are YAML
    lines = [
        f"INHERIT: {j(str(config.path.resolve()))}",
        "docs_dir: docs",
        "use_directory_urls: true",
        "theme:",
        "  name: material",
        f"  custom_dir: {j(str(theme_dir))}",
        f"  language: {j(config.language)}",
        # System fonts unless the team chose one: Google Fonts would be a third-party request
        # on every page, before the reader has agreed to anything.
        *([] if "font" in config.theme else ["  font: false"]),
        f"  features: {j(features)}",
        # kb owns search (site_theme/assets/kb/search-*.js, the API, the fallback index):
        # Material's search plugin and its lunr index stay off, whatever the project lists.
        "plugins: []",
        f"nav: {j(nav)}",
        "validation:",
        "  omitted_files: ignore",
        "  absolute_links: ignore",
        "  unrecognized_links: ignore",
        "  anchors: warn",
        "  not_found: warn",
        "extra:",
        "  kb:",
        f"    contact_url: {j(config.contact_url)}",
        f"    contact_text: {j(config.contact_text)}",
        f"    dev_reload: {j(dev_reload)}",
        # site_theme/main.html marks each article's body with it; the build cleans what is
        # between the marks (generator/sanitize.py), so a body cannot fake the end mark
        f"    body_marker: {j(body_marker)}",
    ]
    return "\n".join(lines) + "\n" + mkdocs_yaml()
