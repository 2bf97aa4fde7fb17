"""New articles from a template (``kb new``) and drafts from the gap report
(``kb gaps --drafts``). Never overwrites anything.

The template is written from the field table (:data:`generator.schema.ARTICLE_FIELDS`), so a
new field shows up in new articles without touching this module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kb_helpcenter.generator.loader import KB_DIR, SECTION_FILE, load
from kb_helpcenter.generator.published import load_published
from kb_helpcenter.generator.sanitize import sanitize_markdown
from kb_helpcenter.generator.schema import ARTICLE_FIELDS
from kb_helpcenter.generator.slugs import is_valid_id, slugify, unique_slug

if TYPE_CHECKING:
    from kb_helpcenter.search.gaps.model import Gap

BODY_TEMPLATE = """Начните с короткого прямого ответа на вопрос из заголовка: одно-два предложения.

## Что сделать

1. Первый шаг: где нажать, что выбрать.
2. Второй шаг.
3. Что должно получиться.

## Если не получилось

Опишите частые причины и что делать в каждом случае.
"""


class NewArticleError(ValueError):
    """The request cannot be carried out (bad section name, nothing usable in the title)."""


def article_template(*, article_id: str, title: str, today: dt.date) -> str:
    """The text of a new article: front matter from the field table, then a body skeleton."""
    lines = ["---"]
    for field in ARTICLE_FIELDS:
        if not field.example:
            continue
        value = field.example.format(id=article_id, title=json.dumps(title, ensure_ascii=False),
                                     today=today.isoformat())
        lines.append(f"{field.name}: {value}" if not value.startswith("\n") else f"{field.name}:{value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + BODY_TEMPLATE


def new_article(project: Path, title: str, *, section: str, today: dt.date | None = None) -> Path:
    """Create ``kb/<section>/<slug>.md`` with a fresh unique id; return its path."""
    today = today or dt.date.today()
    section = section.strip("/")
    if not all(is_valid_id(part) for part in section.split("/")) or section.count("/") > 1:
        raise NewArticleError(f"section {section!r} must be a folder name like 'returns' or 'payment/cards'")
    base = slugify(title)
    if not base:
        raise NewArticleError(f"the title {title!r} has no letters or digits to make an id from")
    loaded = load(project)
    # Ids are never reused: a deleted article's links may still redirect or show a tombstone.
    taken_ids = {a.id for a in loaded.kb.articles} | set(load_published(project).entries)
    section_dir = project / KB_DIR / section
    taken_files = {p.stem for p in section_dir.glob("*.md")} if section_dir.is_dir() else set()
    article_id = unique_slug(base, taken_ids)
    slug = unique_slug(base, taken_files)
    section_dir.mkdir(parents=True, exist_ok=True)
    section_file = section_dir / SECTION_FILE
    if not section_file.exists():
        name = section.rsplit("/", 1)[-1].replace("-", " ").capitalize()
        section_file.write_text(f"title: {json.dumps(name, ensure_ascii=False)}\norder: 100\n", encoding="utf-8")
    path = section_dir / f"{slug}.md"
    with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
        handle.write(article_template(article_id=article_id, title=title, today=today))
    return path


# ---- gap drafts (``kb gaps --drafts N``) -----------------------------------------------------

GAP_SAMPLE = 5
GAP_ALIASES = 5
GAP_BODY = """<!-- Черновик из отчёта о пробелах: клиенты задавали эти вопросы, а справка не ответила.
     Ответьте на вопрос из заголовка, уберите этот комментарий, перенесите файл в раздел
     (kb/<раздел>/) и поставьте status: published. -->

Начните с короткого прямого ответа на вопрос из заголовка: одно-два предложения.

## Что сделать

1. Первый шаг.
2. Второй шаг.

## Что спрашивали клиенты

{questions}

