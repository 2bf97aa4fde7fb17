"""The search results page rendered on the server, for browsers without JavaScript.

``/search/?q=возврат`` is a static page that ``search-ui.js`` fills in the browser. Under
``kb serve`` the service fills it first, with the same engine and the same snippets: the
built page (``site/search/index.html``, the current generation) gets the query in its box, the
status line, the correction with its "as typed" link, every hit, and the next step (the
contact block, or the empty state). With JavaScript on, the script renders the same answer
again (it also records clicks). Every text is escaped here; a snippet is the engine's own
escaped HTML with ``<mark>`` (:func:`search.engine.snippets.mark`).
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

_ATTR = {"quote": True}


def _e(text: object) -> str:
    return html.escape(str(text or ""), **_ATTR)


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural of ``n``: 1 статья, 2 статьи, 5 статей (11–14: статей)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def render_results(page: str, payload: dict[str, Any], *, root: str = "") -> str:
    """``page`` (the built search page) with ``payload`` (the engine's JSON answer) in it.

    ``root`` is the path the site is served under ("" at the host's root)."""
    query = payload.get("query") or ""
    corrected = payload.get("corrected")
    hits = payload.get("hits") or []
    shown = corrected or query
    n = len(hits)
    status = (f"Найдено {n} {plural(n, 'статья', 'статьи', 'статей')} по запросу «{shown}»" if n
              else f"По запросу «{shown}» ничего не нашлось.")
    page = _fill(page, r'<p class="kb-results__status"[^>]*>', _e(status))
    page = re.sub(r'(<form\b[^>]*data-kb-search="page"[^>]*>.*?<input\b)', rf'\1 value="{_e(query)}"', page,
                  count=1, flags=re.S)
    if corrected:
        typed = f"{root}/search/?q={quote(query)}&amp;exact=1"
        page = page.replace('<p class="kb-results__corrected" hidden>', '<p class="kb-results__corrected">', 1)
        page = page.replace("«<strong></strong>»", f"«<strong>{_e(corrected)}</strong>»", 1)
        page = page.replace('<a href="" class="kb-results__corrected-link"></a>',
                            f'<a href="{typed}" class="kb-results__corrected-link">Искать «{_e(query)}»</a>', 1)
    items = "".join(
        '<li class="kb-results__item"><a class="kb-hit" href="{href}"><span class="kb-hit__title">{title}</span>'
        '{section}{text}</a></li>'.format(
            href=_e(f"{root}/{str(h.get('url') or '').lstrip('/')}"),
            title=_e(h.get("title")),
            section=f'<span class="kb-hit__section">{_e(h["section"])}</span>' if h.get("section") else "",
            text=(f'<span class="kb-hit__text">{_snippet(h)}</span>' if h.get("snippet") or h.get("summary")
                  else ""),
        )
        for h in hits
    )
    page = _fill(page, r'<ol class="kb-results__list"[^>]*>', items)
    if n:
        page = page.replace('<div class="kb-results__next" hidden>', '<div class="kb-results__next">', 1)
    else:
        page = page.replace('<div class="kb-results__none" hidden>', '<div class="kb-results__none">', 1)
        page = page.replace('class="kb-results"', 'class="kb-results kb-results--none"', 1)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    if title:  # the page names the query; the script keeps the built title to name the next one
        page = page.replace("<title>", f"<title>«{_e(query)}» — ", 1)
        page = page.replace("data-kb-results>", f'data-kb-results data-kb-title="{_e(html.unescape(title.group(1)))}">',
                            1)
    # the note for browsers without JavaScript is for static hosts: here the results are shown
    return re.sub(r'<noscript class="kb-results__noscript">.*?</noscript>', "", page, count=1, flags=re.S)


def _snippet(hit: dict[str, Any]) -> str:
    snippet = str(hit.get("snippet") or "")
    if snippet:
        # the engine's snippet: escaped text and <mark> only; anything else is escaped again
        return re.sub(r"&lt;(/?)mark&gt;", r"<\1mark>", html.escape(html.unescape(snippet), quote=False))
    return _e(hit.get("summary"))


def _fill(page: str, opening: str, content: str) -> str:
    """``content`` right after the first element that ``opening`` matches (an empty element)."""
    return re.sub(f"({opening})", lambda m: m.group(1) + content, page, count=1)
