"""Query-time analysis: a customer's text → weighted term slots, with the corrections made.

Customers' text is never Whoosh query syntax: it is split into words by the same chain as the
index (``title:x``, ``AND``, ``*`` and quotes are just words or punctuation), then each word is
checked against the index vocabulary:

1. keyboard layout — "pfzdrf" → "заявка", "зфньуте" → "payment", "обработкf" → "обработка",
   only when the converted word fits the vocabulary better than the typed one;
2. typos — an unknown word becomes the closest known word within an edit distance scaled to
   its length ("заявкаа" → "заявка", "интренет" → "интернет");
3. synonyms — groups from ``kb/_synonyms.yml`` ("симка" = "sim-карта", "лк" = "личный
   кабинет") and loanword pairs (``kb/_loanwords.yml`` and kb's general list, "бэкап" =
   "backup") add alternatives to the slot of the word or phrase they match;
4. the other script — a word's counterparts in the other alphabet among the knowledge base's
   own words ("бакет" finds "bucket", "Kubernetes" finds "кубернетес",
   :mod:`search.engine.translit`) are alternatives too, a little weaker.

Each remaining word is a :class:`Slot`: alternatives (tuples of terms that must all match, with a
weight) of which the best one counts. The engine turns slots into a Whoosh query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kb_helpcenter.search.engine.analysis import (
    STOP_WORDS,
    analyzer,
    could_be_wrong_layout,
    is_dictionary_word,
    lemma,
    max_typo_distance,
    normalize,
    script_of,
    surface_analyzer,
    to_english_layout,
    to_russian_layout,
)
from kb_helpcenter.search.engine.translit import CrossScript

MAX_QUERY_CHARS = 2000
MAX_SLOTS = 32
SYNONYM_WEIGHT = 0.9
#: A counterpart in the other script is nearly the same word (only spelling differs); a loanword
#: pair means the same across languages, but help centers use the English word for names too
#: ("account" in "service account"), so both count a little less than a writer's synonym.
TRANSLIT_WEIGHT = 0.8
LOANWORD_WEIGHT = 0.8
TRUST_DICTIONARY = True

_SURFACE = surface_analyzer()
_LEMMAS = analyzer()


class Vocabulary(Protocol):
    """What query analysis needs to know about the index."""

    def knows_term(self, term: str) -> bool:
        """Is ``term`` (a lemma or stem) in some searchable field?"""

    def knows_word(self, word: str) -> bool:
        """Is ``word`` (a normalised surface form) in the indexed text?"""

    def nearest_word(self, word: str, maxdist: int) -> str | None:
        """The most frequent indexed word within ``maxdist`` edits of ``word``, if any."""


@dataclass(frozen=True)
class Slot:
    """One word (or phrase) of the query: alternatives ``(terms, weight)``; the best one counts."""

    alternatives: tuple[tuple[tuple[str, ...], float], ...]

    @property
    def terms(self) -> set[str]:
        """Every term of every alternative."""
        return {t for terms, _ in self.alternatives for t in terms}


@dataclass
class AnalyzedQuery:
    """The outcome of :func:`analyze_query`."""

    text: str
    slots: list[Slot] = field(default_factory=list)
    corrected: str | None = None

    @property
    def terms(self) -> set[str]:
        """All terms the query may match (synonyms, loanwords, the other script included)."""
        return {t for slot in self.slots for t in slot.terms}

    @property
    def typed_terms(self) -> set[str]:
        """The terms of what the reader typed (after corrections): each slot's first
        alternative, and a compound's parts. What snippets mark."""
        typed: set[str] = set()
        for slot in self.slots:
            first = slot.alternatives[0][0]
            typed.update(first)
            for terms, _ in slot.alternatives[1:]:
                if len(first) == 1 and "-".join(terms) == first[0]:  # "sim-карта": "sim", "карта"
                    typed.update(terms)
        return typed


