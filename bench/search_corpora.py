"""Benchmark corpora as search manifests, and their queries with the expected articles.

- Banking77: one article per intent, aliases = the first 10 training questions of the intent,
  queries = the remaining training questions.
- VK Cloud help center: every page but FAQ pages and ``_includes``, as ``kb import`` sees it:
  ``{include(...)}`` fragments inlined (by the importer's own code) and the section path of
  the top and second-level folders' titles ("Вычисления / Cloud GPU"); queries = FAQ
  questions whose answers link to pages (relevant = those pages).
- The sample help center: ``kb/**/*.md`` read directly (front matter + Markdown), queries from
  ``bench/data/sample_queries.jsonl``.

Datasets are read from ``../shared/datasets`` relative to the repository and never copied.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kb_helpcenter.generator.importer.dialect import expand_includes
from kb_helpcenter.generator.importer.source import IncludeReader
from kb_helpcenter.search.engine.translit import default_loanwords
from kb_helpcenter.search.manifest import ArticleRecord, Heading, Manifest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO.parent / "shared" / "datasets"
SAMPLE_QUERIES = REPO / "bench" / "data" / "sample_queries.jsonl"


@dataclass(frozen=True)
class Query:
    text: str
    relevant: frozenset[str]
    group: str = "all"


class Unavailable(Exception):
    """A dataset is absent; the message says which and why."""


# ---- Banking77 -------------------------------------------------------------------------------


def banking77(shots: int = 10) -> tuple[Manifest, list[Query]]:
    """The Banking77 corpus: intents as articles, remaining training questions as queries."""
    path = DATASETS / "banking77" / "train.csv"
    if not path.is_file():
        raise Unavailable(f"{path} not found")
    by_intent: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_intent.setdefault(row["category"], []).append(row["text"])
    articles, queries = [], []
    for intent, texts in by_intent.items():
        title = intent.replace("_", " ").capitalize()
        articles.append(
            ArticleRecord(id=intent, url=f"{intent}/", title=title, aliases=tuple(texts[:shots]), lang="en")
        )
        queries += [Query(t, frozenset([intent])) for t in texts[shots:]]
    return Manifest(articles=tuple(articles)), queries


# ---- VK Cloud --------------------------------------------------------------------------------

_MACRO_HEADING = re.compile(r"\{heading\(([^)]*)\)(?:\[id=([^\]]*)\])?\}")
_MACRO_LINK = re.compile(r"\{linkto\([^)]*\)\[text=([^\]]*)\]\}")
_MACRO_VAR = re.compile(r"\{var\((\w+)\)\}")
_MACRO_WITH_TEXT = re.compile(r"\{(?:cut|tab|caption)\(([^)]*)\)\}")
_MACRO_ANY = re.compile(r"\{/?[a-z][\w-]*(?::[\w-]+)?(?:\([^)]*\))?(?:\[[^\]]*\])?\}")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKUP = re.compile(r"(\*\*|__|`+|^\s*[#>|]+|\|)", re.M)
_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
_VARS = {"cloud": "VK Cloud", "s3": "VK Object Storage"}


def vk_markdown_to_text(md: str) -> tuple[str, list[Heading]]:
    """Plain text and headings of a VK Cloud page; unknown macros are dropped, text kept."""
    headings = []
    for level, title in _HEADING_LINE.findall(md):
        m = _MACRO_HEADING.search(title)
        text, anchor = (m.group(1), m.group(2) or "") if m else (title.strip(), "")
        if len(level) > 1:
            headings.append(Heading(anchor, _clean(text), len(level)))
    text = _MACRO_HEADING.sub(r"\1", md)
    text = _MACRO_LINK.sub(r"\1", text)
    text = _MACRO_VAR.sub(lambda m: _VARS.get(m.group(1), m.group(1)), text)
    text = _MACRO_WITH_TEXT.sub(r"\1", text)
    text = _MACRO_ANY.sub(" ", text)
    return _clean(text), headings


def _clean(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKUP.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _vk_section(docs: Path, page: Path) -> str:
    """The section path `kb import` gives a page: the top folder's title, then the second-level
    folder's ("Вычисления / Cloud GPU"), each from the folder's own page's ``.meta.json``."""
    folders = page.relative_to(docs).parts[:-1]
    if folders and page.stem == folders[-1]:
        folders = folders[:-1]  # a folder's own page (x/x.md) belongs to the folder above
    return " / ".join(t for t in (_vk_folder_title(docs, folders[:n]) for n in (1, 2) if len(folders) >= n) if t)


