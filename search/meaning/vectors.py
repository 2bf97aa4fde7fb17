"""Sentence vectors of the articles' own questions, stored beside the index, for English queries.

The engine's lexical ranking knows words; a customer who asks "my card still hasn't come" for
the article "Card arrival" shares none of them with it. When the optional encoder is installed
(:mod:`search.meaning.minilm`, the ``semantic`` extra), :func:`write_vectors` embeds each article's
title and aliases -- the questions the article answers, in customers' words -- and
:class:`ArticleVectors` lets the engine re-rank its lexical candidates by how close the query's
meaning is to the nearest of them (:func:`blend`). Measured on Banking77 (bench/README.md):
top-1 0.75 -> 0.83, top-5 0.93 -> 0.97.

The model is English-only, so only Latin-script texts are embedded and only Latin-script
queries are re-ranked; Russian text keeps the lexical ranking exactly.

Files in the index directory: ``vectors.npy`` (float16 rows, unit length before rounding) and
``vectors.json`` (the model, and each row's article id and text). A rebuild re-uses the rows of
texts the previous index already embedded, so editing one article re-embeds only its texts.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb_helpcenter.search.manifest import Manifest
from kb_helpcenter.search.meaning import minilm

VECTORS_FILE = "vectors.npy"
VECTORS_META = "vectors.json"
MODEL = "all-MiniLM-L6-v2"
#: ``KB_SEMANTIC=0`` turns the vectors off (no embedding at build, no re-ranking), e.g. on a
#: machine too slow to embed a large English knowledge base at every build.
SWITCH = "KB_SEMANTIC"
#: A text is Latin-script when at least this share of its letters are Latin.
LATIN_SHARE = 0.6
#: The blend of :func:`blend`: weight of the lexical score (relative to the best candidate's);
#: the rest is the cosine to the article's nearest question. Picked on one half of Banking77's
#: queries and confirmed on the other (bench/experiments/README.md: semantic_experiment.py).
LEXICAL_WEIGHT = 0.2

#: Texts embedded per progress line (and per task of a worker process) at build time.
EMBED_BATCH = 2000
#: At most this many processes embed at build (one per core below that).
EMBED_WORKERS = 4


def enabled() -> tuple[bool, str]:
    """Whether vectors are built and used here, and if not, why (for ``kb build``'s output)."""
    if os.environ.get(SWITCH, "").strip().lower() in {"0", "off", "false", "no"}:
        return False, f"{SWITCH}={os.environ[SWITCH]}"
    return minilm.available()


def _letters(texts: Iterable[str]) -> tuple[int, int]:
    """(Latin letters, all letters) in ``texts``."""
    latin = letters = 0
    for text in texts:
        for ch in text:
            if ch.isalpha():
                letters += 1
                latin += ch < "\u0250"  # Basic Latin to Latin Extended-B
    return latin, letters


def latin_share(texts: Iterable[str]) -> float:
    """The share of letters in ``texts`` that are Latin (1.0 when there are no letters).

    ``latin_share(["top up", "пополнить"])`` is 5 / 14.
    """
    latin, letters = _letters(texts)
    return latin / letters if letters else 1.0


def is_latin(text: str) -> bool:
    """True when ``text`` is mostly Latin letters (an English question, not a Russian one)."""
    latin, letters = _letters((text,))
    return letters > 0 and latin >= LATIN_SHARE * letters


def article_texts(manifest: Manifest) -> list[tuple[str, str]]:
    """(article id, text) for every Latin-script title and alias, grouped by article."""
    rows: list[tuple[str, str]] = []
    for record in manifest.articles:
        seen: set[str] = set()
        for text in (record.title, *record.aliases):
            text = " ".join(text.split())
            if text and text not in seen and is_latin(text):
                seen.add(text)
                rows.append((record.id, text))
    return rows


def write_vectors(manifest: Manifest, target: Path, *, previous: Path | None = None,
                  say: Callable[[str], None] = lambda line: None, workers: int | None = None,
                  batch: int = EMBED_BATCH) -> tuple[int, int]:
    """Embed the articles' Latin-script questions into ``target``; return (rows, newly embedded).

    Rows of texts that ``previous`` (the index being replaced) already holds are copied, not
    re-embedded. More than one ``batch`` of new texts is embedded by ``workers`` processes
    (default: one per core, at most :data:`EMBED_WORKERS`): a large English knowledge base's
    first build is mostly this. Writes nothing when no text is Latin-script.
    """
    import numpy as np

    rows = article_texts(manifest)
    if not rows:
        return 0, 0
    known = _previous_rows(previous)
    texts = [text for _, text in rows]
    missing = sorted({t for t in texts if t not in known})
    if missing:
        say(f"embedding {len(missing)} English titles and aliases for meaning-based search"
            f" ({len(texts) - len(missing)} kept from the previous index)")
        chunks = [missing[start:start + batch] for start in range(0, len(missing), batch)]
        workers = min(workers or os.cpu_count() or 1, EMBED_WORKERS, len(chunks))
        done = 0
        for chunk, vectors in zip(chunks, _embedded(chunks, workers), strict=True):
            known.update(zip(chunk, vectors, strict=True))
            done += len(chunk)
            if len(chunks) > 1:
                say(f"  embedded {done} of {len(missing)}")
    matrix = np.stack([np.asarray(known[t], dtype=np.float16) for t in texts])
    np.save(target / VECTORS_FILE, matrix, allow_pickle=False)
    meta = {"model": MODEL, "ids": [article for article, _ in rows], "texts": texts}
    (target / VECTORS_META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return len(texts), len(missing)


def _embedded(chunks: list[list[str]], workers: int) -> Iterator[Any]:
    """Each chunk's vectors, in order: in this process, or in ``workers`` fresh ones (spawned,
    not forked: each loads its own encoder, with one BLAS thread)."""
    if workers <= 1:
        yield from map(_encode, chunks)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_encode, chunks)


def _encode(texts: list[str]) -> Any:
    return minilm.shared_encoder().encode(texts)


def _previous_rows(previous: Path | None) -> dict[str, Any]:
    """Text -> vector of an earlier index of the same model (empty when there is none)."""
    stored = stored_vectors(previous) if previous is not None else None
    return {} if stored is None else dict(zip(stored.texts, stored.matrix, strict=True))


def stored_vectors(target: Path) -> ArticleVectors | None:
    """The vectors of index directory ``target``; ``None`` when it has none, of another model,
    or unreadable: stored vectors only ever save work, so a bad file costs their use, not a
    build, a search or a report."""
    try:
        return ArticleVectors.load(target)
    except (OSError, ValueError, KeyError):
        return None


@dataclass(frozen=True)
class ArticleVectors:
    """The vectors of one index generation: rows, their articles and texts."""

    matrix: Any  # (rows, dim) float16
    texts: list[str]
    rows_of: dict[str, tuple[int, int]]  # article id -> [start, end) of its rows

    @classmethod
    def load(cls, target: Path) -> ArticleVectors | None:
        """The vectors stored in index directory ``target``, or None when it has none."""
        import numpy as np

        meta_path = Path(target) / VECTORS_META
        if not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("model") != MODEL:
            return None
        matrix = np.load(Path(target) / VECTORS_FILE, allow_pickle=False)  # float16: half the memory
        ids = meta["ids"]
        if len(ids) != len(matrix) or len(meta["texts"]) != len(matrix):
            raise ValueError(f"{target}: {VECTORS_META} does not describe {VECTORS_FILE}")
        rows_of: dict[str, tuple[int, int]] = {}
        for row, article in enumerate(ids):
            start, _ = rows_of.get(article, (row, row))
            rows_of[article] = (start, row + 1)
        return cls(matrix, list(meta["texts"]), rows_of)

    def nearest(self, query: Any, article_ids: Sequence[str]) -> dict[str, float]:
        """Cosine of ``query`` (a unit vector) to each article's nearest question; articles
        without vectors are left out. One product over the candidates' rows."""
        import numpy as np

        spans = [(article, self.rows_of[article]) for article in article_ids if article in self.rows_of]
        if not spans:
            return {}
        rows = np.concatenate([np.arange(start, end) for _, (start, end) in spans])
        cosines = self.matrix[rows].astype(np.float32) @ np.asarray(query, dtype=np.float32)
        starts = np.cumsum([0] + [end - start for _, (start, end) in spans[:-1]])
        best = np.maximum.reduceat(cosines, starts)
        return {article: float(value) for (article, _), value in zip(spans, best, strict=True)}


def blend(scores: Sequence[tuple[str, float]], cosines: dict[str, float]) -> list[tuple[str, float]]:
    """Lexical candidates re-scored by meaning, best first.

    ``scores`` are the engine's (id, score), best first. Each candidate with a vector scores
    ``LEXICAL_WEIGHT * score / best + (1 - LEXICAL_WEIGHT) * cosine``; one without (a Russian
    article found by an English word) keeps ``score / best``, its lexical evidence alone. The
    sort is stable, so equal scores keep the lexical order.
    """
    if not scores:
        return []
    best = scores[0][1] if scores[0][1] > 0 else 1.0
    blended = []
    for article, score in scores:
        relative = score / best
        cosine = cosines.get(article)
        value = relative if cosine is None else LEXICAL_WEIGHT * relative + (1 - LEXICAL_WEIGHT) * cosine
        blended.append((article, value))
    return sorted(blended, key=lambda pair: -pair[1])
