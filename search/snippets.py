"""Result snippets: the passage that best matches the query, HTML-escaped, matches in ``<mark>``.

>>> make_snippet("Заявка <b>висит</b>. Оплата прошла.", {"заявка", "висеть"})
'Заявка &lt;b&gt;<mark>висит</mark>&lt;/b&gt;. Оплата прошла.'

(The first word is marked too: ``<mark>Заявка</mark>``; doctest output shortened here.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from search.analysis import analyzer

SNIPPET_LENGTH = 220
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*\s*")
_CHAIN = analyzer()


def make_snippet(text: str, terms: Iterable[str], *, length: int = SNIPPET_LENGTH) -> str:
    """The passage of ``text`` with the most distinct query terms, escaped, matches marked."""
    terms = set(terms)
    text = " ".join(text.split("\n\n")) if text else ""
    if not text.strip():
        return ""
    best_span, best_score = (0, min(len(text), length)), -1.0
    sentences = [m.span() for m in _SENTENCE.finditer(text)] or [(0, len(text))]
    for i, (start, _) in enumerate(sentences):
        end = start
        j = i
        while j < len(sentences) and sentences[j][1] - start <= length:
            end = sentences[j][1]
            j += 1
        if end == start:
            end = min(len(text), start + length)
        found = {t.text for t in _CHAIN(text[start:end]) if t.text in terms}
        score = len(found) - i * 1e-6  # ties go to the earlier passage
        if score > best_score:
            best_span, best_score = (start, end), score
        if best_score >= len(terms):
            break
    start, end = best_span
    return _render(text, start, end, terms)


def _render(text: str, start: int, end: int, terms: set[str]) -> str:
    passage = text[start:end]
    if end < len(text):  # cut on a word boundary
        cut = passage.rfind(" ")
        if cut > len(passage) // 2:
            passage = passage[:cut]
    spans = []
    for t in _CHAIN(passage, chars=True):
        if t.text in terms and (not spans or t.startchar >= spans[-1][1]):
            spans.append((t.startchar, t.endchar))
    out, pos = [], 0
    for s, e in spans:
        out.append(html.escape(passage[pos:s]))
        out.append(f"<mark>{html.escape(passage[s:e])}</mark>")
        pos = e
    out.append(html.escape(passage[pos:]))
    rendered = "".join(out).strip()
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + len(passage) < len(text.rstrip()) else ""
    return f"{prefix}{rendered}{suffix}"
