"""The learned aliases of a project: what ``kb build`` indexes and ``kb learn`` shows.

Search learns from the event store (:mod:`search.events.learned`); this module adds the
project's side: the writers' rejections in ``kb/_learned.yml`` (in git with the articles, so a
rejection is reviewed like any other change), the switch ``extra.kb.learn`` in ``mkdocs.yml``,
and the articles' own titles and aliases, which need not be learned again::

    # kb/_learned.yml — questions search must not learn for an article
    rejected:
      - {article: refund-timing, question: "деньги не пришли"}
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from kb_helpcenter.generator.model import ContentError, Location, Problem
from kb_helpcenter.search.events.learned import LearnedAlias, learned_aliases
from kb_helpcenter.search.events.schema import EventStoreError
from kb_helpcenter.search.events.store import EventStore, store_path
from kb_helpcenter.search.manifest import Manifest

LEARNED_FILE = "kb/_learned.yml"
_HEADER = (
    "# Questions search must not learn for an article (kb learn --reject ARTICLE QUESTION adds one).\n"
    "# Delete a line to let search learn it again.\n"
)


def rejected(project: Path) -> list[tuple[str, str]]:
    """The ``(article id, question)`` pairs of ``kb/_learned.yml``; a broken file is a
    :class:`ContentError` that names the line."""
    path = project / LEARNED_FILE
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ContentError([Problem(Location(LEARNED_FILE, line), "", f"YAML syntax error: {exc.problem}")]) from None
    entries = data.get("rejected") if isinstance(data, dict) else None
    if entries is None:
        entries = []
    lines = _entry_lines(root)
    problems, pairs = [], []
    if not isinstance(entries, list):
        problems.append(Problem(Location(LEARNED_FILE, 1), "rejected", "expected a list",
                                hint='write - {article: ID, question: "..."}'))
        entries = []
    for n, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("article"), str)
                and isinstance(entry.get("question"), str) and entry["question"].strip()):
            line = lines[n] if n < len(lines) else 1
            problems.append(Problem(Location(LEARNED_FILE, line), "rejected",
                                    "each entry needs an article id and a question",
                                    hint='write - {article: ID, question: "..."}'))
            continue
        pairs.append((entry["article"], entry["question"]))
    if problems:
        raise ContentError(problems)
    return pairs


def _entry_lines(root: yaml.Node | None) -> list[int]:
    """The line of each entry of ``rejected:`` (1-based), for located errors."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "rejected" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def reject(project: Path, article_id: str, question: str) -> Path:
    """Add ``(article_id, question)`` to ``kb/_learned.yml`` (written to a temp file, then
    renamed: the file is never half-written); the next ``kb build`` forgets it."""
    pairs = rejected(project)
    if (article_id, question) not in pairs:
        pairs.append((article_id, question))
    path = project / LEARNED_FILE
    body = yaml.safe_dump({"rejected": [{"article": a, "question": q} for a, q in pairs]},
                          allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(_HEADER + body, encoding="utf-8")
    os.replace(tmp, path)
    return path


def project_learned(project: Path, manifest: Manifest, *, enabled: bool = True) -> list[LearnedAlias]:
    """What search has learned for ``manifest``'s articles from the project's event store
    (none when learning is off or there is no store yet)."""
    path = store_path(project)
    if not enabled or not path.is_file():
        return []
    ids = {a.id for a in manifest.articles}
    known = [(a.id, text) for a in manifest.articles for text in (a.title, *a.aliases)]
    try:
        with EventStore(path, create=False) as store:
            found = learned_aliases(store, rejected=rejected(project), known=known)
    except EventStoreError:
        return []  # kb doctor and kb serve report a store they cannot read; a build goes on
    return [a for a in found if a.article_id in ids]
