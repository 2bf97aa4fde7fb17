"""Loading ``kb/``: walk the folder, read every file, build sections and articles.

:func:`load` never stops at the first problem: it returns what it could build and every
problem it met. :mod:`generator.checks` then looks across articles. Nothing here writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb_helpcenter.generator.files import read_text
from kb_helpcenter.generator.frontmatter import FAST_LOADER, parse_yaml_mapping, split_front_matter
from kb_helpcenter.generator.model import Article, KnowledgeBase, Location, Problem, Section
from kb_helpcenter.generator.schema import ARTICLE_FIELDS, SECTION_FIELDS, validate_mapping
from kb_helpcenter.generator.video.entries import parse_videos

KB_DIR = "kb"
SECTION_FILE = "_section.yml"
SYNONYMS_FILE = "_synonyms.yml"
LOANWORDS_FILE = "_loanwords.yml"
DRAFTS_DIR = "_drafts"
ARTICLE_SUFFIXES = (".md",)


@dataclass
class Loaded:
    """What :func:`load` found: the knowledge base, the problems, and the asset files."""

    kb: KnowledgeBase
    problems: list[Problem] = field(default_factory=list)
    assets: tuple[str, ...] = ()  # non-article files under kb/, relative to kb/
    #: ``(path, body, first body line)`` of article files whose front matter failed: their
    #: bodies are still checked (links, images), so one ``kb check`` reports everything.
    unloaded: tuple[tuple[str, str, int], ...] = ()


def _rel(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return path.as_posix()


def _walk(kb_dir: Path, project: Path, problems: list[Problem]) -> list[Path]:
    """Every file under ``kb_dir``, following folder links but never in a loop."""
    files: list[Path] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(kb_dir, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            problems.append(Problem(
                Location(_rel(project, Path(dirpath))), "", "symbolic link loop: this folder is already included",
                hint="remove the link that points back up the tree",
            ))
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.exists():
                problems.append(Problem(Location(_rel(project, path)), "", "broken symbolic link"))
                continue
            files.append(path)
    return files


def _load_section(path: Path, section_id: str, project: Path, problems: list[Problem]) -> Section:
    rel = _rel(project, path)
    text = read_text(path, rel, problems) if path.exists() else None
    if text is None:
        if not path.exists():
            problems.append(Problem(
                Location(_rel(project, path.parent)), "", f"section folder has no {SECTION_FILE}",
                severity="warning",
                hint=f"add {SECTION_FILE} with `title:` so the section is named properly",
            ))
        return Section(id=section_id, title=section_id.rsplit("/", 1)[-1].replace("-", " ").capitalize())
    parsed = parse_yaml_mapping(text, path=rel, what="section file")
    problems.extend(parsed.problems)
    values, found = validate_mapping(parsed.data, parsed.lines, SECTION_FIELDS, path=rel)
    problems.extend(found)
    title = values.get("title") or section_id.rsplit("/", 1)[-1]
    return Section(
        id=section_id, title=title, description=values.get("description") or "",
        icon=values.get("icon") or "", order=values.get("order") or 1000, source=rel,
    )


def load_synonyms(path: Path, project: Path, problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
    """Read ``kb/_synonyms.yml``: a list of groups, each a list of interchangeable words."""
    rel = _rel(project, path)
    root = _yaml_root(path, rel, problems)
    if root is None:
        return ()
    if not isinstance(root, yaml.SequenceNode):
        problems.append(Problem(Location(rel, 1), "", "expected a list of groups, e.g. - [симка, sim-карта]"))
        return ()
    return _groups(root, rel, problems)


def load_loanwords(path: Path, project: Path, problems: list[Problem]) -> tuple[tuple[tuple[str, ...], ...], bool]:
    """Read ``kb/_loanwords.yml``: the project's loanword groups, and whether kb's general list
    applies too. Either a list of groups (added to kb's list) or a mapping
    ``{defaults: false, groups: [...]}`` (``defaults: false`` turns kb's list off)."""
    rel = _rel(project, path)
    root = _yaml_root(path, rel, problems)
    if root is None:
        return (), True
    if isinstance(root, yaml.SequenceNode):
        return _groups(root, rel, problems), True
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(Location(rel, 1), "", "expected a list of groups, e.g. - [бэкап, backup]",
                                hint="or a mapping: defaults: false, groups: [...]"))
        return (), True
    groups: tuple[tuple[str, ...], ...] = ()
    defaults = True
    for key, value in root.value:
        line = key.start_mark.line + 1
        if key.value == "defaults":
            if not (isinstance(value, yaml.ScalarNode) and value.value.lower() in ("true", "false", "yes", "no")):
                problems.append(Problem(Location(rel, line), "defaults", "must be true or false",
                                        hint="defaults: false turns kb's general list off"))
                continue
            defaults = value.value.lower() in ("true", "yes")
        elif key.value == "groups":
            if not isinstance(value, yaml.SequenceNode):
                problems.append(Problem(Location(rel, line), "groups", "expected a list of groups",
                                        hint="write groups: then lines like - [бэкап, backup]"))
                continue
            groups = _groups(value, rel, problems)
        else:
            problems.append(Problem(Location(rel, line), str(key.value), "unknown key",
                                    hint="the keys are defaults and groups"))
    return groups, defaults


def _yaml_root(path: Path, rel: str, problems: list[Problem]) -> yaml.Node | None:
    text = read_text(path, rel, problems)
    if text is None:
        return None
    try:
        return yaml.compose(text, Loader=FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problems.append(Problem(Location(rel, (mark.line + 1) if mark else 0), "",
                                f"YAML syntax error: {exc.problem}"))
        return None


def _groups(root: yaml.SequenceNode, rel: str, problems: list[Problem]) -> tuple[tuple[str, ...], ...]:
    groups = []
    for node in root.value:
        line = node.start_mark.line + 1
        words = [w.value.strip() for w in getattr(node, "value", []) if isinstance(w, yaml.ScalarNode)]
        if not isinstance(node, yaml.SequenceNode) or len(words) != len(node.value) or len(words) < 2:
            problems.append(Problem(Location(rel, line), "", "each group must be a list of at least two words",
                                    hint="write - [word, other word]"))
            continue
        groups.append(tuple(w for w in words if w))
    return tuple(groups)


def _section_id(rel_to_kb: Path) -> str | None:
    parts = rel_to_kb.parts[:-1]
    return "/".join(parts) if parts else None


def _load_article(path: Path, project: Path, section_id: str, status_default: str,
                  problems: list[Problem], unloaded: list[tuple[str, str, int]] | None = None) -> Article | None:
    rel = _rel(project, path)
    text = read_text(path, rel, problems)
    if text is None:
        return None
    parsed = split_front_matter(text, path=rel)
    problems.extend(parsed.problems)
    if parsed.problems and not parsed.data:
        if unloaded is not None and parsed.body:
            unloaded.append((rel, parsed.body, parsed.body_line))
        return None
    values, found = validate_mapping(parsed.data, parsed.lines, ARTICLE_FIELDS, path=rel, first_line=1)
    problems.extend(found)
    video_line = parsed.lines.get("videos", 1)  # checked even when the article cannot load
    videos, video_problems = parse_videos(values.get("videos") or [], path=path, rel=rel, line=video_line)
    problems.extend(video_problems)
    if "id" not in values or "title" not in values:
        if unloaded is not None:
            unloaded.append((rel, parsed.body, parsed.body_line))
        return None
    fields: dict[str, Any] = {k: v for k, v in values.items() if k != "videos"}
    if section_id == DRAFTS_DIR:
        fields["status"] = "draft"
    elif "status" not in parsed.data:
        fields["status"] = status_default
    return Article(
        path=rel, section_id=section_id, slug=path.stem, body=parsed.body,
        body_line=parsed.body_line, videos=videos, lines=dict(parsed.lines), **fields,
    )


def load(project: Path) -> Loaded:
    """Read ``project/kb`` into a :class:`KnowledgeBase`, collecting every problem."""
    project = project.resolve()
    kb_dir = project / KB_DIR
    problems: list[Problem] = []
    if not kb_dir.is_dir():
        problems.append(Problem(Location(KB_DIR), "", "no kb/ folder here",
                                hint="run kb in a project folder (-C DIR), or create one with `kb init DIR`"))
        return Loaded(KnowledgeBase(project, (), ()), problems)
    sections: dict[str, Section] = {}
    articles: list[Article] = []
    assets: list[str] = []
    synonyms: tuple[tuple[str, ...], ...] = ()
    loanwords: tuple[tuple[str, ...], ...] = ()
    loanword_defaults = True
    unloaded: list[tuple[str, str, int]] = []
    for path in _walk(kb_dir, project, problems):
        rel_kb = path.relative_to(kb_dir)
        rel = _rel(project, path)
        section_id = _section_id(rel_kb)
        if rel_kb.as_posix() == SYNONYMS_FILE:
            synonyms = load_synonyms(path, project, problems)
            continue
        if rel_kb.as_posix() == LOANWORDS_FILE:
            loanwords, loanword_defaults = load_loanwords(path, project, problems)
            continue
        if path.name.startswith("_") or any(p.startswith("_") and p != DRAFTS_DIR for p in rel_kb.parts[:-1]):
            continue  # _section.yml (read below), _published.yml and other kb-owned files
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            assets.append(rel_kb.as_posix())
            continue
        if section_id is None:
            problems.append(Problem(Location(rel), "", "articles belong in a section folder",
                                    hint=f"move it to kb/<section>/{path.name}"))
            continue
        if section_id.count("/") > 1 or (section_id.startswith(DRAFTS_DIR + "/")):
            problems.append(Problem(Location(rel), "", "sections nest one level deep at most",
                                    hint="move it to kb/<section>/ or kb/<section>/<sub-section>/"))
            continue
        if section_id not in sections and section_id != DRAFTS_DIR:
            for sid in ([section_id.split("/")[0]] if "/" in section_id else []) + [section_id]:
                if sid not in sections:
                    sections[sid] = _load_section(kb_dir / sid / SECTION_FILE, sid, project, problems)
        article = _load_article(path, project, section_id, "published", problems, unloaded)
        if article is not None:
            articles.append(article)
    if any(a.section_id == DRAFTS_DIR for a in articles):
        sections[DRAFTS_DIR] = Section(id=DRAFTS_DIR, title="Черновики", order=10_000)
    kb = KnowledgeBase(
        root=project,
        sections=tuple(sorted(sections.values(), key=lambda s: (s.order, s.title, s.id))),
        articles=tuple(sorted(articles, key=lambda a: (a.section_id, a.order, a.title, a.path))),
        synonyms=synonyms,
        loanwords=loanwords,
        loanword_defaults=loanword_defaults,
    )
    return Loaded(kb, problems, tuple(assets), tuple(unloaded))
