"""Ready-to-send links for operators: what ``kb link`` prints and ``/api/link`` answers.

Short links (``/a/<id>/``) survive renames and moves; ``?ref=op`` lets the service count the
articles operators send (customers could not find them alone: the gap report uses this).
"""

from __future__ import annotations

import json
from html import escape

from kb_helpcenter.search.engine.searcher import SearchResult

FORMATS = ("text", "markdown", "html", "json")


def operator_links(result: SearchResult, *, site_url: str) -> list[dict[str, str]]:
    """The hits of ``result`` as ``{id, title, summary, short_url, url}``, absolute when possible."""
    base = site_url.rstrip("/")
    return [
        {"id": h.id, "title": h.title, "summary": h.summary,
         "short_url": f"{base}/a/{h.id}/?ref=op", "url": f"{base}/{h.url}"}
        for h in result.hits
    ]


def render_links(links: list[dict[str, str]], *, fmt: str, query: str = "") -> str:
    """The links as one block of text to paste into a reply, in ``fmt`` (see :data:`FORMATS`)."""
    if fmt == "json":
        return json.dumps({"query": query, "hits": links}, ensure_ascii=False, indent=2)
    blocks = []
    for link in links:
        summary = link["summary"]
        if fmt == "markdown":
            blocks.append(f"[{link['title']}]({link['short_url']})" + (f" — {summary}" if summary else ""))
        elif fmt == "html":
            html = f'<a href="{escape(link["short_url"])}">{escape(link["title"])}</a>'
            blocks.append(f"<p>{html}" + (f"<br>{escape(summary)}" if summary else "") + "</p>")
        else:
            blocks.append(f"{link['title']} — {link['short_url']}" + (f"\n{summary}" if summary else ""))
    return "\n\n".join(blocks)
