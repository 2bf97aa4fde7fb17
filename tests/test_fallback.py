"""generator.fallback: the static search index the site's search box falls back to."""

from __future__ import annotations

import json

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.fallback import FIELDS, fallback_index, words
from kb_helpcenter.search.manifest import ArticleRecord, Heading, Manifest, VideoRecord

from conftest import article, write_kb


def test_words_are_normalised_like_the_browser_does():
    assert words("Не пришла SIM-карта! Ёлка, Ｗi‑Fi 2,4 ГГц") == [
        "не", "пришла", "sim", "карта", "елка", "wi", "fi", "2", "4", "ггц"]


def test_one_row_per_article_with_words_stored_once():
    manifest = Manifest(
        articles=(
            ArticleRecord(
                id="terminal", url="payment/terminal/", title="Оплатили через терминал, а деньги не пришли",
                summary="Зачисление до 24 часов.", section="Оплата", section_id="payment",
                aliases=("Заплатил в терминале — деньги не пришли", "Платёж не зачислен"),
                tags=("терминал",),
                headings=(Heading("check", "Что проверить"), Heading("claim", "Заявление на розыск платежа")),
                videos=(VideoRecord(url="https://youtu.be/x", title="Как найти чек"),),
                body="Длинный текст статьи, которого нет в запасном индексе.",
            ),
            ArticleRecord(id="cards", url="payment/cards/", title="Карту не принимают", section="Оплата"),
            ArticleRecord(id="apn", url="mobile/apn/", title="Настройки APN", section="Мобильная связь"),
        ),
        synonyms=(("Симка", "SIM-карта"), ("одно",)),
    )
    index = fallback_index(manifest)
    assert index["format"] == 1 and index["fields"] == list(FIELDS)
    assert index["sections"] == ["Оплата", "Мобильная связь"]
    assert index["articles"][0] == [
        "terminal", "payment/terminal/", "Оплатили через терминал, а деньги не пришли", 0, "Зачисление до 24 часов.",
        # title words, stop words ("в") and repeats left out; ё→е
        "заплатил терминале платеж зачислен",
        "проверить заявление розыск платежа найти чек",
    ]
    assert index["articles"][2][:4] == ["apn", "mobile/apn/", "Настройки APN", 1]
    assert index["synonyms"] == [["симка", "sim-карта"]]
    assert "не" not in index["stop"] and "как" in index["stop"]  # negation matters: search.engine.analysis
    assert "Длинный" not in json.dumps(index, ensure_ascii=False)


def test_kb_build_ships_the_index_inside_the_site(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/payment/terminal.md": article("terminal-payment", "Оплатили через терминал, а деньги не пришли"),
        "kb/_drafts/secret.md": article("secret", "Черновик, которого нет на сайте"),
    })
    build(project)
    index = json.loads((project / "site" / "search" / "index.json").read_text(encoding="utf-8"))
    assert [row[0] for row in index["articles"]] == ["terminal-payment"]
    assert index["articles"][0][1] == "payment/terminal/"
    # Material's own search is off: kb owns search, so its lunr index is not built.
    assert not (project / "site" / "search" / "search_index.json").exists()
