"""Text analysis for Russian and English help-center text, as a Whoosh analyzer chain.

The index-time chain is ``KbTokenizer() | NormalizeFilter() | CompoundFilter() |
KbStopFilter() | MorphFilter()``::

    >>> [t.text for t in analyzer()("Не приходит SMS на SIM-карту, а iPhone 15 пишет 404!")]
    ['не', 'приходить', 'sms', 'sim-карта', 'sim', 'карта', 'iphon', '15', 'писать', '404']

- normalisation: NFKC, lower case, ё→е (per token, so character offsets stay those of the
  original text and highlighting can use them);
- tokens keep product names, codes and numbers: "wi-fi", "sim-карта", "4g", "404", "1.5";
  a compound also yields its parts ("sim", "карта"), so "сим карта" finds "сим-карта";
- script-aware morphology: pymorphy3 lemmas for Cyrillic words, the Porter stemmer for Latin
  ones, digits and mixed tokens unchanged;
- stop words for both languages, keeping negation ("не", "нет", "ни", "not", "no").

Query-time steps that need the index vocabulary (keyboard layout, typos, synonyms) live in
:mod:`search.engine.query`; the helpers they share with indexing are here.

Whoosh pickles the schema, analyzers included, into the index: the filters are small top-level
classes without state, and :data:`ANALYZER_VERSION` must change whenever their output does, so
an index built by older code is rebuilt rather than misread.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem
from whoosh.lang.snowball.russian import RussianStemmer

#: Bump on any change to what the chain produces for some input.
ANALYZER_VERSION = "6"

# Letters and digits, joined by inner hyphens, apostrophes or dots ("wi-fi", "don't", "1.5").
# Underscores separate words ("card_arrival"). A boost mark (see :func:`boosted`) sets the
# weight of the tokens after it.
_WORD = re.compile(r"\x1e([0-9.]+)\x1e|[^\W_]+(?:[-\u2010\u2011'’.][^\W_]+)*")
_MARK = "\x1e"
_JOINERS = re.compile(r"[-'’.]")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
_CONTRACTIONS = {"can't": "can not", "won't": "will not", "cannot": "can not"}

RUSSIAN_STOP_WORDS = frozenset(
    """
    а без более бы был была были было быть в вам вас весь во вот все всего всех вы да
    для до его ее ей ему если есть еще же за здесь и из или им их к как какой когда кто
    ли либо меня мне мной мы на над нам нас наш о об от по под при про с со так также
    та те тем то того тоже той только том ту у уже чем что чтобы эта эти это этот я
    ваш ваша ваше ваши свой мой моя мое мои он она оно они ним нем него нее себя
    можно нужно надо ну вот либо пожалуйста здравствуйте добрый день спасибо подскажите
    почему зачем где куда откуда сколько каком какая какие какую каким который которая
    которые которых
    """.split()
)
# Question words and politeness are stop words: customers wrap every question in them.
# Negation is not: "не приходит" and "приходит" are different problems.

ENGLISH_STOP_WORDS = frozenset(
    """
    a an and are as at be been being but by could did do does doing for from had has have
    having he her here hers him his i if in into is it its itself just me my myself of on
    once or our ours please she should so some such than that the their theirs them
    then there these they this those through to too until very was we were
    which while who whom will with would you your yours yourself hi hello
    thanks thank
    """.split()
)
STOP_WORDS = RUSSIAN_STOP_WORDS | ENGLISH_STOP_WORDS
#: Lemmas dropped after morphology: forms of stop words the lists above cannot enumerate.
STOP_LEMMAS = frozenset("что какой который весь свой этот тот такой себя быть мочь наш ваш сам".split())


def normalize(text: str) -> str:
    """NFKC, lower case and ё→е: ``normalize("ЁЛКА Ｗi‑Fi")`` is ``"елка wi-fi"``."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.replace("ё", "е").replace("\u2010", "-").replace("\u2011", "-").replace("\u00ad", "")


def script_of(word: str) -> str:
    """``"cyr"``, ``"lat"``, ``"mixed"`` (both alphabets) or ``"none"`` (digits only)."""
    cyr = bool(_CYRILLIC.search(word))
    lat = bool(_LATIN.search(word))
    if cyr and lat:
        return "mixed"
    return "cyr" if cyr else "lat" if lat else "none"


_RUSSIAN_STEMMER = RussianStemmer()