class SynonymTable:
    """Synonym groups as term tuples: each member of a group stands for every other member.

    A compound member also matches as separate words: "сим-карта" matches "сим карта".
    ``loanwords`` are groups too, of a lower weight (:data:`LOANWORD_WEIGHT`).
    """

    def __init__(self, groups: Iterable[Sequence[str]], loanwords: Iterable[Sequence[str]] = ()):
        groups_list = [(list(g), SYNONYM_WEIGHT) for g in groups] + [(list(g), LOANWORD_WEIGHT) for g in loanwords]
        self._groups: list[list[tuple[str, ...]]] = []
        self._weights: list[float] = []
        self._members: dict[tuple[str, ...], set[int]] = {}
        for group, weight in groups_list:
            members: list[tuple[str, ...]] = []
            keys: list[tuple[str, ...]] = []
            for phrase in group:
                units = lemma_units(str(phrase))
                whole = tuple(w for w, _ in units)
                split = tuple(p for w, parts in units for p in (parts or (w,)))
                if whole and whole not in members:
                    members.append(whole)
                keys += [k for k in (whole, split) if k]
            if len(members) < 2:
                continue
            for key in keys:
                self._members.setdefault(key, set()).add(len(self._groups))
            self._groups.append(members)
            self._weights.append(weight)
        self.longest = max((len(m) for m in self._members), default=0)
        self.terms = frozenset(t for key in self._members for t in key)
        self.words = frozenset(
            w for group, _ in groups_list for phrase in group for w in _surface_words(str(phrase))
        )

    def expand(self, units: Sequence[tuple[str, tuple[str, ...]]]) -> list[Slot]:
        """Slots for a sequence of ``(term, compound parts)``, longest synonym phrases first."""
        terms = [w for w, _ in units]
        slots: list[Slot] = []
        i = 0
        while i < len(terms):
            for n in range(min(self.longest, len(terms) - i), 0, -1):
                phrase = tuple(terms[i : i + n])
                groups = self._members.get(phrase)
                if groups:
                    alts = [(phrase, 1.0)]
                    for g in sorted(groups):
                        alts += [(m, self._weights[g]) for m in self._groups[g] if m != phrase]
                    slots.append(Slot(tuple(dict.fromkeys(alts))))
                    i += n
                    break
            else:
                whole, parts = units[i]
                alts = [((whole,), 1.0)]
                if parts:
                    alts.append((parts, SYNONYM_WEIGHT))
                slots.append(Slot(tuple(alts)))
                i += 1
        return slots


