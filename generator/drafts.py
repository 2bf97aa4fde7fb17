"""New articles from a template: ``kb new``. Never overwrites anything.

The template is written from the field table (:data:`generator.schema.ARTICLE_FIELDS`), so a
new field shows up in new articles without touching this module.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from generator.loader import KB_DIR, SECTION_FILE, load
from generator.published import load_published
from generator.schema import ARTICLE_FIELDS
from generator.slugs import is_valid_id, slugify, unique_slug

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
