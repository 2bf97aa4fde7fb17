"""Checks across articles: ids, related articles, internal links, anchors, redirects, freshness.

Each check is a plain function from the knowledge base to a list of problems; :func:`check_all`
runs them all. Anchors are taken from the rendered headings, so they are the site's own.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache

from kb_helpcenter.generator.model import Article, KnowledgeBase, Location, Problem
from kb_helpcenter.generator.render import is_external, iter_links, render
from kb_helpcenter.generator.sanitize import html_problems

STALE_AFTER_DAYS = 365


def check_ids(kb: KnowledgeBase) -> list[Problem]:
    """Every id is used once."""
    by_id: dict[str, list[Article]] = defaultdict(list)
    for article in kb.articles:
        by_id[article.id].append(article)
    problems = []
    for article_id, same in by_id.items():
        if len(same) < 2:
            continue
        for article in same:
            others = ", ".join(a.path for a in same if a is not article)
            problems.append(Problem(
                article.where("id"), "id", f"duplicate id {article_id!r}, also used by {others}",
                hint="ids must be unique and never reused: give the newer article a new one",
            ))
    return problems


def check_related(kb: KnowledgeBase) -> list[Problem]:
    """``related`` names existing articles, not the article itself."""
    by_id = {a.id: a for a in kb.articles}
    problems = []
    for article in kb.articles:
        for other in article.related:
            target = by_id.get(other)
            if target is None:
                problems.append(Problem(article.where("related"), "related", f"no article has id {other!r}",
                                        hint=_suggest_id(other, by_id)))
            elif target.id == article.id:
                problems.append(Problem(article.where("related"), "related", "an article cannot be related to itself",
                                        severity="warning"))
            elif article.is_published and not target.is_published:
                problems.append(Problem(article.where("related"), "related",
                                        f"{other!r} is {target.status}, so the link will not be shown",
                                        severity="warning"))
    return problems


def _suggest_id(wrong: str, by_id: dict[str, Article]) -> str:
    import difflib

    close = difflib.get_close_matches(wrong, list(by_id), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "use the `id:` of an existing article"


@lru_cache(maxsize=20_000)
def _anchors(body: str) -> frozenset[str]:
    try:
        return frozenset(h.id for h in render(body).headings)
    except Exception:  # noqa: BLE001 - check_markdown reports the body; links into it find no anchors
        return frozenset()


#: Lists and quotes nested deeper than this are refused before the Markdown parser recurses
#: into them (250 levels exhaust Python's stack); no help article needs more than a few.
MAX_NESTING = 20
_QUOTE_PREFIX = re.compile(r"^(?:\s*>)+")
_LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])\s")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def _nesting(line: str) -> int:
    quotes = _QUOTE_PREFIX.match(line)
    depth = quotes.group(0).count(">") if quotes else 0
    rest = line[quotes.end():] if quotes else line
    item = _LIST_ITEM.match(rest)
    if item:
        depth += 1 + len(item.group(1).expandtabs(4)) // 4  # Python-Markdown nests by four spaces
    return depth


_H1 = re.compile(r"^ {0,3}#(?!#)\s+\S")
_NO_ALT = re.compile(r"!\[\s*\]\(")


def check_markdown(kb: KnowledgeBase) -> list[Problem]:
    """Bodies the Markdown parser can render: nesting within bounds, every code fence closed,
    and no other input that breaks the parser (a located error instead of a traceback). Warns
    on a ``# heading`` (the title is the page's one h1) and on images without alt text."""
    problems = []
    for article in kb.articles:
        open_fence: tuple[str, int] | None = None
        deepest: tuple[int, int] = (0, 0)
        for number, line in enumerate(article.body.splitlines(), start=article.body_line):
            fence = _FENCE_OPEN.match(line)
            if open_fence is not None:
                if fence and fence.group(1)[0] == open_fence[0][0] and len(fence.group(1)) >= len(open_fence[0]) \
                        and not fence.group(2).strip():
                    open_fence = None
                continue
            if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
                open_fence = (fence.group(1), number)
                continue
            if _H1.match(line):
                same = line.strip().lstrip("#").strip().rstrip("#").strip() == article.title.strip()
                problems.append(Problem(
                    Location(article.path, number), "body",
                    "a `# heading` repeats the title" if same
                    else "a `# heading` in the body: the title is the page's heading",
                    severity="warning", hint="start the body with the answer; use ## for its parts"))
            if _NO_ALT.search(line):
                problems.append(Problem(
                    Location(article.path, number), "image", "an image without alt text", severity="warning",
                    hint="describe it between the brackets, ![Кнопка «Оплатить» в приложении](...): screen "
                         "readers read it, and it shows when the image does not load"))
            depth = _nesting(line)
            if depth > deepest[0]:
                deepest = (depth, number)
        if deepest[0] > MAX_NESTING:
            problems.append(Problem(Location(article.path, deepest[1]), "body",
                                    f"lists or quotes nested {deepest[0]} levels deep; at most {MAX_NESTING} render",
                                    hint="flatten the structure: split it into headings and shorter lists"))
            continue
        if open_fence is not None:
            problems.append(Problem(Location(article.path, open_fence[1]), "body",
                                    f"code fence {open_fence[0]} is never closed: the rest of the article "
                                    "would show as code", severity="warning",
                                    hint=f"close it with {open_fence[0]} on a line of its own"))
        try:
            render(article.body)
        except Exception as exc:  # noqa: BLE001 - any parser failure is the writer's to fix, located
            problems.append(Problem(Location(article.path, article.body_line), "body",
                                    f"the Markdown cannot be rendered ({type(exc).__name__}: {str(exc)[:120]})",
                                    hint="look for unbalanced HTML or very deep nesting in the body"))
    return problems


