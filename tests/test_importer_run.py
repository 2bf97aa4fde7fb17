"""kb import: an MkDocs site, a folder in VK's dialect, and each transform on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kb_helpcenter.generator.importer.blocks import convert_blocks, split_block_tags
from kb_helpcenter.generator.importer.dialect import (
    convert,
    expand_includes,
    replace_captions,
    replace_counters,
    replace_headings,
    replace_linkto,
    replace_vars,
    resolve_conditionals,
    strip_comments,
)
from kb_helpcenter.generator.importer.lists import normalize_list_indent
from kb_helpcenter.generator.importer.run import ImportFailed, import_tree
from kb_helpcenter.generator.importer.source import exclusion
from kb_helpcenter.generator.importer.text import leading_title, rewrite_links

from conftest import MKDOCS_YML, write_kb

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (paths relative to ``root``) and return ``root``."""
    return write_kb(root, files, config=None)


def read_article(path: Path) -> tuple[dict, str]:
    """Front matter and body of an imported article."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    assert body.startswith("\n")
    return yaml.safe_load(front), body[1:]


MKDOCS_SITE: dict[str, str | bytes] = {
    "mkdocs.yml": (
        "site_name: Old help\n"
        "docs_dir: docs\n"
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "nav:\n"
        "  - Главная: index.md\n"
        "  - Оплата:\n"
        "      - payment/index.md\n"
        "      - payment/cards.md\n"
        "  - returns/refund.md\n"
    ),
    "docs/index.md": "# Добро пожаловать\n\nС чего начать.\n",
    "docs/top.md": "# Контакты\n\nПишите нам.\n",
    "docs/payment/index.md": (
        "---\ntitle: Про оплату\ndescription: Карты, счета и чеки.\n---\n\n# Оплата\n\nОбзор.\n"),
    "docs/payment/cards.md": (
        "---\ntitle: Банковские карты\ntags: [карты, оплата]\nhide: [toc]\n---\n\n"
        "# Карты\n\nСм. [возврат](../returns/refund.md#сроки) и ![схема](img/scheme.png).\n\n"
        "Снова ![схема](./img/scheme.png), [нет такой](../nowhere.md) и "
        "[сайт](https://example.com/a.md).\n\n```\n[код](не-ссылка.md)\n```\n"),
    "docs/payment/img/scheme.png": PNG,
    "docs/returns/refund.md": "# Как вернуть деньги\n\n## Сроки\n\nДо 10 дней.\n",
    "docs/returns/policy.md": "Правила без заголовка.\n",
    "docs/returns/policy.meta.json": json.dumps(
        {"title": "Правила возврата", "shortDescription": "Что можно вернуть", "weight": 2}),
    "docs/guides/setup/basics.md": "# Основы\n\nТекст.\n",
    "docs/guides/setup/advanced/tuning.md": (
        "# Тонкая настройка\n\nСначала [карты](../../../payment/cards.md).\n"),
    "docs/Новости/Релиз 2.md": "# Релиз\n\nЧто нового.\n",
    "docs/broken/latin1.md": "# Caf\xe9\n".encode("latin-1"),
    "docs/broken/yaml.md": "---\ntitle: [oops\n---\n\nText\n",
    "docs/broken/empty.md": "",
    "docs/_drafts/draft.md": "# Черновик\n",
    "docs/.hidden/secret.md": "# Secret\n",
    "docs/old/gone.md": "# Старое\n",
}


@pytest.fixture
def mkdocs_site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "old", MKDOCS_SITE)


def test_mkdocs_site_becomes_a_kb(mkdocs_site: Path, tmp_path: Path) -> None:
    kb = tmp_path / "help" / "kb"
    report = import_tree(mkdocs_site, kb, exclude=["old/*"])

    assert report.articles == [
        "general/home.md", "general/top.md", "guides/setup/advanced-tuning.md",
        "guides/setup/basics.md", "novosti/reliz-2.md", "payment/cards.md", "payment/payment.md",
        "returns/policy.md", "returns/refund.md",
    ]
    assert report.sections == [
        "general/_section.yml", "guides/_section.yml", "guides/setup/_section.yml",
        "novosti/_section.yml", "payment/_section.yml", "returns/_section.yml",
    ]
    assert report.assets == ["payment/images/scheme.png"]
    assert (kb / "payment/images/scheme.png").read_bytes() == PNG
    assert report.skipped == [
        ("broken/empty.md", "empty file"),
        ("broken/latin1.md", "not UTF-8 text (byte 0xe9 at offset 5); convert it to UTF-8 and "
                             "import again"),
        ("broken/yaml.md", "broken YAML front matter at line 3: expected ',' or ']', but got "
                           "'<stream end>'"),
    ]
    assert report.summary() == (
        "imported 9 articles in 5 sections (1 sub-sections), 1 images; 3 pages skipped; "
        "3 warnings")
    assert [str(w) for w in report.warnings] == [
        "front-matter 'hide': kb has no such field, dropped (1 page)",
        "Новости/Релиз 2.md: redirect 'Новости/Релиз 2/': not a plain URL path, none kept",
        "payment/cards.md: link ../nowhere.md: no imported page there, text kept",
    ]


def test_titles_summaries_and_ids(mkdocs_site: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    import_tree(mkdocs_site, kb, exclude=["old/*"])

    front, body = read_article(kb / "payment/cards.md")
    assert front == {"id": "payment-cards", "title": "Банковские карты",
                     "tags": ["карты", "оплата"], "order": 4}
    assert "# Карты" not in body  # the leading H1 is the site's title, not the body's

    front, body = read_article(kb / "returns/refund.md")
    assert front["title"] == "Как вернуть деньги"  # the first heading
    assert body.startswith("## Сроки")

    front, _ = read_article(kb / "returns/policy.md")
    assert (front["title"], front["summary"], front["order"]) == (
        "Правила возврата", "Что можно вернуть", 2)  # the sidecar *.meta.json

    front, _ = read_article(kb / "general/home.md")
    assert (front["id"], front["title"]) == ("home", "Главная")  # the nav title

    front, _ = read_article(kb / "payment/payment.md")
    assert (front["id"], front["title"], front["summary"]) == (
        "payment", "Про оплату", "Карты, счета и чеки.")

    front, _ = read_article(kb / "guides/setup/advanced-tuning.md")
    assert front["id"] == "guides-setup-advanced-tuning"
    assert front["redirect_from"] == ["guides/setup/advanced/tuning/"]

    front, _ = read_article(kb / "novosti/reliz-2.md")
    assert front["id"] == "novosti-reliz-2"


def test_section_titles(mkdocs_site: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    import_tree(mkdocs_site, kb, exclude=["old/*"])

    def section(path: str) -> dict:
        return yaml.safe_load((kb / path / "_section.yml").read_text(encoding="utf-8"))

    assert section("payment") == {"title": "Оплата", "description": "Карты, счета и чеки.",
                                  "order": 2}  # nav name, index page's description
    assert section("general") == {"title": "Общее"}
    assert section("guides") == {"title": "Guides"}
    assert section("guides/setup") == {"title": "Setup"}
    assert section("novosti") == {"title": "Новости"}


def test_links_and_images_follow_the_pages(mkdocs_site: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    import_tree(mkdocs_site, kb, exclude=["old/*"])

    _, body = read_article(kb / "payment/cards.md")
    assert body == (
        "См. [возврат](../returns/refund.md#сроки) и ![схема](images/scheme.png).\n\n"
        "Снова ![схема](images/scheme.png), нет такой и [сайт](https://example.com/a.md).\n\n"
        "```\n[код](не-ссылка.md)\n```\n")
    _, body = read_article(kb / "guides/setup/advanced-tuning.md")
    assert "[карты](../../payment/cards.md)" in body


def test_the_import_passes_kb_check(mkdocs_site: Path, tmp_path: Path) -> None:
    from kb_helpcenter.generator.build import check

    project = write_tree(tmp_path / "help", {"mkdocs.yml": MKDOCS_YML})
    import_tree(mkdocs_site, project / "kb", exclude=["old/*"])

    result = check(project)
    assert [p.format() for p in result.errors] == []


def test_never_overwrites_and_leaves_nothing_behind(mkdocs_site: Path, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    import_tree(mkdocs_site, kb)
    before = {p: p.read_bytes() for p in kb.rglob("*") if p.is_file()}

    with pytest.raises(ImportFailed, match=r"kb/general/_section.yml already exists \(and "):
        import_tree(mkdocs_site, kb)
    assert {p: p.read_bytes() for p in kb.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb", "old"]  # no temp folder left


def test_imports_next_to_existing_sections(tmp_path: Path) -> None:
    kb = write_tree(tmp_path / "kb", {
        "orders/_section.yml": "title: Заказы\n",
        "orders/track.md": "---\nid: faq-track\ntitle: Где заказ\n---\n\nТекст.\n",
    })
    src = write_tree(tmp_path / "src", {"faq/track.md": "# Отслеживание\n\nТекст.\n"})
    import_tree(src, kb)
    front, _ = read_article(kb / "faq/track.md")
    assert front["id"] == "faq-track-2"  # the existing article keeps its id
    assert (kb / "orders/track.md").read_text(encoding="utf-8").startswith("---\nid: faq-track\n")


def test_missing_source_and_progress(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="not a folder"):
        import_tree(tmp_path / "nothing", tmp_path / "kb")
    src = write_tree(tmp_path / "src", {"a/one.md": "# Один\n\nТекст.\n"})
    calls: list[tuple[int, int]] = []
    import_tree(src, tmp_path / "kb", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 1)]


# --- a folder in VK Cloud's dialect --------------------------------------------------

VK_SITE: dict[str, str | bytes] = {
    "ru.meta.json": json.dumps({"variables": {
        "cloud": [{"buildPoint": "private", "value": "VK Private Cloud"},
                  {"buildPoint": "public", "value": "VK Cloud"}],
        "s3": "VK Object Storage"}}),
    "_includes/_common.md": (
        "{includetag(a)}\nИз включения A: {var(s3)}.\n{/includetag}\n"
        "{includetag(b)}\nИз включения B.\n{/includetag}\n"),
    "net/net.md": "# {heading(Сети)[id=net]}\n\nОбзор {var(cloud)}.\n",
    "net/vpn/vpn.md": (
        "# {heading(VPN)[id=vpn]}\n\n{include(../../_includes/_common.md)[tags=a]}\n\n"
        "## {heading(Настройка)[id=vpn-setup]}\n\n1. Шаг первый.\n\n   {note:warn}\n"
        "   Осторожно.\n   {/note}\n\n1. {linkto(../../net/router#router-create)[text=%text]}\n\n"
        "См. {linkto(/ru/net/router#router)[text=роутер]} и {linkto(#vpn-setup)[text=выше]}.\n"),
    "net/vpn/vpn.meta.json": json.dumps(
        {"title": "VPN-подключение", "shortDescription": "Как связать сети", "weight": 3}),
    "net/router/router.md": (
        "# {heading(Маршрутизатор)[id=router]}\n\n## {heading(Создание роутера)[id=router-create]}"
        "\n\n{cut(Зачем?)}\nЧтобы {ifdef(private)}скрыто{/ifdef}{ifndef(private)}связать{/ifndef}.\n"
        "{/cut}\n"),
    "net/faq/faq.md": "# {heading(Вопросы)[id=faq]}\n\n{cut(Вопрос)}\nОтвет\n{/cut}\n",
    "net/lb/lb.md": "# {heading(Балансировщики)[id=lb]}\n",
    "net/lb/create/create.md": (
        "# {heading(Создание)[id=lb-create]}\n\nСм. {linkto(../../../net/lb#lb)[text=обзор]}, "
        "{linkto(../../../net/router#nope)[text=роутер]} и [вниз](#нет-такого).\n"),
    "net/lb/delete/delete.md": "# Удаление\n\nТекст.\n",
}


def test_vk_dialect_folder(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    report = import_tree(write_tree(tmp_path / "ru", VK_SITE), kb, exclude=["**/faq/faq.md"])

    assert report.articles == ["net/lb/create.md", "net/lb/delete.md", "net/net.md",
                               "net/router.md", "net/vpn.md"]
    assert report.skipped == [("net/lb/lb.md", "empty page (nothing but a title)")]
    assert [str(w) for w in report.warnings] == [
        "net/lb/create/create.md: anchor ../../../net/router#nope: no such heading there, "
        "linked to the page",
        "net/lb/create/create.md: anchor #нет-такого: no such heading on the page, text kept",
    ]
    _, body = read_article(kb / "net/lb/create.md")
    assert body == "См. [обзор](./), [роутер](../router.md) и вниз.\n"  # the section folder
    assert yaml.safe_load((kb / "net/lb/_section.yml").read_text(encoding="utf-8")) == {
        "title": "Балансировщики"}  # the title of the folder's empty page
    front, body = read_article(kb / "net/vpn.md")
    assert front == {"id": "net-vpn", "title": "VPN-подключение", "summary": "Как связать сети",
                     "order": 3}  # no redirect: the URL stays net/vpn/
    assert body == (
        "Из включения A: VK Object Storage.\n\n"
        "## Настройка {#vpn-setup}\n\n"
        "1. Шаг первый.\n\n    !!! warning\n        Осторожно.\n\n"
        "1. [Создание роутера](router.md#router-create)\n\n"
        "См. [роутер](router.md) и [выше](#vpn-setup).\n")
    _, body = read_article(kb / "net/router.md")
    assert body == ('## Создание роутера {#router-create}\n\n??? note "Зачем?"\n'
                    "    Чтобы связать.\n")
    assert yaml.safe_load((kb / "net/_section.yml").read_text(encoding="utf-8")) == {
        "title": "Сети"}

    from kb_helpcenter.generator.build import check

    (tmp_path / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    assert [p.format() for p in check(tmp_path).errors] == []


# --- the transforms, one by one --------------------------------------------------------

Transform = Callable[[str], str]
CASES: list[tuple[Transform, str, str]] = [
    (replace_headings, "# {heading(Title)[id=anchor]}", "# Title {#anchor}"),
    (replace_headings, "## {heading(Вход (SSH))[id=ssh]}", "## Вход (SSH) {#ssh}"),
    (replace_headings, "Текст {heading(Без решётки)[id=x]}", "Текст Без решётки"),
    (replace_vars, "{var(cloud)} и {var(other)}", "VK Cloud и other"),
    (replace_vars, "```\n{var(cloud)}\n```\n", "```\n{var(cloud)}\n```\n"),
    (replace_linkto, "{linkto(../path#anchor)[text=Текст]}", "[Текст](../path#anchor)"),
    (replace_linkto, "{linkto(../a#b)[text=%text]}", "[](../a#b)"),
    (replace_linkto, "{linkto(../a)[Без ключа]}", "[Без ключа](../a)"),
    (resolve_conditionals, "a{ifdef(public)}b{/ifdef}c", "abc"),
    (resolve_conditionals, "a{ifdef(private)}b{/ifdef}c", "ac"),
    (resolve_conditionals, "a{ifndef(public)}b{/ifndef}c", "ac"),
    (resolve_conditionals, "{ifdef(s3,public)}k{/ifdef}", "k"),
    (resolve_conditionals, "x\n{ifdef(public)}\ny\n{/ifdef}\nz\n", "x\ny\nz\n"),
    (resolve_conditionals, "{ifdef(public)}a{ifdef(private)}b{/ifdef}c{/ifdef}", "ac"),
    (replace_counters, "Рис. {counter(pic)[id=p1]}, {counter(pic)}; см. {const(p1)}",
     "Рис. 1, 2; см. 1"),
    (replace_captions, "{caption(Таблица 1 — Цены)[align=right]}\n| a |\n{/caption}\n",
     "*Таблица 1 — Цены*\n\n| a |\n"),
    (strip_comments, "a<!-- {/cut} -->b", "ab"),
    (split_block_tags, "   {note:info}Коротко.{/note}\n", "   {note:info}\n   Коротко.\n   {/note}\n"),
    (convert_blocks, "{note:warn}\nТекст\n{/note}\n", "!!! warning\n    Текст\n\n"),
    (convert_blocks, "{note:err}\nx\n{/note}\n", "!!! danger\n    x\n\n"),
    (convert_blocks, '{cut(Вопрос "с кавычками"?)}\nОтвет\n{/cut}\n',
     "??? note \"Вопрос 'с кавычками'?\"\n    Ответ\n\n"),
    (convert_blocks, "{tabs}\n{tab(Linux (bash))}\nls\n{/tab}\n{tab(Windows)}\ndir\n{/tab}\n{/tabs}\n",
     '=== "Linux (bash)"\n    ls\n\n=== "Windows"\n    dir\n\n'),
    (convert_blocks, "1. Шаг\n\n   {note:info}\n   ```\n   {/note}\n   ```\n   {/note}\n",
     "1. Шаг\n\n   !!! info\n       ```\n       {/note}\n       ```\n\n"),
    (normalize_list_indent, "1. Шаг\n\n   Ещё.\n\n   - вложенный\n     текст\n2. Второй\n",
     "1. Шаг\n\n    Ещё.\n\n    - вложенный\n        текст\n2. Второй\n"),
    (normalize_list_indent, "- a\n  ```sh\n  ls\n    -l\n  ```\n", "- a\n    ```sh\n    ls\n      -l\n    ```\n"),
    (normalize_list_indent, "Текст\n\n    код\n", "Текст\n\n    код\n"),
    (normalize_list_indent, "Шаги:\n1. a\n1. b\n", "Шаги:\n\n1. a\n1. b\n"),
    (normalize_list_indent, "1.\tТаб\n\n    ещё\n", "1. Таб\n\n    ещё\n"),
    (normalize_list_indent, "1. a\n\n     x\n\n  === \"A\"\n", "1. a\n\n    x\n\n=== \"A\"\n"),
]


@pytest.mark.parametrize(("transform", "source", "expected"), CASES,
                         ids=[f"{t.__name__}-{i}" for i, (t, _, _) in enumerate(CASES)])
def test_transform(transform: Transform, source: str, expected: str) -> None:
    assert transform(source) == expected


def test_includes_nest_select_tags_and_warn() -> None:
    files = {
        "_includes/_a.md": "{includetag(x,y)}\nA-x\n{/includetag}\n{includetag(z)}\nA-z\n"
                           "{/includetag}\n{include(_b.md)}\n",
        "_includes/_b.md": "B\n",
        "_includes/_loop.md": "{include(_loop.md)}\n",
    }

    def read(ref: str, origin: str) -> tuple[str, str] | None:
        path = ref.lstrip("/") if ref.startswith("/") else "_includes/" + ref.split("/")[-1]
        return (path, files[path]) if path in files else None

    warnings: list[str] = []
    text = "1. Шаг\n\n   {include(/_includes/_a.md)[tags=y]}\n{include(_gone.md)}\n"
    assert expand_includes(text, read, origin="p.md", warn=warnings.append) == (
        "1. Шаг\n\n   A-x\n\n")
    assert expand_includes("{include(_a.md)}", read, origin="p.md") == "A-x\nA-z\nB"
    assert expand_includes("{include(_loop.md)}", read, origin="p.md",
                           warn=warnings.append) == ""
    assert warnings == ["include _gone.md: file not found, dropped",
                        "include _loop.md: nested deeper than 5 levels, dropped"]


def test_unknown_macros_stay_as_text_with_a_warning() -> None:
    warnings: list[str] = []
    text = "Было {foo(bar)} и {project_id}.\n```\n{baz(q)}\n```\n"
    assert convert(text, origin="p.md", read_include=lambda r, o: None,
                   warn=warnings.append) == text
    assert warnings == ["macro {foo(...)}: unknown, left as text"]


def test_leading_title() -> None:
    assert leading_title("\n# Заголовок {#a}\n\nТекст\n") == ("Заголовок", "a", "Текст\n")
    assert leading_title("Заголовок\n=====\nТекст\n") == ("Заголовок", None, "Текст\n")
    assert leading_title("## Второй уровень\n") == (None, None, "## Второй уровень\n")


def test_rewrite_links_leaves_code_and_external_urls() -> None:
    seen: list[str] = []

    def resolve(link):  # noqa: ANN001, ANN202 - a test double
        seen.append(link.url)
        return ("new.md", None) if link.url == "old.md" else (None, None)

    body = ("[a](old.md) `[b](old.md)` [c](https://x.org) [d](missing.md \"t\")\n"
            "[ref]: old.md\n<img src=\"pic.png\">\n")
    assert rewrite_links(body, resolve) == (
        "[a](new.md) `[b](old.md)` [c](https://x.org) d\n[ref]: new.md\n<img src=\"pic.png\">\n")
    assert seen == ["old.md", "missing.md", "old.md", "pic.png"]


@pytest.mark.parametrize(("path", "excluded"), [
    ("net/faq/faq.md", True), ("faq/faq.md", True), ("net/faq/other.md", False),
    ("_includes/a.md", True), ("a/.git/x.md", True), ("drafts/x.md", True), ("a/drafts.md", False),
])
def test_exclusion(path: str, excluded: bool) -> None:
    assert exclusion(["**/faq/faq.md", "drafts"])(path) is excluded


def test_cli_import(mkdocs_site: Path, tmp_path: Path) -> None:
    from kb_helpcenter.generator.cli import main

    runner = CliRunner()
    args = ["import", str(mkdocs_site), "-C", str(tmp_path / "help"), "--exclude", "old/*"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("imported 9 articles in 5 sections (1 sub-sections)")
    assert "skipped broken/empty.md: empty file\n" in result.stderr

    again = runner.invoke(main, args)
    assert again.exit_code == 1
    assert "already exists" in again.stderr and "nothing was written" in again.stderr


def test_layout_details(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "guide/README.md": "# Руководство\n\nО руководстве. ![](a/logo.png) ![](b/logo.png)\n",
        "guide/a/logo.png": PNG,
        "guide/b/logo.png": PNG + b"other",
        "guide/one/only.markdown": "# Единственная\n\n[Назад](../README.md)\n",
        "guide/two/x.md": "# X\n\nТекст.\n",
        "guide/two/y.md": "# Y\n\nТекст.\n",
    })
    kb = tmp_path / "kb"
    report = import_tree(src, kb)
    # one/ holds one page: it stays in the section; two/ holds two: a sub-section
    assert report.articles == ["guide/guide.md", "guide/one-only.md", "guide/two/x.md",
                               "guide/two/y.md"]
    assert report.assets == ["guide/images/logo-2.png", "guide/images/logo.png"]
    _, body = read_article(kb / "guide/guide.md")
    assert body == "О руководстве. ![](images/logo.png) ![](images/logo-2.png)\n"
    front, body = read_article(kb / "guide/one-only.md")
    assert front["id"] == "guide-one-only"
    assert body == "[Назад](guide.md)\n"