def _vk_folder_title(docs: Path, folder: tuple[str, ...]) -> str:
    meta_path = docs.joinpath(*folder, f"{folder[-1]}.meta.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    title = meta.get("title") or folder[-1]
    return _MACRO_VAR.sub(lambda m: _VARS.get(m.group(1), m.group(1)), title)


def vk_cloud() -> tuple[Manifest, list[Query]]:
    """The VK Cloud help center and its FAQ questions (only those whose answers link pages)."""
    root = DATASETS / "vkcloud_docs_ru"
    faq = DATASETS / "vkcloud_faq_ru" / "dev.jsonl"
    if not root.is_dir() or not faq.is_file():
        raise Unavailable(f"{root} or {faq} not found")
    articles = []
    docs = root / "docs" / "ru"
    read_include = IncludeReader(docs)
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        if "/_includes/" in rel or rel.endswith("/faq/faq.md"):
            continue
        meta_path = path.with_suffix(".meta.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        # included fragments are part of the page, as `kb import` writes it
        md = expand_includes(path.read_text(encoding="utf-8"), read_include, origin=path.relative_to(docs).as_posix())
        body, headings = vk_markdown_to_text(md)
        title = meta.get("title") or (headings[0].title if headings else path.stem)
        section = _vk_section(docs, path)
        articles.append(
            ArticleRecord(
                id=rel,
                url=rel,
                title=_MACRO_VAR.sub(lambda m: _VARS.get(m.group(1), m.group(1)), title),
                summary=meta.get("shortDescription") or "",
                section=section,
                headings=tuple(headings),
                body=body,
            )
        )
    ids = {a.id for a in articles}
    queries = []  # (kb import writes no _loanwords.yml: the project gets kb's general list)
    for line in faq.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        relevant = frozenset(link.split("#")[0] for link in row.get("links") or ()) & ids
        if relevant:
            queries.append(Query(row["question"], relevant))
    return Manifest(articles=tuple(articles), loanwords=default_loanwords()), queries


def operator_links(queries: list[Query], work: Path) -> list[tuple[str, str, float]]:
    """Learn as it would happen: each question looked up on /ops/ (a search of source "ops")
    and answered with its expected page's link (the click); the aliases kb learns from that."""
    from kb_helpcenter.search.events.learned import learned_aliases
    from kb_helpcenter.search.events.store import EventStore

    keys: dict[str, str] = {}  # the corpus's ids are paths; the store takes kb's [a-z0-9-] ids
    with EventStore(work / "events.sqlite") as store:
        for n, q in enumerate(queries):
            query_id = store.record_query(q.text, hits=1, source="ops", session=f"operator{n % 3}x")
            page = sorted(q.relevant)[0]
            store.record_click(query_id, keys.setdefault(page, f"a{len(keys)}"), 1)
        pages = {key: page for page, key in keys.items()}
        return [(pages[a.article_id], a.question, a.weight) for a in learned_aliases(store)]


def half(q: Query) -> str:
    """The VK question's fixed half, ``"A"`` or ``"B"``: the first byte of the question's SHA-1,
    even or odd. Constants are chosen on one half and checked on the other."""
    return "A" if hashlib.sha1(q.text.encode()).digest()[0] % 2 == 0 else "B"


# ---- the sample help center ------------------------------------------------------------------

_FRONT = re.compile(r"\A---\n(.*?)\n---\n?(.*)\Z", re.S)
_ANCHOR = re.compile(r"\s*\{#([\w-]+)\}\s*$")
_ADMONITION = re.compile(r'^!!!\s+\w+(?:\s+"([^"]*)")?', re.M)


def sample_kb(kb_dir: Path | None = None) -> Manifest:
    """The sample help center read straight from ``kb/`` (published articles only)."""
    kb_dir = kb_dir or REPO / "kb"
    if not kb_dir.is_dir():
        raise Unavailable(f"{kb_dir} not found")
    synonyms_path = kb_dir / "_synonyms.yml"
    synonyms = yaml.safe_load(synonyms_path.read_text(encoding="utf-8")) or []
    if isinstance(synonyms, dict):  # tolerate {"groups": [...]} or {name: [...]}
        synonyms = synonyms.get("groups") or list(synonyms.values())
    articles = []
    for path in sorted(kb_dir.rglob("*.md")):
        rel = path.relative_to(kb_dir)
        if any(part.startswith("_") for part in rel.parts):
            continue
        m = _FRONT.match(path.read_text(encoding="utf-8"))
        if not m:
            continue
        meta = yaml.safe_load(m.group(1)) or {}
        if meta.get("status", "published") != "published" or "id" not in meta:
            continue
        body, headings = _markdown_text(m.group(2))
        videos = meta.get("videos") or []
        articles.append(
            ArticleRecord(
                id=str(meta["id"]),
                url=f"{rel.parent.as_posix()}/{meta['id']}/",
                title=str(meta.get("title", "")),
                summary=str(meta.get("summary") or ""),
                aliases=tuple(str(a) for a in meta.get("aliases") or ()),
                tags=tuple(str(t) for t in meta.get("tags") or ()),
                section=rel.parts[0] if len(rel.parts) > 1 else "",
                headings=tuple(headings),
                body=body + "\n" + "\n".join(str(v.get("title", "")) for v in videos),
            )
        )
    groups = tuple(tuple(str(w) for w in g) for g in synonyms if isinstance(g, list))
    return Manifest(articles=tuple(articles), synonyms=groups, loanwords=default_loanwords())


def _markdown_text(md: str) -> tuple[str, list[Heading]]:
    headings = []
    for level, title in _HEADING_LINE.findall(md):
        anchor = _ANCHOR.search(title)
        text = _ANCHOR.sub("", title).strip()
        headings.append(Heading(anchor.group(1) if anchor else "", text, len(level)))
    text = _ANCHOR.sub("", md)
    text = _ADMONITION.sub(lambda m: m.group(1) or "", text)
    return _clean(text), headings


def sample_queries() -> list[Query]:
    """The hand-written customer queries of the sample help center."""
    if not SAMPLE_QUERIES.is_file():
        raise Unavailable(f"{SAMPLE_QUERIES} not written yet")
    rows = [json.loads(line) for line in SAMPLE_QUERIES.read_text(encoding="utf-8").splitlines()]
    return [Query(r["query"], frozenset([r["expected"]]), r.get("group", "all")) for r in rows]
