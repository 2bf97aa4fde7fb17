"""Result snippets: the passage that best matches the query, HTML-escaped, matches in ``<mark>``.

Analysing whole articles per query is too slow for a 30 ms budget, so the index stores each
article's text cut into passages of a few sentences, with the terms of each passage
(:func:`passages`, at build time). At query time :func:`make_snippet` picks the passage with
the most distinct query terms and marks them::

    >>> make_snippet(passages("Оплата прошла. Заявка <b>висит</b>!"), {"заявка", "висеть"})
    'Оплата прошла. <mark>Заявка</mark> &lt;b&gt;<mark>висит</mark>&lt;/b&gt;!'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kb_helpcenter.search.engine.analysis import analyzer, surfaces_and_terms

PASSAGE_LENGTH = 220
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_CHAIN = analyzer()
#: Words found but never marked: a marked "не" in every other line says nothing.
UNMARKED = frozenset({"не", "нет", "ни", "not", "no"})
_ENDS_SENTENCE = re.compile(r"[.!?…:;]\s*$")
_SPACE_BEFORE = re.compile(r"\s+([.,;:!?…»)\]])")
_SPACE_AFTER = re.compile(r"([«(\[])\s+")


def tidy(text: str) -> str:
    """Spaces as a reader expects them: none before ``.,;:!?…»)`` or after ``«(``
    (text taken out of links and emphasis leaves "в платежах ." behind)."""
    return _SPACE_AFTER.sub(r"\1", _SPACE_BEFORE.sub(r"\1", " ".join(text.split())))


def passages(
    text: str,
    *,
    length: int = PASSAGE_LENGTH,
    tokens: list[tuple[int, str, str | None]] | None = None,
) -> list[tuple[str, str]]:
    """``text`` as ``(passage, its terms joined by spaces)``: sentences grouped up to ``length``.

    ``tokens`` (from :func:`search.engine.analysis.surfaces_and_terms`) saves analysing ``text`` again.
    """
    spans: list[tuple[int, int]] = []
    pieces: list[list[str]] = []  # each passage's sentences, a heading line closed with "."
    size = 0
    for m in _SENTENCE.finditer(text or ""):
        sentence = tidy(m.group())
        n = len(sentence)
        if not n:
            continue
        if not _ENDS_SENTENCE.search(sentence):
            sentence += "."  # a heading or a list item: "Товар с недостатком. Когда обнаружен..."
        if spans and size + 1 + n <= length:
            spans[-1] = (spans[-1][0], m.end())
            pieces[-1].append(sentence)
            size += 1 + n
        else:
            spans.append(m.span())
            pieces.append([sentence])
            size = n
    if tokens is None:
        tokens = surfaces_and_terms(text or "")
    out: list[tuple[str, str]] = []
    i = 0
    for (start, end), sentences in zip(spans, pieces, strict=True):
        terms = []
        while i < len(tokens) and tokens[i][0] < end:
            if tokens[i][0] >= start and tokens[i][2]:
                terms.append(tokens[i][2])
            i += 1
        out.append((" ".join(sentences), " ".join(terms)))
    return out


def make_snippet(stored: Iterable[tuple[str, str]], terms: Iterable[str], marked: Iterable[str] | None = None) -> str:
    """The passage with the most distinct query ``terms``, escaped, with the ``marked`` terms
    (the words the reader typed; default: ``terms``) in ``<mark>``."""
    terms = set(terms)
    marked = terms if marked is None else set(marked)
    best, best_found = None, 0
    for passage, passage_terms in stored:
        if best is None:
            best = passage
        found = len(terms.intersection(passage_terms.split()))
        if found > best_found:
            best, best_found = passage, found
    if best is None:
        return ""
    if len(best) > PASSAGE_LENGTH + 40:  # one very long sentence: cut on a word boundary
        cut = best.rfind(" ", 0, PASSAGE_LENGTH)
        best = best[: cut if cut > 0 else PASSAGE_LENGTH] + " …"
    return mark(best, marked)


def best_moment(
    moments: Iterable[tuple[str, str, str]], stored: Iterable[tuple[str, str]], terms: Iterable[str],
    marked: Iterable[str] | None = None,
) -> tuple[str, str] | None:
    """``(url, snippet)`` of the transcript cue that answers the query better than the text.

    ``moments`` are ``(moment url, cue text, cue terms)`` of an article's video transcripts. A
    cue wins only when it holds more distinct query terms than any passage of the article's
    own text: then the answer is in the video, and the hit should start it at that moment.
    """
    terms = set(terms)
    marked = terms if marked is None else set(marked)
    if not terms:
        return None
    text_best = max((len(terms.intersection(t.split())) for _, t in stored), default=0)
    best, best_found = None, text_best
    for url, cue, cue_terms in moments:
        found = len(terms.intersection(cue_terms.split()))
        if found > best_found:
            best, best_found = (url, cue), found
    if best is None:
        return None
    return best[0], mark(tidy(best[1]), marked)


def mark(text: str, terms: set[str]) -> str:
    """``text`` HTML-escaped, with the words whose terms are in ``terms`` in ``<mark>``
    (never the words of :data:`UNMARKED`)."""
    out, pos = [], 0
    for t in _CHAIN(text, chars=True):
        if t.text in terms and t.text not in UNMARKED and t.startchar >= pos:
            out.append(html.escape(text[pos : t.startchar]))
            out.append(f"<mark>{html.escape(text[t.startchar : t.endchar])}</mark>")
            pos = t.endchar
    out.append(html.escape(text[pos:]))
    return "".join(out)
