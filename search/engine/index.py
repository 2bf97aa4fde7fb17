"""The Whoosh index over the manifest: schema, build into a new directory, atomic switch.

``build_index(manifest, Path(".kb/index"))`` writes ``.kb/index-<version>-<stamp>/`` and then
points the symlink ``.kb/index`` at it with one ``os.replace``: a running engine keeps
answering from the old directory until it notices the new link (see
:meth:`search.engine.searcher.Engine.search`). Older directories are pruned, keeping the previous one
for engines that have not switched yet.

The index version changes with the analyzer, the stop words and the schema, so an index
written by older code is rebuilt (:func:`ensure_index`), never misread.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema

from kb_helpcenter.search.engine.analysis import (
    ANALYZER_VERSION,
    STOP_LEMMAS,
    STOP_WORDS,
    analyze,
    analyzer,
    boosted,
    root_analyzer,
    surface_analyzer,
    surface_words,
    surfaces_and_terms,
)
from kb_helpcenter.search.engine.snippets import passages
from kb_helpcenter.search.engine.translit import CrossScript
from kb_helpcenter.search.manifest import ArticleRecord, Manifest, load_manifest
from kb_helpcenter.search.meaning.vectors import enabled as vectors_enabled
from kb_helpcenter.search.meaning.vectors import write_vectors

#: Whoosh pickles the schema, analyzer classes and their module paths included, into the index:
#: "9" since the analysis moved from ``search.analysis`` to
#: ``kb_helpcenter.search.engine.analysis``; "10" adds :data:`CROSS_SCRIPT_FILE`.
SCHEMA_VERSION = "10"
META_FILE = "kb-index.json"
#: The knowledge base's words by sound key (:class:`search.engine.translit.CrossScript`).
CROSS_SCRIPT_FILE = "cross-script.json"

#: Two searchable fields: ``head`` holds the short parts, each with a weight (which becomes
#: its term frequencies), ``body`` the body and video transcripts. Titles and customers' own
#: phrasings (aliases) say most about what an article answers; the body says a lot, but also
#: about everything else. Parts share a field because every field costs a posting list per
#: query word.
HEAD_PARTS: dict[str, float] = {
    "title": 3.0,
    "aliases": 2.0,
    "summary": 1.5,
    "headings": 1.5,
    "meta": 1.0,
}
#: BM25F: field weight and length normalisation ``b``.
FIELD_WEIGHTS: dict[str, float] = {"head": 2.0, "body": 1.0}
FIELD_B: dict[str, float] = {"head": 0.5, "body": 0.75}
#: Weight of the derivational-root field (matches "обрабатывают" to "обработка").
ROOTS_WEIGHT = 0.3
TEXT_FIELDS = ("head", "body")
ROOTS_FIELD = "roots"
VOCABULARY_FIELD = "words"
SNIPPET_CHARS = 6000


class IndexUnavailable(Exception):
    """The index cannot be used: missing (:class:`IndexMissingError`) or written by another
    version (:class:`IndexVersionError`). The message says what to run."""


IndexError_ = IndexUnavailable  # the first name of this class; other modules still use it


class IndexMissingError(IndexUnavailable):
    """There is no index at the given path yet."""


class IndexVersionError(IndexUnavailable):
    """The index on disk was written by another version of the analyzer or schema."""


def index_version() -> str:
    """A short fingerprint of everything that decides what the index holds."""
    fingerprint = json.dumps(
        [
            SCHEMA_VERSION,
            ANALYZER_VERSION,
            sorted(STOP_WORDS | STOP_LEMMAS),
            HEAD_PARTS,
            FIELD_WEIGHTS,
            FIELD_B,
            ROOTS_WEIGHT,
        ],
        ensure_ascii=False,
    )
    return f"{SCHEMA_VERSION}.{ANALYZER_VERSION}-{hashlib.sha1(fingerprint.encode()).hexdigest()[:8]}"


VOCABULARY_INDEX = "vocabulary"


def make_vocabulary_schema() -> Schema:
    """The second index in the same directory: one document holding every distinct word of the
    knowledge base as written (normalised, not lemmatised), for typo correction. One document
    rather than a field of every article: a tenth of the postings to write."""
    return Schema(words=TEXT(analyzer=surface_analyzer(), phrase=False))


def make_schema() -> Schema:
    """The index schema: one document per article.

    ``head`` and ``body`` hold the searchable parts with their weights
    (:func:`search.engine.analysis.boosted`),
    ``roots`` the coarse roots of the short parts. ``words`` is not stored in the index: it is
    the article's surface vocabulary, collected into :func:`make_vocabulary_schema`'s index.
    """
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title_text=STORED(),
        section_text=STORED(),
        summary_text=STORED(),
        snippet_source=STORED(),
        moments=STORED(),
        alias_terms=STORED(),
        heading_terms=STORED(),
        learned_terms=STORED(),
        head=TEXT(analyzer=analyzer(), phrase=False),
        body=TEXT(analyzer=analyzer(), phrase=False),
        roots=TEXT(analyzer=root_analyzer(), phrase=False),
    )


@dataclass(frozen=True)
class IndexInfo:
    """What :func:`build_index` wrote."""

    path: Path
    version: str
    articles: int
    seconds: float
    #: Latin-script titles and aliases embedded for meaning-based re-ranking, and how many of
    #: them had to be embedded anew (the rest came from the previous index); 0 when off.
    vectors: int = 0
    vectors_new: int = 0


#: A learned alias (:mod:`search.events.learned`) of weight 1.0 counts as much as a writer's.
LEARNED_BOOST = HEAD_PARTS["aliases"]


def article_document(record: ArticleRecord, learned: Sequence[tuple[str, float]] = ()) -> dict:
    """The Whoosh document of one manifest record, with the questions search learned for it
    (``(question, weight)``: they count like aliases, by their weight).

    The body (most of the text) is analysed once: its terms, its surface words and its
    passages' terms all come from one pass and are handed to Whoosh as token lists.
    """
    headings = "\n".join(h.title for h in record.headings)
    videos = "\n".join([v.title for v in record.videos] + [c.text for v in record.videos for c in v.transcript])
    aliases = "\n".join(record.aliases)
    meta = "\n".join([*record.tags, record.section])
    body_text = record.body + ("\n" + videos if videos else "")
    body_tokens = surfaces_and_terms(body_text)
    head_parts = {
        "title": record.title,
        "aliases": aliases,
        "summary": record.summary,
        "headings": headings,
        "meta": meta,
    }
    head = boosted([(head_parts[name], boost) for name, boost in HEAD_PARTS.items()]
                   + [(question, LEARNED_BOOST * weight) for question, weight in learned])
    short = "\n".join([record.title, aliases, record.summary, headings])
    snippet_source = passages(record.summary) + passages(
        record.body[:SNIPPET_CHARS], tokens=[t for t in body_tokens if t[0] < SNIPPET_CHARS]
    )
    return {
        "id": record.id,
        "url": record.url,
        "title_text": record.title,
        "section_text": record.section,
        "summary_text": record.summary,
        "snippet_source": snippet_source,
        # transcript cues, so a hit inside a video can link to its moment (#video-1-t90)
        "moments": [
            (video.moment_url(record.url, cue.start), cue.text, " ".join(analyze(cue.text)))
            for video in record.videos for cue in video.transcript
        ],
        "alias_terms": [analyze(a) for a in (record.title, *record.aliases)],
        "heading_terms": [analyze(h.title) for h in record.headings],
        "learned_terms": [(analyze(question), weight) for question, weight in learned],
        "head": head,
        "body": [term for _, _, term in body_tokens if term],
        ROOTS_FIELD: short,
        VOCABULARY_FIELD: [w for w in surface_words(short + "\n" + meta)] + [surface for _, surface, _ in body_tokens],
    }


def build_index(manifest: Manifest, index_dir: Path, *, semantic: bool = True,
                say: Callable[[str], None] = lambda line: None,
                learned: Sequence[tuple[str, str, float]] = ()) -> IndexInfo:
    """Index ``manifest`` into a new sibling of ``index_dir`` and switch ``index_dir`` to it.

    With ``semantic`` (and the optional encoder installed, :func:`search.meaning.vectors.enabled`),
    English titles and aliases are embedded too (:mod:`search.meaning.vectors`); ``say`` hears about
    that, as it can take a while the first time.
    """
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    previous = index_dir.resolve() if index_dir.is_symlink() and index_dir.exists() else None
    target = index_dir.parent / f"{index_dir.name}-{index_version()}-{time.time_ns()}"
    info = write_index(manifest, target, previous=previous, semantic=semantic, say=say, learned=learned)
    previous_name = _switch(index_dir, target)
    _prune(index_dir, keep={target.name, previous_name})
    return info


def write_index(manifest: Manifest, target: Path, *, previous: Path | None = None, semantic: bool = True,
                say: Callable[[str], None] = lambda line: None,
                learned: Sequence[tuple[str, str, float]] = ()) -> IndexInfo:
    """Index ``manifest`` into the new directory ``target`` (switching it in is the caller's:
    ``kb build`` makes it part of a site generation). Sentence vectors of texts that the index
    at ``previous`` embedded already are copied, not embedded again. ``learned`` are
    ``(article id, question, weight)`` triples (:mod:`search.events.learned`): aliases search
    learned from operators and customers; those of articles not in ``manifest`` are ignored."""
    started = time.perf_counter()
    version = index_version()
    target.mkdir(parents=True)
    vectors = vectors_new = 0
    try:
        _write_whoosh(manifest, target, learned)
        if semantic and vectors_enabled()[0]:
            vectors, vectors_new = write_vectors(manifest, target, previous=previous, say=say)
        meta = {
            "version": version,
            "articles": len(manifest.articles),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "synonyms": [list(group) for group in manifest.synonyms],
            "loanwords": [list(group) for group in manifest.loanwords],
            "learned": _indexed(learned, manifest),
        }
        (target / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return IndexInfo(target, version, len(manifest.articles), time.perf_counter() - started, vectors, vectors_new)


def _indexed(learned: Sequence[tuple[str, str, float]], manifest: Manifest) -> int:
    """How many of the ``learned`` questions belong to an article the index holds."""
    ids = {record.id for record in manifest.articles}
    return sum(1 for article_id, _, _ in learned if article_id in ids)


def _write_whoosh(manifest: Manifest, target: Path, learned: Sequence[tuple[str, str, float]] = ()) -> None:
    writer = whoosh_index.create_in(str(target), make_schema()).writer(limitmb=256)
    vocabulary: set[str] = set()
    by_article: dict[str, list[tuple[str, float]]] = {}
    for article_id, question, weight in learned:
        by_article.setdefault(article_id, []).append((question, max(0.0, min(1.0, float(weight)))))
    try:
        for record in manifest.articles:
            document = article_document(record, by_article.get(record.id, ()))
            vocabulary.update(document.pop(VOCABULARY_FIELD))
            writer.add_document(**document)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=True)
    words = whoosh_index.create_in(str(target), make_vocabulary_schema(), indexname=VOCABULARY_INDEX)
    with words.writer() as w:
        w.add_document(words=sorted(vocabulary))
    cross = CrossScript(sorted(vocabulary)).to_json()
    (target / CROSS_SCRIPT_FILE).write_text(json.dumps(cross, ensure_ascii=False), encoding="utf-8")


def read_cross_script(target: Path) -> CrossScript | None:
    """The index's table of words by sound key (None for an index without one)."""
    path = Path(target) / CROSS_SCRIPT_FILE
    if not path.is_file():
        return None
    return CrossScript.from_json(json.loads(path.read_text(encoding="utf-8")))


