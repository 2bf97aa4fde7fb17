"""The static fallback search index: ``site/search/index.json``.

When the search API cannot be reached (a plain static host, a stopped service, a slow network),
the site's search box answers from this file instead (``site_theme/assets/kb/search-core.js``).
It holds what a result needs to be shown (id, url, title, section, summary) and the words a
query is matched against, already normalised the way the browser normalises a query: NFKC,
lower case, ё→е, split into letters-and-digits words (``search.engine.analysis.normalize``).

It is kept small: one array per article instead of an object, section titles stored once, and
the words of aliases, tags and headings stored once each, without stop words and without the
words the title already has (the browser reads the title and summary themselves). Article
bodies are left out: the fallback answers "which article is this about", not full-text search.

    {"format": 1,
     "fields": ["id", "url", "title", "section", "summary", "aliases", "headings"],
     "sections": ["Оплата", ...],
     "stop": ["а", "без", ...],
     "synonyms": [["симка", "sim-карта", "сим-карта"], ...],
     "articles": [["terminal-payment", "payment/terminal/", "Оплатили через терминал, ...", 0,
                   "Деньги зачисляются ...", "заплатил терминале деньги пришли", "проверить"]]}
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kb_helpcenter.search.engine.analysis import STOP_WORDS, normalize
from kb_helpcenter.search.manifest import ArticleRecord, Manifest

FALLBACK_FORMAT = 1
FALLBACK_PATH = "search/index.json"  # relative to the site root
FIELDS = ("id", "url", "title", "section", "summary", "aliases", "headings")

_WORD = re.compile(r"[^\W_]+")  # the browser's /[\p{L}\p{N}]+/gu


def words(text: str) -> list[str]:
    """The normalised words of ``text``: ``words("Не пришла SIM-карта!")`` is
    ``["не", "пришла", "sim", "карта"]``."""
    return _WORD.findall(normalize(text))


def _new_words(texts: list[str], seen: set[str]) -> str:
    """The words of ``texts`` not in ``seen`` and not stop words, in order, once each;
    ``seen`` grows by them."""
    fresh = []
    for text in texts:
        for word in words(text):
            if word not in seen and word not in STOP_WORDS:
                seen.add(word)
                fresh.append(word)
    return " ".join(fresh)


def _article_row(record: ArticleRecord, section: int) -> list:
    seen = set(words(record.title))
    aliases = _new_words([*record.aliases, *record.tags], seen)
    headings = _new_words([h.title for h in record.headings] + [v.title for v in record.videos], seen)
    return [record.id, record.url, record.title, section, record.summary, aliases, headings]


def fallback_index(manifest: Manifest) -> dict:
    """The fallback index document for ``manifest``'s articles (in manifest order)."""
    sections: dict[str, int] = {}
    rows = []
    for record in manifest.articles:
        section = sections.setdefault(record.section, len(sections))
        rows.append(_article_row(record, section))
    groups = (*manifest.synonyms, *manifest.loanwords)
    synonyms = [[normalize(w) for w in group] for group in groups if len(group) > 1]
    return {
        "format": FALLBACK_FORMAT,
        "fields": list(FIELDS),
        "sections": list(sections),
        "stop": sorted(STOP_WORDS),
        "synonyms": synonyms,
        "articles": rows,
    }


def write_fallback_index(site_dir: Path, manifest: Manifest) -> int:
    """Write the fallback index into the built site ``site_dir``; return its size in bytes."""
    path = site_dir / FALLBACK_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(fallback_index(manifest), ensure_ascii=False, separators=(",", ":"))
    path.write_text(data, encoding="utf-8")
    return len(data.encode("utf-8"))
