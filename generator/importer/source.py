"""Reading the site being imported: its layout, ``mkdocs.yml`` navigation, pages and sidecars.

Nothing here writes anything or knows about ``kb/``. A page that cannot be read comes back as
a :class:`Skip` with the reason, so the importer can list it instead of dropping it.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb_helpcenter.generator.importer.text import split_front_matter

PAGE_SUFFIXES = (".md", ".markdown")
INDEX_NAMES = ("index", "readme")


class SourceError(Exception):
    """The source folder cannot be imported at all (missing, or a broken ``mkdocs.yml``)."""


@dataclass
class Source:
    """Where the pages are and what the site's configuration says about them."""

    root: Path  # the folder holding the pages (mkdocs' docs_dir, or SRC_DIR itself)
    mkdocs: bool = False
    page_titles: dict[str, str] = field(default_factory=dict)  # page path -> nav title
    page_order: dict[str, int] = field(default_factory=dict)
    folder_titles: dict[str, str] = field(default_factory=dict)  # folder path -> nav section
    folder_order: dict[str, int] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)


class _TolerantLoader(yaml.SafeLoader):
    """A safe loader that reads ``!!python/name:`` and ``!ENV`` tags as nothing.

    ``mkdocs.yml`` files use such tags for extension settings the importer does not need;
    executing them would run configuration as code.
    """


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def load_source(src: Path) -> Source:
    """Describe ``src``: an MkDocs project (its ``docs_dir`` and ``nav``) or a plain folder."""
    if not src.is_dir():
        raise SourceError(f"{src}: not a folder")
    config_path = src / "mkdocs.yml"
    if not config_path.is_file():
        return Source(root=src, variables=_variables(src))
    try:
        config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceError(f"{config_path}: cannot read it: {exc}") from exc
    config = config if isinstance(config, dict) else {}
    docs_dir = src / str(config.get("docs_dir") or "docs")
    if not docs_dir.is_dir():
        raise SourceError(f"{config_path}: docs_dir {docs_dir.name!r} is not a folder")
    source = Source(root=docs_dir, mkdocs=True, variables=_variables(docs_dir))
    nav = config.get("nav")
    if isinstance(nav, list):
        _read_nav(nav, source, [0])
    return source


def _read_nav(items: list[Any], source: Source, counter: list[int]) -> list[str]:
    """Record nav titles and positions; return the page paths found under ``items``."""
    pages: list[str] = []
    for item in items:
        entries = item.items() if isinstance(item, dict) else [(None, item)]
        for title, value in entries:
            counter[0] += 1
            if isinstance(value, str) and value.lower().endswith(PAGE_SUFFIXES):
                path = posixpath.normpath(value.lstrip("/"))
                pages.append(path)
                source.page_order.setdefault(path, counter[0])
                if title:
                    source.page_titles.setdefault(path, str(title))
            elif isinstance(value, list):
                position = counter[0]
                children = _read_nav(value, source, counter)
                pages += children
                folders = {posixpath.dirname(p) for p in children}
                common = posixpath.commonpath(sorted(folders)) if folders else ""
                # The section's folder is its pages' deepest common one (an index page aside).
                if common and title:
                    source.folder_titles.setdefault(common, str(title))
                    source.folder_order.setdefault(common, position)
    return pages


def _variables(root: Path) -> dict[str, str]:
    """``variables`` of the ``*.meta.json`` files at the root (VK: ``ru.meta.json``).

    A value can be a list of ``{buildPoint, value}``; the ``public`` one is used.
    """
    found: dict[str, str] = {}
    for path in sorted(root.glob("*.meta.json")):
        meta = read_meta(path)
        variables = meta.get("variables") if isinstance(meta, dict) else None
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            if isinstance(value, list):
                points = [v for v in value if isinstance(v, dict) and "value" in v]
                public = [v for v in points if v.get("buildPoint") == "public"] or points
                value = public[0]["value"] if public else None
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                found[str(name)] = str(value)
    return found