Ответьте на каждый из этих вопросов в тексте статьи или уберите лишние из `aliases`.
"""


def _yaml_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


#: A draft's title is cut to at most this many characters (at a word, with "…").
TITLE_MAX = 90


def draft_title(question: str) -> str:
    """A draft's title from a gap's label: :func:`search.gaps.find.plain_question`, capitalised, no
    closing full stop, at most :data:`TITLE_MAX` characters (cut at a word).

        >>> draft_title("Добрый день, как изменить адрес доставки.")
        'Как изменить адрес доставки'
    """
    from kb_helpcenter.search.gaps.find import plain_question

    title = plain_question(question)
    title = title[:1].upper() + title[1:]
    if len(title) > TITLE_MAX:
        title = title[:TITLE_MAX].rsplit(" ", 1)[0].rstrip(",;:-–— ") + "…"
    return _without_full_stop(title)


def _without_full_stop(text: str) -> str:
    return text if text.endswith("...") else text.rstrip(". ")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>&])")


def _md_text(text: str) -> str:
    """``text`` as literal Markdown: every character Markdown or HTML could read as syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def gap_draft_text(gap: Gap, *, article_id: str, today: dt.date, since: dt.datetime | None = None) -> str:
    """The text of a draft for one gap (:class:`search.gaps.model.Gap`): front matter with the
    evidence in ``gap:``, then a body that tells the writer what to answer. Questions are masked."""
    from kb_helpcenter.search.gaps.find import plain_question
    from kb_helpcenter.search.privacy import mask

    title = draft_title(mask(gap.label))
    asked = [_without_full_stop(plain_question(mask(q.text))) for q in gap.questions]
    aliases = [q for q in dict.fromkeys(asked) if q.casefold() != title.casefold()][:GAP_ALIASES]
    lines = ["---", f"id: {article_id}", f"title: {_yaml_text(title)}", "status: draft"]
    if aliases:
        lines.append("aliases:")
        lines += [f"  - {_yaml_text(a)}" for a in aliases]
    lines.append(f"updated: {today.isoformat()}")
    first = gap.first_seen.date().isoformat() if gap.first_seen else ""
    last = gap.last_seen.date().isoformat() if gap.last_seen else ""
    lines += [
        "gap:",
        f"  rank: {gap.rank}",
        f"  size: {gap.size}",
        "  sources: {" + ", ".join(f"{k}: {v}" for k, v in gap.sources.items()) + "}",
        "  period: {" + ", ".join(f"{k}: {_yaml_text(v)}" for k, v in (
            ("since", since.date().isoformat() if since else ""), ("first_seen", first), ("last_seen", last))) + "}",
        "  terms: [" + ", ".join(_yaml_text(mask(t)) for t in gap.top_terms) + "]",
    ]
    if gap.nearest:
        lines.append(f"  nearest: {{id: {_yaml_text(gap.nearest.id)}, score: {gap.nearest.score}}}")
    lines.append("  questions:")
    lines += [f"    - {_yaml_text(f'{q.count}× {mask(q.text)}')}" for q in gap.questions[:GAP_SAMPLE]]
    lines.append(f"  generated: {_yaml_text(today.isoformat())}")
    lines.append("---")
    # customers' words are text in the body: HTML and Markdown syntax escaped, then the policy
    sample = "\n".join(f"- {_md_text(mask(q.text))} ({q.count})" for q in gap.questions[:GAP_SAMPLE])
    return "\n".join(lines) + "\n\n" + sanitize_markdown(GAP_BODY.format(questions=sample))


def write_gap_drafts(project: Path, gaps: Sequence[Gap], *, today: dt.date | None = None,
                     since: dt.datetime | None = None) -> tuple[list[Path], list[str]]:
    """Write a draft per gap into ``kb/_drafts/<slug>.md``; never overwrite anything.

    Returns the paths written and the labels skipped because an article (of any status, drafts
    included) already has that title. Ids are fresh against every article and every id in
    ``kb/_published.yml``.
    """
    from kb_helpcenter.generator.loader import DRAFTS_DIR
    from kb_helpcenter.search.privacy import mask

    today = today or dt.date.today()
    loaded = load(project)
    taken_ids = {a.id for a in loaded.kb.articles} | set(load_published(project).entries)
    titles = {a.title.strip().casefold() for a in loaded.kb.articles}
    drafts_dir = project / KB_DIR / DRAFTS_DIR
    taken_files = {p.stem for p in drafts_dir.glob("*.md")} if drafts_dir.is_dir() else set()
    written: list[Path] = []
    skipped: list[str] = []
    for gap in gaps:
        label = draft_title(mask(gap.label))
        if label.strip().casefold() in titles:
            skipped.append(label)
            continue
        base = slugify(label) or f"gap-{gap.rank}"
        article_id = unique_slug(base, taken_ids)
        slug = unique_slug(base, taken_files)
        drafts_dir.mkdir(parents=True, exist_ok=True)
        path = drafts_dir / f"{slug}.md"
        with path.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            handle.write(gap_draft_text(gap, article_id=article_id, today=today, since=since))
        taken_ids.add(article_id)
        taken_files.add(slug)
        titles.add(label.strip().casefold())
        written.append(path)
    return written, skipped