def _switch(index_dir: Path, target: Path) -> str | None:
    """Point the ``index_dir`` symlink at ``target`` atomically; return the old target's name."""
    previous = os.readlink(index_dir) if index_dir.is_symlink() else None
    if index_dir.exists() and not index_dir.is_symlink():
        shutil.rmtree(index_dir)  # a plain directory from elsewhere: replace it once
    tmp = index_dir.parent / f".{index_dir.name}.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target.name, tmp)
    os.replace(tmp, index_dir)
    return Path(previous).name if previous else None


def _prune(index_dir: Path, *, keep: set[str | None]) -> None:
    for old in index_dir.parent.glob(f"{index_dir.name}-*"):
        if old.is_dir() and old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def resolve_index(index_dir: Path) -> Path:
    """The directory ``index_dir`` points at, checked for presence and version."""
    index_dir = Path(index_dir)
    target = index_dir.resolve()
    meta_path = target / META_FILE
    if not meta_path.is_file():
        raise IndexMissingError(f"{index_dir}: no search index yet; run `kb build` first")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("version") != index_version():
        raise IndexVersionError(
            f"{index_dir}: index version {meta.get('version')!r} is not {index_version()!r}; run `kb build` again"
        )
    return target


def read_meta(target: Path) -> dict:
    """The ``kb-index.json`` of a resolved index directory."""
    return json.loads((Path(target) / META_FILE).read_text(encoding="utf-8"))


def ensure_index(index_dir: Path, manifest_path: Path) -> Path:
    """Rebuild the index from the manifest when it is missing or of another version."""
    try:
        return resolve_index(index_dir)
    except IndexUnavailable:
        build_index(load_manifest(manifest_path), index_dir)
        return resolve_index(index_dir)
