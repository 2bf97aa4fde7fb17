"""Links that never break: the record of every URL each article has been published at.

``kb/_published.yml`` is written by ``kb build`` and committed by writers. It remembers, per
article id, every URL and heading anchor that went out. From it:

- a renamed or moved article gets redirects from all its old URLs, automatically;
- a deleted (or archived) article that was published is an error until the writer says where
  its links go: ``redirect_to: <id>`` or ``tombstone: <text shown at the old address>``;
- a published anchor that disappeared is a warning (links to it land at the top of the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb_helpcenter.generator.files import read_text
from kb_helpcenter.generator.frontmatter import FAST_LOADER, construct
from kb_helpcenter.generator.model import Article, KnowledgeBase, Location, Problem
from kb_helpcenter.generator.slugs import is_valid_id

PUBLISHED_FILE = "kb/_published.yml"
ENTRY_KEYS = ("title", "urls", "anchors", "redirect_to", "tombstone")

HEADER = """\
# Every URL and anchor each article has been published at. `kb build` keeps this file up to
# date: commit it with your changes. Old URLs of renamed or moved articles redirect to the new
# ones. When you delete (or archive) a published article, say where its links should go:
#   redirect_to: <id of another article>      or      tombstone: <text shown at its old address>
"""


@dataclass(frozen=True)
class Entry:
    """What was published for one article id."""

    id: str
    title: str = ""
    urls: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()
    redirect_to: str | None = None
    tombstone: str | None = None
    line: int = 0


@dataclass
class Published:
    """The parsed file (empty when the project has none yet) and its problems."""

    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def load_published(project: Path) -> Published:
    """Read ``kb/_published.yml``; every malformed entry is a located problem."""
    path = project / PUBLISHED_FILE
    result = Published()
    if not path.exists():
        return result
    text = read_text(path, PUBLISHED_FILE, result.problems, limit=50_000_000)
    if text is None:
        return result
    try:
        root = yaml.compose(text, Loader=FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        result.problems.append(Problem(Location(PUBLISHED_FILE, line), "", f"YAML syntax error: {exc.problem}",
                                       hint="kb build rewrites this file; restore it from git if it is damaged"))
        return result
    data = construct(root) if root is not None else {}
    articles = data.get("articles") if isinstance(data, dict) else None
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "articles" and isinstance(value, yaml.MappingNode):
                lines = {k.value: k.start_mark.line + 1 for k, _ in value.value}
    if not isinstance(articles, dict):
        result.problems.append(Problem(Location(PUBLISHED_FILE, 1), "articles",
                                       "expected `articles:` with one entry per id"))
        return result
    for article_id, raw in articles.items():
        where = Location(PUBLISHED_FILE, lines.get(str(article_id), 0))
        if not isinstance(raw, dict) or not is_valid_id(str(article_id)):
            result.problems.append(Problem(where, str(article_id), "expected an article id with urls, anchors ..."))
            continue
        unknown = [k for k in raw if k not in ENTRY_KEYS]
        if unknown:
            result.problems.append(Problem(where, f"{article_id}.{unknown[0]}", "unknown key",
                                           hint="keys: " + ", ".join(ENTRY_KEYS)))
        urls, anchors = _strings(raw.get("urls") or []), _strings(raw.get("anchors") or [])
        redirect_to, tombstone = raw.get("redirect_to"), raw.get("tombstone")
        if urls is None or anchors is None:
            result.problems.append(Problem(where, str(article_id), "urls and anchors must be lists of text"))
            continue
        if redirect_to is not None and (not isinstance(redirect_to, str) or not is_valid_id(redirect_to)):
            result.problems.append(Problem(where, f"{article_id}.redirect_to",
                                           f"expected an article id, found {redirect_to!r}"))
            redirect_to = None
        if tombstone is not None and (not isinstance(tombstone, str) or not tombstone.strip()):
            result.problems.append(Problem(where, f"{article_id}.tombstone",
                                           "expected the text to show at the old address"))
            tombstone = None
        result.entries[str(article_id)] = Entry(
            id=str(article_id), title=str(raw.get("title") or ""), urls=urls, anchors=anchors,
            redirect_to=redirect_to, tombstone=tombstone.strip() if tombstone else None, line=where.line,
        )
    return result


def check_published(kb: KnowledgeBase, published: Published, anchors: dict[str, frozenset[str]]) -> list[Problem]:
    """Gone articles need a destination; vanished anchors are warnings.

    ``anchors`` maps each published article's id to its current heading anchors.
    """
    live = {a.id: a for a in kb.published()}
    every = {a.id: a for a in kb.articles}
    problems = list(published.problems)
    for entry in published.entries.values():
        where = Location(PUBLISHED_FILE, entry.line)
        article = live.get(entry.id)
        if article is None:
            state = f"is {every[entry.id].status}" if entry.id in every else "was deleted"
            if entry.redirect_to is None and entry.tombstone is None:
                urls = ", ".join(entry.urls[:3]) or f"a/{entry.id}/"
                problems.append(Problem(
                    where, entry.id, f"the published article {entry.id!r} ({urls}) {state}: its links would break",
                    hint=f"restore it, or under `{entry.id}:` in {PUBLISHED_FILE} add `redirect_to: <id>` "
                         "or `tombstone: <text for readers>`",
                ))
            elif entry.redirect_to is not None and entry.redirect_to not in live:
                problems.append(Problem(where, f"{entry.id}.redirect_to",
                                        f"no published article has id {entry.redirect_to!r}",
                                        hint="redirect to an article that exists and is published"))
            continue
        if entry.redirect_to or entry.tombstone:
            problems.append(Problem(where, entry.id,
                                    f"{entry.id!r} is live again; its redirect_to/tombstone is ignored",
                                    severity="warning", hint="remove redirect_to/tombstone from its entry"))
        current = anchors.get(entry.id, frozenset())
        for anchor in entry.anchors:
            if anchor not in current:
                problems.append(Problem(
                    article.where("title"), "anchor",
                    f"the published anchor #{anchor} is gone: links to it now land at the top of the page",
                    severity="warning",
                    hint=f"pin it on the heading that took its place: `## Heading {{#{anchor}}}`",
                ))
    return problems


def updated_entries(
    published: Published, articles: list[Article], anchors: dict[str, frozenset[str]]
) -> dict[str, dict]:
    """The file's new content: every URL and anchor ever published, plus the writers' choices."""
    out: dict[str, dict] = {}
    for entry in published.entries.values():
        out[entry.id] = {"title": entry.title, "urls": list(entry.urls), "anchors": list(entry.anchors)}
        if entry.redirect_to:
            out[entry.id]["redirect_to"] = entry.redirect_to
        if entry.tombstone:
            out[entry.id]["tombstone"] = entry.tombstone
    for article in articles:
        record = out.setdefault(article.id, {"title": article.title, "urls": [], "anchors": []})
        record["title"] = article.title
        if article.url not in record["urls"]:
            record["urls"].append(article.url)
        record["anchors"] = sorted(set(record["anchors"]) | anchors.get(article.id, frozenset()))
        record.pop("redirect_to", None)
        record.pop("tombstone", None)
    return dict(sorted(out.items()))


def write_published(project: Path, entries: dict[str, dict]) -> bool:
    """Write ``kb/_published.yml`` when its content changed; True when it was written."""
    path = project / PUBLISHED_FILE
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = HEADER + yaml.dump({"articles": entries}, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_suffix(".yml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True