def read_meta(path: Path, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Read a ``*.meta.json`` sidecar; a missing file is ``{}``, a broken one ``{}`` + warning."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        if warn:
            warn(f"sidecar {path.name}: not valid JSON ({exc}), ignored")
        return {}
    return data if isinstance(data, dict) else {}


def exclusion(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test for paths to leave out: names starting with ``_`` or ``.``, and ``patterns``.

    Patterns are globs over the path below the root (``**/faq/faq.md``, ``drafts/*``); one
    without a ``/`` matches a file or folder name at any depth (``_includes``, ``*.tmp.md``).
    """
    compiled = [(p.count("/") == 0, _glob_regex(p)) for p in patterns]

    def excluded(path: str) -> bool:
        parts = path.split("/")
        if any(part.startswith(("_", ".")) for part in parts):
            return True
        for by_name, regex in compiled:
            if by_name and any(regex.match(part) for part in parts):
                return True
            if not by_name and any(regex.match("/".join(parts[: i + 1]))
                                   for i in range(len(parts))):
                return True
        return False

    return excluded


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/")):
        out.append({"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
            token, re.escape(token)))
    return re.compile("".join(out) + r"\Z")


def walk_pages(root: Path, *, exclude: Sequence[str] = (), skip: Sequence[Path] = ()) -> list[str]:
    """Every Markdown page below ``root`` (posix paths relative to it), sorted, minus exclusions.

    ``skip`` holds folders never to enter, such as the ``kb/`` being written.
    """
    excluded = exclusion(exclude)
    skipped = {p.resolve() for p in skip}
    seen: set[Path] = set()  # symbolic links may loop
    pages: list[str] = []

    def visit(folder: Path, rel: str) -> None:
        seen.add(folder.resolve())
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            path = f"{rel}/{entry.name}" if rel else entry.name
            if excluded(path):
                continue
            if entry.is_dir():
                if entry.resolve() not in skipped and entry.resolve() not in seen:
                    visit(entry, path)
            elif entry.suffix.lower() in PAGE_SUFFIXES and entry.is_file():
                pages.append(path)

    visit(root, "")
    return pages


@dataclass(frozen=True)
class Skip:
    """A page that could not be read, and why."""

    reason: str


@dataclass(frozen=True)
class RawPage:
    """A readable page: its front matter (a mapping) and its body, line endings normalised."""

    front: dict[str, Any]
    body: str


def read_page(path: Path) -> RawPage | Skip:
    """Read one page, or say why it cannot be imported (encoding, front matter, emptiness)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skip(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                    "convert it to UTF-8 and import again")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Skip("empty file")
    try:
        front_text, body = split_front_matter(text)
    except ValueError as exc:
        return Skip(str(exc))
    front: Any = {}
    if front_text is not None:
        try:
            front = yaml.safe_load(front_text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            return Skip(f"broken YAML front matter{where}: {problem}")
        if not isinstance(front, dict):
            return Skip("the front matter is not a mapping of `key: value` lines")
    return RawPage({str(k): v for k, v in front.items()}, body)


def index_folder(path: str) -> str | None:
    """The folder a page introduces (``a/index.md``, ``a/README.md``, ``a/a.md`` -> ``a``).

    The root ``index.md`` introduces ``""``; any other page gives ``None``.
    """
    folder, name = posixpath.split(path)
    stem = name.rsplit(".", 1)[0]
    if stem.lower() in INDEX_NAMES or (folder and stem == posixpath.basename(folder)):
        return folder
    return None


def old_url(path: str, *, mkdocs: bool) -> str:
    """The URL path the page had on the old site (``a/b/``), as MkDocs or VK's site built it."""
    stem = path.rsplit(".", 1)[0]
    folder, name = posixpath.split(stem)
    vk_index = not mkdocs and folder and name == posixpath.basename(folder)
    if name.lower() in INDEX_NAMES or vk_index:
        return f"{folder}/" if folder else ""
    return f"{stem}/"


class IncludeReader:
    """Reads ``{include(...)}`` targets for the dialect converter, each file once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, str | None] = {}

    def __call__(self, ref: str, origin: str) -> tuple[str, str] | None:
        """``(path, text)`` of the file ``ref`` names, seen from ``origin``; None if missing."""
        path = next((c for c in locate(self.root, origin, ref) if (self.root / c).is_file()), None)
        if path is None:
            return None
        if path not in self.cache:
            raw = read_page(self.root / path)
            self.cache[path] = raw.body if isinstance(raw, RawPage) else None
        text = self.cache[path]
        return None if text is None else (path, text)


def locate(root: Path, origin: str, ref: str) -> list[str]:
    """Candidate paths below ``root`` for a reference written in the page ``origin``.

    ``/ru/x`` is site-absolute (its first part may repeat the root folder's name, as in VK's
    ``/ru/...``); ``../x`` is relative to the page, and when that climbs out of the root or
    finds nothing (an include written for deeper pages) it is tried from the root as well.
    """
    path = ref.split("?", 1)[0]
    if path.startswith("/"):
        path = path.lstrip("/")
        first, _, rest = path.partition("/")
        found = [rest, path] if first == root.name else [path]
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(origin), path))
        found = [] if joined.startswith("..") else [joined]
        found.append(posixpath.normpath(re.sub(r"^(?:\.\.?/)+", "", path) or "."))
    return [("" if p == "." else p.rstrip("/")) for p in dict.fromkeys(found)]
