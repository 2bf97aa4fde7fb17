"""Turning human text into URL-safe identifiers.

Article ids and file names must be ``[a-z0-9-]+`` so that permalinks survive any host,
shell or chat client. Russian titles are transliterated (a simplified ICAO/GOST table,
the one Russian passports use) instead of being percent-encoded, so
``Как вернуть товар`` becomes ``kak-vernut-tovar`` and stays readable in a link.

>>> slugify("Как вернуть товар?")
'kak-vernut-tovar'
>>> slugify("Wi-Fi & SIM-карта")
'wi-fi-sim-karta'
"""

from __future__ import annotations

import re
import unicodedata

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "і": "i", "ї": "i", "є": "ie", "ґ": "g",
}


def transliterate(text: str) -> str:
    """Return ``text`` lower-cased with Cyrillic letters spelled in Latin ones."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def slugify(text: str, *, max_length: int = 60) -> str:
    """Return an ``[a-z0-9-]+`` slug for ``text`` (empty when nothing usable is left).

    The slug is cut at a word boundary to ``max_length`` characters so file names stay short.
    """
    ascii_text = unicodedata.normalize("NFKD", transliterate(text))
    ascii_text = ascii_text.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def is_valid_id(value: str) -> bool:
    """Tell whether ``value`` is a well-formed article id (``[a-z0-9-]+``, no edge hyphens)."""
    return bool(ID_PATTERN.match(value))


def unique_slug(base: str, taken: set[str]) -> str:
    """Return ``base``, or ``base-2``, ``base-3``... whichever is not in ``taken``."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
