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

from kb_helpcenter.generator.frontmatter import FAST_LOADER, construct
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
        root = yaml.compose(text, Loader=FAST_LOADER)  # one parse: values and their lines
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ContentError([Problem(Location(LEARNED_FILE, line), "", f"YAML syntax error: {exc.problem}")]) from None
    problems, pairs = [], []
    items = dict((k.value, v) for k, v in root.value).get("rejected") if isinstance(root, yaml.MappingNode) else None
    if items is not None and not isinstance(items, yaml.SequenceNode):
        problems.append(Problem(Location(LEARNED_FILE, items.start_mark.line + 1), "rejected", "expected a list",
                                hint='write - {article: ID, question: "..."}'))
        items = None
    for item in items.value if items is not None else ():
        entry = construct(item)
        if not (isinstance(entry, dict) and isinstance(entry.get("article"), str)
                and isinstance(entry.get("question"), str) and entry["question"].strip()):
            problems.append(Problem(Location(LEARNED_FILE, item.start_mark.line + 1), "rejected",
                                    "each entry needs an article id and a question",
                                    hint='write - {article: ID, question: "..."}'))
            continue
        pairs.append((entry["article"], entry["question"]))
    if problems:
        raise ContentError(problems)
    return pairs


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
    asked = {a.id: (a.title, *a.aliases) for a in manifest.articles}
    try:
        with EventStore(path, create=False) as store:
            return learned_aliases(store, rejected=rejected(project), articles=asked)
    except EventStoreError:
        return []  # kb doctor and kb serve report a store they cannot read; a build goes on