def lemma_units(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(term, parts)`` per word of ``text``: ``parts`` are a compound's terms, else ``()``.

    ``lemma_units("SIM-карту ставлю")`` is ``[("sim-карта", ("sim", "карта")), ("ставить", ())]``.
    """
    return _units(_LEMMAS, text)


def _units(chain, text: str) -> list[tuple[str, tuple[str, ...]]]:
    units: list[tuple[str, list[str]]] = []
    span = (-1, -1)
    for t in chain(text, chars=True, positions=True):
        if (t.startchar, t.endchar) == span and units:
            units[-1][1].append(t.text)  # a part of the compound just emitted
        else:
            units.append((t.text, []))
            span = (t.startchar, t.endchar)
    return [(whole, tuple(parts)) for whole, parts in units]


def analyze_query(text: str, vocabulary: Vocabulary, synonyms: SynonymTable,
                  cross: CrossScript | None = None, *, correct: bool = True) -> AnalyzedQuery:
    """Turn a customer's text into slots, correcting layout and typos against ``vocabulary``
    (unless ``correct`` is false: "search for what I typed"); ``cross`` adds each word's
    counterparts in the other script."""
    text = (text or "")[:MAX_QUERY_CHARS]
    vocabulary = _WithSynonyms(vocabulary, synonyms)
    words: list[str] = []  # corrected surface words, in order
    partners: dict[str, list[str]] = {}  # a word's lemma -> its counterparts' lemmas
    changed = False
    for chunk in text.split():
        fixed = _fix_layout(normalize(chunk), vocabulary) if correct else None
        if fixed is not None:
            chunk, changed = fixed, True
        for surface in _surface_words(chunk):
            fixed_word = _fix_word(surface, vocabulary) if correct else surface
            if fixed_word != surface:
                changed = True
            # typos first: a misspelt Russian word is no loanword ("интренет")
            found = cross.partners(fixed_word) if cross is not None else []
            if found:
                partners.setdefault(lemma(fixed_word), []).extend(lemma(p) for p in found)
            words.append(fixed_word)
    units = list(dict.fromkeys(u for w in words for u in lemma_units(w)))[:MAX_SLOTS]
    corrected = " ".join(words) if changed else None
    slots = synonyms.expand(units)
    if partners:
        slots = [_with_partners(slot, partners) for slot in slots]
    return AnalyzedQuery(text=text, slots=slots, corrected=corrected)


def _with_partners(slot: Slot, partners: dict[str, list[str]]) -> Slot:
    """``slot`` plus the other-script counterparts of its one-word alternatives."""
    extra = [
        ((p,), weight * TRANSLIT_WEIGHT)
        for terms, weight in slot.alternatives
        if len(terms) == 1
        for p in partners.get(terms[0], ())
    ]
    if not extra:
        return slot
    seen = {terms for terms, _ in slot.alternatives}
    added = tuple(dict.fromkeys(a for a in extra if a[0] not in seen))
    return Slot(slot.alternatives + added)


class _WithSynonyms:
    """The index vocabulary plus the words of the synonym groups ("кэшбэк", "инет" are known
    words even where no article uses them: they must not be "corrected" away)."""

    def __init__(self, vocabulary: Vocabulary, synonyms: SynonymTable):
        self._vocabulary = vocabulary
        self._synonyms = synonyms

    def knows_term(self, term: str) -> bool:
        return term in self._synonyms.terms or self._vocabulary.knows_term(term)

    def knows_word(self, word: str) -> bool:
        return word in self._synonyms.words or self._vocabulary.knows_word(word)

    def nearest_word(self, word: str, maxdist: int) -> str | None:
        return self._vocabulary.nearest_word(word, maxdist)


def _surface_words(chunk: str) -> list[str]:
    """Normalised words of one chunk; a compound stays one word ("sim-карту")."""
    return [whole for whole, _ in _units(_SURFACE, chunk)]


def _known(chunk: str, vocabulary: Vocabulary) -> tuple[int, int]:
    """How many words ``chunk`` has, and how many of them the index knows."""
    words = _surface_words(chunk)
    known = sum(1 for w in words if vocabulary.knows_word(w) or vocabulary.knows_term(lemma(w)))
    return len(words), known


def _fix_layout(chunk: str, vocabulary: Vocabulary) -> str | None:
    """``chunk`` retyped in the other layout, when the index knows none of the typed words but
    all of the retyped ones ("pfzdrf" → "заявка"; "СУБД" stays, though "ce,l" has two
    known words). Stop words and one-letter words are never retyped ("я" is not "z")."""
    target = could_be_wrong_layout(chunk)
    if target is None or sum(c.isalpha() for c in chunk) < 2:
        return None
    words, known = _known(chunk, vocabulary)
    if known or (not words and chunk.strip(",.;:!?") in STOP_WORDS):
        return None
    convert = to_russian_layout if target == "ru" else to_english_layout
    stripped = chunk.rstrip(",.;:!?")
    for candidate in (convert(chunk), convert(stripped) + chunk[len(stripped) :]):
        retyped = _surface_words(candidate)
        if retyped and all(len(w) > 1 and _is_known(w, vocabulary) for w in retyped):
            return candidate
    return None


def _is_known(word: str, vocabulary: Vocabulary) -> bool:
    return vocabulary.knows_word(word) or vocabulary.knows_term(lemma(word))


_LATIN_RUN = re.compile(r"[a-z,.;'\[\]`]")


def _fix_word(word: str, vocabulary: Vocabulary) -> str:
    """A known word for an unknown one: mixed-layout letters first, then typos."""
    if vocabulary.knows_word(word) or vocabulary.knows_term(lemma(word)):
        return word
    if any(c.isdigit() for c in word):
        return word  # codes and numbers are never "corrected"
    if TRUST_DICTIONARY and is_dictionary_word(word):
        return word
    if script_of(word) == "mixed":
        retyped = _LATIN_RUN.sub(lambda m: to_russian_layout(m.group()), word)
        if vocabulary.knows_word(retyped) or vocabulary.knows_term(lemma(retyped)):
            return retyped
        word = retyped
    maxdist = max_typo_distance(word)
    if maxdist == 0:
        return word
    return vocabulary.nearest_word(word, maxdist) or word