@lru_cache(maxsize=1)
def _morph():  # pymorphy3 loads its dictionaries once per process (about half a second)
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=300_000)
def lemma(word: str) -> str:
    """The dictionary form of one normalised word, by script.

    ``lemma("заявками")`` is ``"заявка"``, ``lemma("refunds")`` is ``"refund"``,
    ``lemma("sim-карту")`` is ``"sim-карта"``; digits and mixed tokens come back unchanged.
    """
    if "-" in word or "." in word:
        return "-".join(lemma(part) for part in word.split("-")) if "-" in word else word
    kind = script_of(word)
    if kind == "cyr":
        if len(word) < 3 or not word.isalpha():
            return word
        parse = _morph().parse(word)[0]
        if not parse.is_known and len(word) > 5:
            # pymorphy guesses lemmas of unknown words ("бакета" → "бакета", "бакете" →
            # "бакет"); a stemmer treats every form of a jargon word alike
            return _RUSSIAN_STEMMER.stem(word)
        return parse.normal_form.replace("ё", "е")
    if kind == "lat" and word.isalpha() and len(word) > 3:  # "sms", "gps", "ios" stay whole
        return porter_stem(word)
    return word


@lru_cache(maxsize=100_000)
def is_dictionary_word(word: str) -> bool:
    """Is ``word`` a Russian word pymorphy3's dictionary knows (in any form)?

    Query analysis leaves such words alone even when no article uses them: "ремонтировали" is
    not a typo of anything.
    """
    return script_of(word) == "cyr" and word.isalpha() and _morph().word_is_known(word)


