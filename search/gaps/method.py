"""Which closeness the gap analysis uses: lemma overlap, or English sentence embeddings.

Lemma overlap cannot tell "how do I top up by card" (asked in another article's words) from
"my top-up was reverted" (a missing article): on Banking77 every lexical signal stays near
chance (bench/README.md). An English sentence encoder (:mod:`search.meaning.minilm`) can, so when
one is given to :func:`search.gaps.find.find_gaps` the analysis measures closeness by the cosine of
embeddings (:mod:`search.gaps.semantic`) -- but only where the encoder understands the text
and the cost stays bounded:

- the questions must be mostly Latin-script (:data:`LATIN` of their letters): the model is
  English-only, so Russian questions keep the lexical method, unchanged;
- at most :data:`MAX_EMBEDDED` distinct questions are embedded (about 4 ms each on two cores:
  the cap is about three minutes); beyond it the lexical method runs, and the report says why.

This module needs no numpy: it decides, :mod:`search.gaps.semantic` does the work.

    >>> choose_method(["How do I top up?"], embed=None, to_embed=1).name
    'lexical'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kb_helpcenter.search.meaning.vectors import latin_share  # one test of script for search and gaps

Embed = Callable[[list[str]], Any]  # texts -> (len(texts), dim) float32 unit rows

#: Share of letters that must be Latin for texts to count as English enough for the encoder.
LATIN = 0.8
#: At most this many distinct questions are embedded; more, and the lexical method runs.
MAX_EMBEDDED = 50_000


@dataclass(frozen=True)
class Method:
    """How closeness was measured: ``"semantic"`` or ``"lexical"``, and why, for the report."""

    name: str
    note: str


def choose_method(texts: Sequence[str], *, embed: Embed | None, to_embed: int,
                  cap: int = MAX_EMBEDDED) -> Method:
    """Semantic when an encoder is given, ``texts`` (the questions) are mostly Latin-script
    and at most ``cap`` questions need embedding; lexical otherwise, saying why."""
    if embed is None:
        return Method("lexical", "lemma overlap (no sentence encoder)")
    share = latin_share(texts)
    if share < LATIN:
        return Method("lexical", f"lemma overlap (questions {share:.0%} Latin-script; the encoder is English-only)")
    if to_embed > cap:
        return Method("lexical", f"lemma overlap ({to_embed:,} questions to embed, over the cap of {cap:,})")
    return Method("semantic", "sentence embeddings (all-MiniLM-L6-v2)")
