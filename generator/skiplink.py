"""Every page's skip link lands on its title.

Material puts "Перейти к содержанию" first in every page, but it points at the first heading of
the table of contents (an article's first ``##``), and pages without one (home, sections,
search, 404) get none. The built pages are fixed in the build's one pass over them
(:func:`generator.sanitize.clean_pages`): the first ``<h1>`` gets an id when it has none
(``kb-title``), and the skip link points there, written when missing.

    >>> skip_to_title('<div data-md-component="skip"></div><h1>Оплата</h1>')[:78]
    '<div data-md-component="skip"><a href="#kb-title" class="md-skip">Перейти к сод'
"""

from __future__ import annotations

import html as html_lib
import re

TITLE_ID = "kb-title"
SKIP_TEXT = {"ru": "Перейти к содержанию", "en": "Skip to content"}

_SKIP = re.compile(r'(<div data-md-component="skip">)(.*?)(</div>)', re.S)
_H1 = re.compile(r"<h1\b([^>]*)>")
_ID = re.compile(r'\bid="([^"]+)"')


def skip_to_title(page: str, *, language: str = "ru") -> str:
    """``page`` with its skip link pointing at its first ``<h1>`` (unchanged without either)."""
    skip = _SKIP.search(page)
    h1 = _H1.search(page, skip.end() if skip else 0)
    if skip is None or h1 is None:
        return page
    found = _ID.search(h1.group(1))
    target = found.group(1) if found else TITLE_ID
    if not found:
        page = page[:h1.start()] + f'<h1 id="{TITLE_ID}"{h1.group(1)}>' + page[h1.end():]
    text = SKIP_TEXT.get(language, SKIP_TEXT["en"])
    link = f'<a href="#{html_lib.escape(target, quote=True)}" class="md-skip">{text}</a>'
    return page[:skip.start()] + skip.group(1) + link + skip.group(3) + page[skip.end():]
