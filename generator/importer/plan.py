"""Where each imported page goes: sections from folders, file names and ids from paths.

A top-level folder becomes a section; a second-level folder a sub-section when it holds more
than one page (a folder holding a single page is just that page, one level up); deeper folders
fold into the file name. Every name is a slug (Cyrillic transliterated), ids are unique across
the kb, and each page remembers the URL it had on the old site, for ``redirect_from``.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb_helpcenter.generator.importer.dialect import replace_vars
from kb_helpcenter.generator.importer.source import Source, old_url, read_meta
from kb_helpcenter.generator.importer.text import prettify
from kb_helpcenter.generator.slugs import slugify, unique_slug

GENERAL = ("general", "Общее")  # the section for pages at the root of the source
ASSETS_DIR = "images"
ID_LENGTH = 80
_URL_PATH = re.compile(r"^[^\s#?]+/$")


@dataclass
class Page:
    """One source page on its way into kb: what was read, then where it goes."""

    source: str  # path below the source root
    folder: str | None  # the folder this page introduces (index pages), else None
    title: str
    body: str
    summary: str = ""
    anchor: str | None = None  # the pinned anchor of the H1 that became the title
    empty: bool = False
    order: int | None = None
    tags: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    updated: str | None = None
    status: str | None = None
    # Set by plan_layout:
    id: str = ""
    target: str = ""  # path below kb/
    redirect: str = ""  # the old URL path, when it differs from every new one

    @property
    def parts(self) -> tuple[tuple[str, ...], str | None]:
        """The page's folders and its own name (None for a folder's page)."""
        if self.folder is not None:
            return tuple(p for p in self.folder.split("/") if p), None
        folder, name = posixpath.split(self.source)
        return tuple(p for p in folder.split("/") if p), name.rsplit(".", 1)[0]


@dataclass
class Folder:
    """A section or sub-section to write as ``<target>/_section.yml``."""

    source: str
    target: str
    title: str
    description: str = ""
    order: int | None = None


@dataclass
class Plan:
    """The articles to write (``pages``), their sections, and pages by source path."""

    pages: list[Page]
    folders: list[Folder]
    by_source: dict[str, Page]


def plan_layout(pages: Sequence[Page], source: Source, *, taken_ids: set[str],
                warn: Callable[[str, str], None]) -> Plan:
    """Give every non-empty page a target file and an id, and describe the sections."""
    articles = sorted((p for p in pages if not p.empty), key=lambda p: p.source)
    index_pages: dict[str, Page] = {}
    for page in pages:
        if page.folder is not None:
            index_pages.setdefault(page.folder, page)

    tops = sorted({p.parts[0][0] for p in articles if p.parts[0]})
    in_subtree = Counter(p.parts[0][:2] for p in articles if len(p.parts[0]) >= 2)
    sections: dict[str, str] = {}
    taken: set[str] = set()
    if any(not p.parts[0] for p in articles):
        taken.add(GENERAL[0])
    for top in tops:
        sections[top] = unique_slug(slugify(top) or "section", taken)
        taken.add(sections[top])
    subsections: dict[tuple[str, ...], str] = {}
    names_in: dict[str, set[str]] = {}  # kb folder -> names taken in it
    for key in sorted(k for k, n in in_subtree.items() if n > 1):
        names = names_in.setdefault(sections[key[0]], {ASSETS_DIR, "index"})
        subsections[key] = unique_slug(slugify(key[1]) or "part", names)
        names.add(subsections[key])

    folders = _folders(source, articles, sections, subsections, index_pages)
    for page in articles:
        dirs, name = page.parts
        if not dirs:
            where, rest = GENERAL[0], [name or "home"]
        elif dirs[:2] in subsections:
            where = f"{sections[dirs[0]]}/{subsections[dirs[:2]]}"
            rest = [*dirs[2:], name] if name else (list(dirs[2:]) or [dirs[1]])
        else:
            where = sections[dirs[0]]
            rest = [*dirs[1:], name] if name else (list(dirs[1:]) or [dirs[0]])
        names = names_in.setdefault(where, {ASSETS_DIR, "index"})
        stem = unique_slug(slugify("-".join(rest), max_length=ID_LENGTH) or "page", names)
        names.add(stem)
        page.target = f"{where}/{stem}.md"
        base = slugify("-".join([*dirs, name] if name else dirs), max_length=ID_LENGTH)
        page.id = unique_slug(base or "home", taken_ids)
        taken_ids.add(page.id)

    occupied = {p.target[:-3] + "/" for p in articles} | {f.target + "/" for f in folders}
    for page in articles:
        url = old_url(page.source, mkdocs=source.mkdocs)
        if url and url not in occupied and _URL_PATH.match(url) and ".." not in url:
            page.redirect = url
        elif url and not _URL_PATH.match(url):
            warn(page.source, f"redirect {url!r}: not a plain URL path, none kept")
    return Plan(articles, folders, {p.source: p for p in articles})


def _folders(source: Source, articles: Sequence[Page], sections: dict[str, str],
             subsections: dict[tuple[str, ...], str], index_pages: dict[str, Page]) -> list[Folder]:
    """Titles, descriptions and order of the sections and sub-sections that hold articles."""
    folders: list[Folder] = []
    if any(not p.parts[0] for p in articles):
        folders.append(Folder("", GENERAL[0], GENERAL[1]))
    keys = [(top,) for top in sections] + list(subsections)
    for key in keys:
        path = "/".join(key)
        target = sections[key[0]] + (f"/{subsections[key]}" if len(key) == 2 else "")
        index = index_pages.get(path)
        meta = _folder_meta(source, path)
        title = (source.folder_titles.get(path) or (index.title if index else "")
                 or _str(meta.get("title")) or prettify(key[-1]))
        description = (index.summary if index else "") or _str(meta.get("shortDescription"))
        order = source.folder_order.get(path)
        if order is None:
            order = index.order if index else None
        if order is None and isinstance(meta.get("weight"), int):
            order = meta["weight"]
        folders.append(Folder(path, target, replace_vars(title, source.variables),
                              replace_vars(description, source.variables), order))
    return folders


def _folder_meta(source: Source, path: str) -> dict[str, Any]:
    """A folder's sidecar: ``a/a.meta.json``, ``a/index.meta.json`` or ``a.meta.json``."""
    name = posixpath.basename(path)
    for candidate in (f"{path}/{name}.meta.json", f"{path}/index.meta.json", f"{path}.meta.json"):
        meta = read_meta(source.root / candidate)
        if meta:
            return meta
    return {}


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""
