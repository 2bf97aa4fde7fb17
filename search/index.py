"""The Whoosh index over the manifest: schema, build into a new directory, atomic switch.

``build_index(manifest, Path(".kb/index"))`` writes ``.kb/index-<version>-<stamp>/`` and then
points the symlink ``.kb/index`` at it with one ``os.replace``: a running engine keeps
answering from the old directory until it notices the new link (see
:meth:`search.engine.Engine.search`). Older directories are pruned, keeping the previous one
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
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema

from search.analysis import (
    ANALYZER_VERSION,
    STOP_WORDS,
    analyze,
    analyzer,
    root_analyzer,
    surface_analyzer,
)
from search.manifest import ArticleRecord, Manifest, load_manifest

SCHEMA_VERSION = "4"
META_FILE = "kb-index.json"

#: Field weights for BM25F. Titles and customers' own phrasings (aliases) say most about what
#: an article answers; the body says a lot, but also about everything else.
FIELD_BOOSTS: dict[str, float] = {
    "title": 3.0,
    "aliases": 2.0,
    "summary": 1.5,
    "headings": 1.5,
    "meta": 1.0,
    "body": 1.0,
    "videos": 0.7,
    "roots": 0.3,
}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
VOCABULARY_FIELD = "words"
SNIPPET_CHARS = 6000


class IndexError_(Exception):
    """Base class kept private; see :class:`IndexMissingError` and :class:`IndexVersionError`."""


class IndexMissingError(IndexError_):
    """There is no index at the given path yet."""


class IndexVersionError(IndexError_):
    """The index on disk was written by another version of the analyzer or schema."""


def index_version() -> str:
    """A short fingerprint of everything that decides what the index holds."""
    fingerprint = json.dumps(
        [SCHEMA_VERSION, ANALYZER_VERSION, sorted(STOP_WORDS), FIELD_BOOSTS], ensure_ascii=False
    )
    return (
        f"{SCHEMA_VERSION}.{ANALYZER_VERSION}-{hashlib.sha1(fingerprint.encode()).hexdigest()[:8]}"
    )


def make_schema() -> Schema:
    """The index schema: one document per article."""
    text = analyzer()
    fields = {
        name: TEXT(analyzer=text, field_boost=boost, phrase=name in ("title", "aliases"))
        for name, boost in FIELD_BOOSTS.items()
    }
    fields["roots"] = TEXT(
        analyzer=root_analyzer(), field_boost=FIELD_BOOSTS["roots"], phrase=False
    )
    fields[VOCABULARY_FIELD] = TEXT(analyzer=surface_analyzer(), phrase=False)
    return Schema(
        id=ID(stored=True, unique=True),
        url=STORED(),
        title_text=STORED(),
        section_text=STORED(),
        summary_text=STORED(),
        snippet_source=STORED(),
        alias_terms=STORED(),
        **fields,
    )


@dataclass(frozen=True)
class IndexInfo:
    """What :func:`build_index` wrote."""

    path: Path
    version: str
    articles: int
    seconds: float


def article_document(record: ArticleRecord) -> dict:
    """The Whoosh document of one manifest record."""
    headings = "\n".join(h.title for h in record.headings)
    videos = "\n".join(
        [v.title for v in record.videos] + [c.text for v in record.videos for c in v.transcript]
    )
    aliases = "\n".join(record.aliases)
    meta = "\n".join([*record.tags, record.section])
    everything = "\n".join(
        [record.title, aliases, record.summary, headings, meta, record.body, videos]
    )
    return {
        "id": record.id,
        "url": record.url,
        "title_text": record.title,
        "section_text": record.section,
        "summary_text": record.summary,
        "snippet_source": "\n".join([record.summary, record.body])[:SNIPPET_CHARS],
        "alias_terms": [analyze(a) for a in (record.title, *record.aliases)],
        "title": record.title,
        "aliases": aliases,
        "summary": record.summary,
        "headings": headings,
        "meta": meta,
        "body": record.body,
        "videos": videos,
        "roots": "\n".join([record.title, aliases, record.summary, headings]),
        VOCABULARY_FIELD: everything,
    }


def build_index(manifest: Manifest, index_dir: Path) -> IndexInfo:
    """Index ``manifest`` into a new sibling of ``index_dir`` and switch ``index_dir`` to it."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    version = index_version()
    target = index_dir.parent / f"{index_dir.name}-{version}-{time.time_ns()}"
    target.mkdir()
    try:
        _write_whoosh(manifest, target)
        meta = {
            "version": version,
            "articles": len(manifest.articles),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "synonyms": [list(group) for group in manifest.synonyms],
        }
        (target / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    previous = _switch(index_dir, target)
    _prune(index_dir, keep={target.name, previous})
    return IndexInfo(target, version, len(manifest.articles), time.perf_counter() - started)


def _write_whoosh(manifest: Manifest, target: Path) -> None:
    ix = whoosh_index.create_in(str(target), make_schema())
    writer = ix.writer(limitmb=256)
    try:
        for record in manifest.articles:
            writer.add_document(**article_document(record))
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=True)


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
            f"{index_dir}: index version {meta.get('version')!r} is not {index_version()!r};"
            " run `kb build` again"
        )
    return target


def read_meta(target: Path) -> dict:
    """The ``kb-index.json`` of a resolved index directory."""
    return json.loads((Path(target) / META_FILE).read_text(encoding="utf-8"))


def ensure_index(index_dir: Path, manifest_path: Path) -> Path:
    """Rebuild the index from the manifest when it is missing or of another version."""
    try:
        return resolve_index(index_dir)
    except IndexError_:
        build_index(load_manifest(manifest_path), index_dir)
        return resolve_index(index_dir)
