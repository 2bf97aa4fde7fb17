"""Russian and English words that sound alike: "бакет" / "bucket", "кластер" / "cluster".

Help centers of technical products mix scripts: a page says "bucket" where a customer types
"бакет", or "Kubernetes" where another writes "кубернетес". Neither a lemmatiser nor a typo
corrector joins them, since they share no letters. This module gives every word a *sound key*
(transliterated to Latin, spelling variants folded, vowels after the first letter dropped):

    >>> sound_key("бакет"), sound_key("bucket")
    ('bkt', 'bkt')
    >>> sound_key("кластер"), sound_key("cluster")
    ('klstr', 'klstr')

A key is coarse, so :func:`sound_alike` also asks the transliterated spellings to be close
(edit distance at most a third of the longer one). :class:`CrossScript` is the index's table of
such pairs: the query adds a word's counterparts in the other script as alternatives.
Nothing here names a product: the pairs come from the knowledge base's own vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from whoosh.support.levenshtein import distance

from kb_helpcenter.search.engine.analysis import is_dictionary_word, lemma, script_of

#: The shortest word (letters) that takes part: short keys ("bk", "srv") join unrelated words.
MIN_LETTERS = 5
MIN_KEY = 3
#: Counterparts kept per word: the closest spellings first.
MAX_PARTNERS = 3

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "",
    "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ё": "e",
}
_TABLE = str.maketrans(_CYR_TO_LAT)
# English spellings folded to how a Russian ear writes them, in order.
_FOLDS = [
    (re.compile(p), r)
    for p, r in (
        (r"dzh|zh|j", "j"),
        (r"ck|q", "k"),
        (r"ph", "f"),
        (r"th", "t"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"c(?=[eiy])", "s"),
        (r"ts|tz", "c"),
        (r"c", "k"),
        (r"y", "i"),
        (r"(.)\1+", r"\1"),
    )
]
_VOWELS = re.compile(r"(?<=.)[aeiou]")


def to_latin(word: str) -> str:
    """``word`` in Latin letters: Cyrillic transliterated (``"сервер"`` → ``"server"``)."""
    return word.lower().translate(_TABLE)


@lru_cache(maxsize=200_000)
def sound_key(word: str) -> str:
    """The coarse key under which words that sound alike meet (see the module docstring)."""
    key = to_latin(word)
    for pattern, replacement in _FOLDS:
        key = pattern.sub(replacement, key)
    return _VOWELS.sub("", key)


def eligible(word: str) -> bool:
    """Does ``word`` take part: letters only, one script, long enough, a key long enough."""
    return (
        len(word) >= MIN_LETTERS
        and word.isalpha()
        and script_of(word) in ("cyr", "lat")
        and len(sound_key(word)) >= MIN_KEY
    )


def sound_alike(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` the same word in two scripts (same key, close spellings)?"""
    if script_of(a) == script_of(b) or sound_key(a) != sound_key(b):
        return False
    la, lb = to_latin(a), to_latin(b)
    return distance(la, lb) * 3 <= max(len(la), len(lb))


DEFAULT_LOANWORDS_FILE = Path(__file__).with_name("loanwords.yml")


@lru_cache(maxsize=1)
def default_loanwords() -> tuple[tuple[str, ...], ...]:
    """kb's general loanword pairs (``loanwords.yml`` beside this module): groups of words
    that mean the same across scripts but do not sound alike ("бэкап" / "backup")."""
    groups = yaml.safe_load(DEFAULT_LOANWORDS_FILE.read_text(encoding="utf-8")) or []
    return tuple(tuple(str(w) for w in group) for group in groups)


class CrossScript:
    """The knowledge base's words by sound key, to find a word's counterparts in the other
    script. Built from the index vocabulary; a query word need not be in it."""

    def __init__(self, words: Iterable[str]):
        self._by_key: dict[str, list[str]] = {}
        for word in words:
            if eligible(word):
                self._by_key.setdefault(sound_key(word), []).append(word)

    def to_json(self) -> dict[str, list[str]]:
        """Only the keys that hold words of both scripts matter to a known word; every key can
        matter to an unknown one, so all are kept."""
        return self._by_key

    @classmethod
    def from_json(cls, data: dict[str, list[str]]) -> CrossScript:
        table = cls(())
        table._by_key = {str(k): [str(w) for w in v] for k, v in data.items()}
        return table

    def partners(self, word: str) -> list[str]:
        """Words of the other script that sound like ``word``, closest spelling first.

        A Russian word takes part only when the Russian dictionary does not know it: jargon
        and new loanwords ("бакет", "инстанс") are what pages spell in Latin letters, while a
        native word that happens to sound like an English one ("делать" / "delete", "план" /
        "plane") must not. An inflected form is matched by its lemma ("бакета" → "бакет").
        """
        forms = [word]
        if script_of(word) == "cyr":
            if is_dictionary_word(word):
                return []
            forms.append(lemma(word))
        latin = to_latin(word)
        found = {
            w for form in forms if eligible(form)
            for w in self._by_key.get(sound_key(form), ()) if sound_alike(form, w)
        }
        return sorted(found, key=lambda w: (distance(to_latin(w), latin), w))[:MAX_PARTNERS]
