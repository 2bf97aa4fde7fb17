"""Folding misspelt words into the spelling most people used, before questions are compared.

    >>> fold_typos({"arrive": 120, "arive": 2, "card": 300})
    {'arive': 'arrive'}

A word is taken for a typo of another when it is rare (asked at most ``rare`` times), the other
is common (``ratio`` times more frequent and asked at least ``common`` times), and the two are
one deletion apart on either side (the symmetric-delete test of SymSpell: it covers one letter
added, dropped or changed, and two neighbours swapped). Short words (up to 4 letters) and words
with digits are never folded: "4g" is not "5g", and "sms" is not "sim".

This is what lets a million questions collapse to the distinct ones before the engine sees any
of them: "my card did not arive" and "my card did not arrive" become the same question.
"""

from __future__ import annotations

from collections.abc import Mapping


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def fold_typos(frequencies: Mapping[str, int], *, rare: int = 3, common: int = 5, ratio: float = 10.0,
               min_length: int = 5) -> dict[str, str]:
    """``{typo: correction}`` for the rare words of ``frequencies`` that look like typos."""
    by_key: dict[str, list[str]] = {}
    for word, n in frequencies.items():
        if n >= common and len(word) >= min_length - 1 and word.isalpha():
            for key in _deletes(word) | {word}:
                by_key.setdefault(key, []).append(word)
    fixes: dict[str, str] = {}
    for word, n in frequencies.items():
        if n > rare or len(word) < min_length or not word.isalpha():
            continue
        candidates = {c for key in _deletes(word) | {word} for c in by_key.get(key, ()) if c != word}
        best = max(candidates, key=lambda c: (frequencies[c], c), default=None)
        if best is not None and frequencies[best] >= ratio * n and best[0] == word[0]:
            fixes[word] = best
    return dict(sorted(fixes.items()))