class KbTokenizer(Tokenizer):
    """Words, numbers and compounds ("SIM-карта", "Wi-Fi", "1.5") with character offsets."""

    def __call__(  # noqa: D102 - Whoosh's tokenizer protocol
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos - 1
        boost = 1.0
        for match in _WORD.finditer(value):
            if match.group(1):
                boost = float(match.group(1))
                continue
            pos += 1
            token.text = match.group()
            token.boost = boost
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


def boosted(parts: list[tuple[str, float]]) -> str:
    """One field value from texts of different weight: ``[(title, 3.0), (body, 1.0)]``.

    The tokenizer gives each token the weight of its part, so one field holds true BM25F
    term weights (one posting list per term, not one per field: several times faster).
    """
    return "\n".join(f"{_MARK}{boost:g}{_MARK}{text}" for text, boost in parts if text)


class NormalizeFilter(Filter):
    """NFKC, lower case, ё→е: ``["ЁЖ", "Ｗi-Fi"]`` → ``["еж", "wi-fi"]``."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # noqa: D102
        for t in tokens:
            t.text = _normalize_word(t.text)
            yield t


_normalize_word = lru_cache(maxsize=300_000)(normalize)  # words repeat: index build time


class CompoundFilter(Filter):
    """Emit a compound and then its parts; expand English contractions.

    ``"sim-карта"`` → ``["sim-карта", "sim", "карта"]``; ``"hasn't"`` → ``["has", "not"]``;
    ``"client's"`` → ``["client"]``. Later tokens' positions shift past the parts, so phrase and
    proximity checks see the parts as consecutive words.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # noqa: D102
        shift = 0
        for t in tokens:
            text = t.text
            if t.positions:
                t.pos += shift
            if not _JOINERS.search(text):
                yield t
                continue
            text = text.replace("’", "'")
            parts = _split_compound(text)
            if len(parts) == 1:
                t.text = parts[0]
                yield t
                continue
            keep_whole = "'" not in text and not _is_number(text)
            base = t.pos if t.positions else 0
            if keep_whole:
                t.text = text
                yield t
            for i, part in enumerate(parts):
                t.text = part
                if t.positions:
                    t.pos = base + i
                yield t
            shift += len(parts) - 1


def _split_compound(text: str) -> list[str]:
    if text in _CONTRACTIONS:
        return _CONTRACTIONS[text].split()
    if text.endswith("n't") and script_of(text) == "lat":
        return [text[:-3], "not"]
    if text.endswith("'s"):
        return [text[:-2]]
    if _is_number(text):
        return [text]
    return [p for p in _JOINERS.split(text) if p]


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[\d.,-]+", text))


class KbStopFilter(Filter):
    """Drop Russian and English stop words but keep negation (``не``, ``нет``, ``not``)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # noqa: D102
        for t in tokens:
            if t.text in STOP_WORDS:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            yield t


class MorphFilter(Filter):
    """Lemmas for Cyrillic words, Porter stems for Latin ones: ``"заявками"`` → ``"заявка"``.

    Lemmas that are stop words are dropped too ("чего" → "что", "могу" → "мочь").
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # noqa: D102
        for t in tokens:
            t.text = lemma(t.text)
            if t.text in STOP_LEMMAS:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            yield t


class RootFilter(Filter):
    """A coarse root for derivational matches: the first 5 letters of a Cyrillic lemma.

    ``"обработка"`` and ``"обрабатывать"`` both become ``"обраб"``. Used in a low-boost field
    only: roots are noisy ("проверка" and "провести" share one).
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:  # noqa: D102
        for t in tokens:
            t.text = root(t.text)
            yield t


def root(lemma_text: str) -> str:
    """The derivational root used by :class:`RootFilter` (Cyrillic lemmas of 6+ letters)."""
    if len(lemma_text) > 5 and script_of(lemma_text) == "cyr" and lemma_text.isalpha():
        return lemma_text[:5]
    return lemma_text


def analyzer():
    """The index-time chain for text fields (see the module docstring for an example)."""
    return KbTokenizer() | NormalizeFilter() | CompoundFilter() | KbStopFilter() | MorphFilter()


def root_analyzer():
    """The chain of the ``roots`` field: :func:`analyzer` plus :class:`RootFilter`."""
    return analyzer() | RootFilter()


def surface_analyzer():
    """Normalised words without morphology: the vocabulary that typo correction matches."""
    return KbTokenizer() | NormalizeFilter() | CompoundFilter() | KbStopFilter()


def surface_words(text: str) -> list[str]:
    """Normalised words of ``text`` without morphology (what typo correction matches)."""
    return [t.text for t in _SURFACE_CHAIN(text)]


def surfaces_and_terms(text: str) -> list[tuple[int, str, str | None]]:
    """``(start offset, surface word, term or None)`` per token, in one pass.

    The same tokens as :func:`surface_analyzer` and the same terms as :func:`analyzer` (``None``
    where the lemma is a stop word), for indexing long texts without analysing them twice.
    """
    out = []
    for t in _SURFACE_CHAIN(text, chars=True):
        term = lemma(t.text)
        out.append((t.startchar, t.text, None if term in STOP_LEMMAS else term))
    return out


def analyze(text: str) -> list[str]:
    """Index terms of ``text``: ``analyze("Заявки висят")`` is ``["заявка", "висеть"]``."""
    return [t.text for t in analyzer()(text)]


_SURFACE_CHAIN = surface_analyzer()


# ---- keyboard layouts (ЙЦУКЕН <-> QWERTY) --------------------------------------------------

_EN = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./"
_RU = "ёйцукенгшщзхъфывапролджэячсмитьбю."
_EN_TO_RU = str.maketrans(_EN + _EN.upper(), _RU + _RU.upper())
_RU_TO_EN = str.maketrans(_RU[:-1] + _RU[:-1].upper(), _EN[:-1] + _EN[:-1].upper())
_EN_LAYOUT_CHARS = frozenset(_EN + _EN.upper())


def to_russian_layout(text: str) -> str:
    """Text typed on a QWERTY layout meaning ЙЦУКЕН: ``"pfzdrf dbcbn"`` → ``"заявка висит"``."""
    return text.translate(_EN_TO_RU)


def to_english_layout(text: str) -> str:
    """Text typed on ЙЦУКЕН meaning QWERTY: ``"зфньуте"`` → ``"payment"``."""
    return text.translate(_RU_TO_EN)


def could_be_wrong_layout(chunk: str) -> str | None:
    """``"ru"`` or ``"en"`` when ``chunk`` (one whitespace-separated word) could be typed in the
    other layout: only letters of one keyboard, and the punctuation keys that carry letters."""
    letters = [c for c in chunk if c.isalpha() or c in ",.;'[]`"]
    if not letters or len(letters) < len(chunk.strip('!?"()«»')):
        return None
    if all(c in _EN_LAYOUT_CHARS for c in letters) and any(c.isalpha() for c in letters):
        return "ru"
    if all("а" <= c.lower() <= "я" or c.lower() == "ё" for c in letters):
        return "en"
    return None


def max_typo_distance(word: str) -> int:
    """Edits allowed when correcting ``word``: 0 up to 3 letters, 1 up to 7, else 2."""
    n = len(word)
    return 0 if n <= 3 else 1 if n <= 7 else 2