def article_anchors(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """The heading anchors of every published article, by id."""
    return {a.id: _anchors(a.body) for a in kb.published()}


_ANCHOR_HINT = "link to an existing heading, or pin the anchor on one: `## Title {{#{anchor}}}`"


def check_links(kb: KnowledgeBase, assets: tuple[str, ...] = (),
                unloaded: tuple[tuple[str, str, int], ...] = ()) -> list[Problem]:
    """Internal links and images point at files and anchors that exist. ``unloaded`` are the
    ``(path, body, first body line)`` of article files whose front matter failed: their bodies
    are checked too, so one run reports every problem."""
    by_path = {a.path: a for a in kb.articles}
    sections = {s.id for s in kb.sections}
    asset_paths = {f"kb/{p}" for p in assets}
    problems = []
    bodies = [(a.path, a.body, a.body_line, a.is_published) for a in kb.articles]
    bodies += [(path, body, line, False) for path, body, line in unloaded]
    for path, body, body_line, published in bodies:
        base = posixpath.dirname(path)
        for link in iter_links(body):
            target = link.target
            if is_external(target) or target.startswith("/"):
                continue
            where = Location(path, body_line + link.line - 1)
            field = "image" if link.image else "link"
            path_part, _, anchor = target.partition("#")
            path_part = path_part.split("?", 1)[0]
            if not path_part:
                if anchor and anchor not in _anchors(body):
                    problems.append(Problem(where, field, f"no heading with anchor #{anchor} in this article",
                                            hint=_ANCHOR_HINT.format(anchor=anchor)))
                continue
            resolved = posixpath.normpath(posixpath.join(base, path_part))
            if not resolved.startswith("kb/"):
                problems.append(Problem(where, field, f"{target!r} points outside kb/"))
                continue
            if resolved.endswith(".md"):
                other = by_path.get(resolved)
                if other is None:
                    problems.append(Problem(where, field, f"{target!r}: no such article ({resolved})",
                                            hint="check the file name; links point at the .md file"))
                elif anchor and anchor not in _anchors(other.body):
                    problems.append(Problem(where, field, f"{target!r}: {other.path} has no heading #{anchor}",
                                            hint=_ANCHOR_HINT.format(anchor=anchor)))
                elif published and not other.is_published:
                    problems.append(Problem(where, field,
                                            f"{target!r} is {other.status}: the link will break on the site",
                                            severity="warning"))
            elif resolved not in asset_paths and resolved.removeprefix("kb/").rstrip("/") not in sections:
                problems.append(Problem(where, field, f"{target!r}: file not found ({resolved})",
                                        hint="put the file next to the article and link it relatively"))
    return problems


def check_redirects(kb: KnowledgeBase) -> list[Problem]:
    """No old path redirects to two articles, nor shadows a live article or section."""
    live = {a.url: a for a in kb.published()}
    live.update({f"{s.id}/": None for s in kb.sections})
    claimed: dict[str, Article] = {}
    problems = []
    for article in kb.published():
        for old in article.redirect_from:
            if old in live:
                owner = live[old]
                what = f"the live article {owner.path}" if owner else f"the section {old}"
                problems.append(Problem(article.where("redirect_from"), "redirect_from",
                                        f"{old!r} is the URL of {what}", hint="a redirect cannot replace a live page"))
            elif old in claimed and claimed[old].id != article.id:
                problems.append(Problem(article.where("redirect_from"), "redirect_from",
                                        f"{old!r} already redirects to {claimed[old].path}",
                                        hint="an old URL can lead to one article only"))
            else:
                claimed[old] = article
    return problems


def check_quality(kb: KnowledgeBase, *, today: dt.date | None = None) -> list[Problem]:
    """Warnings that keep a help center findable and fresh."""
    today = today or dt.date.today()
    problems = []
    for article in kb.articles:
        if not article.is_published:
            continue
        if not article.summary:
            problems.append(Problem(article.where("title"), "summary", "no summary", severity="warning",
                                    hint="one or two sentences shown in search results and sent by operators"))
        if not article.aliases:
            problems.append(Problem(article.where("title"), "aliases", "no aliases", severity="warning",
                                    hint="add how customers actually ask, so search finds the article"))
        if article.updated and (today - article.updated).days > STALE_AFTER_DAYS:
            problems.append(Problem(article.where("updated"), "updated",
                                    f"last updated {article.updated.isoformat()}, more than 12 months ago",
                                    severity="warning", hint="review the article and set today's date"))
    return problems


# Site paths kb uses itself: a section folder with one of these names would hide them.
RESERVED_SECTIONS = ("a", "api", "assets", "healthz", "ops", "search", "videos")


def check_reserved(kb: KnowledgeBase) -> list[Problem]:
    """Section folders must not take the names of kb's own pages."""
    return [
        Problem(Location(section.source or f"kb/{section.id}"), "",
                f"the section name {section.id!r} is reserved by kb",
                hint="rename the folder; reserved: " + ", ".join(RESERVED_SECTIONS))
        for section in kb.sections
        if section.id.split("/")[0] in RESERVED_SECTIONS and "/" not in section.id
    ]


CHECKS: tuple[Callable[[KnowledgeBase], list[Problem]], ...] = (
    check_ids, check_related, check_redirects, check_quality, check_reserved,
)


def check_raw_html(kb: KnowledgeBase) -> list[Problem]:
    """Raw HTML in bodies that the site will not carry (``extra.kb.raw_html: sanitize``): each
    removal a located warning, so the writer sees what readers will not."""
    problems = []
    for article in kb.articles:
        if "<" not in article.body:
            continue
        for found in html_problems(article.body):
            problems.append(Problem(Location(article.path, article.body_line + found.line - 1), "body",
                                    f"raw HTML: {found.message}", severity="warning",
                                    hint="the site never runs scripts from articles; if every writer is "
                                         "trusted, set extra.kb.raw_html: trusted in mkdocs.yml"))
    return problems


def check_all(kb: KnowledgeBase, assets: tuple[str, ...] = (),
              unloaded: tuple[tuple[str, str, int], ...] = ()) -> list[Problem]:
    """Run every cross-article check (``unloaded``: see :func:`check_links`)."""
    problems = check_markdown(kb) + check_links(kb, assets, unloaded)
    for check in CHECKS:
        problems.extend(check(kb))
    return problems
