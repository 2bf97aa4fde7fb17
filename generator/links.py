"""URLs that never break: short links ``/a/<id>/`` and redirects from old paths.

Both are tiny static pages, so they work on any static host: a canonical link, a meta refresh,
and a one-line script that keeps the ``#anchor`` (a meta refresh alone drops it).
"""

from __future__ import annotations

import html
import posixpath
from dataclasses import dataclass
from pathlib import Path

from kb_helpcenter.generator.model import Article
from kb_helpcenter.generator.published import Entry

SHORT_PREFIX = "a"


@dataclass(frozen=True)
class Redirect:
    """A page at ``source`` (a site path like ``a/reset-password/``) leading to ``target``."""

    source: str
    target: str
    title: str


def short_url(article_id: str) -> str:
    """The stable short path of an article, relative to the site root."""
    return f"{SHORT_PREFIX}/{article_id}/"


def relative_url(source: str, target: str) -> str:
    """The link from page ``source`` to page ``target`` (both site paths ending in ``/``).

    >>> relative_url("a/x/", "payment/terminal/")
    '../../payment/terminal/'
    """
    rel = posixpath.relpath(target or ".", source.rstrip("/") or ".")
    return rel if rel.endswith("/") else rel + "/"


@dataclass(frozen=True)
class Tombstone:
    """An article that is gone for good: its old addresses show ``text`` instead of a 404."""

    id: str
    title: str
    text: str
    sources: tuple[str, ...]


def redirects_for(articles: list[Article], published: dict[str, Entry] | None = None) -> list[Redirect]:
    """Every redirect the site needs, sorted by source.

    Short links of live articles; their ``redirect_from`` paths and every older URL they were
    published at; and for published articles that are gone, their URLs and short link to the
    article their ``redirect_to`` names.
    """
    published = published or {}
    live = {a.id: a for a in articles}
    found = []
    for article in articles:
        found.append(Redirect(short_url(article.id), article.url, article.title))
        entry = published.get(article.id)
        old_urls = [*article.redirect_from, *(entry.urls if entry else ())]
        for old in dict.fromkeys(old_urls):
            if old != article.url:
                found.append(Redirect(old, article.url, article.title))
    for entry in published.values():
        target = live.get(entry.redirect_to or "")
        if entry.id in live or target is None:
            continue
        for old in dict.fromkeys([short_url(entry.id), *entry.urls]):
            found.append(Redirect(old, target.url, target.title))
    return sorted(found, key=lambda r: r.source)


def tombstones_for(articles: list[Article], published: dict[str, Entry]) -> list[Tombstone]:
    """Pages for published articles that are gone with a ``tombstone`` text."""
    live = {a.id for a in articles}
    return [
        Tombstone(e.id, e.title, e.tombstone, tuple(dict.fromkeys([short_url(e.id), *e.urls])))
        for e in published.values()
        if e.id not in live and e.tombstone and not e.redirect_to
    ]


def stub_html(redirect: Redirect, *, site_url: str = "") -> str:
    """The static redirect page for ``redirect``; ``site_url`` makes the canonical link absolute."""
    rel = relative_url(redirect.source, redirect.target)
    root = relative_url(redirect.source, "")
    canonical = site_url.rstrip("/") + "/" + redirect.target if site_url else rel
    title = html.escape(redirect.title)
    return (
        "<!doctype html>\n<html lang=\"ru\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{title}</title>\n"
        f"<link rel=\"canonical\" href=\"{html.escape(canonical)}\">\n"
        "<meta name=\"robots\" content=\"noindex\">\n"
        f"<meta http-equiv=\"refresh\" content=\"0; url={html.escape(rel)}\">\n"
        f"<meta name=\"kb-redirect\" content=\"{html.escape(rel)}\">\n"
        # An external script (allowed by a strict CSP) keeps the #anchor a meta refresh drops.
        f"<script src=\"{html.escape(root)}assets/kb/redirect.js\"></script>\n"
        "</head>\n<body>\n"
        f"<p>Статья находится по адресу <a href=\"{html.escape(rel)}\">{title}</a>.</p>\n"
        "</body>\n</html>\n"
    )


def write_stubs(site_dir: Path, redirects: list[Redirect], *, site_url: str = "") -> int:
    """Write a stub page for each redirect under ``site_dir``; never replace a real page."""
    written = 0
    for redirect in redirects:
        target = site_dir / redirect.source / "index.html"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stub_html(redirect, site_url=site_url), encoding="utf-8")
        written += 1
    return written
