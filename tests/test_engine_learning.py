"""Russian search beyond the words written: the other script, loanwords, what operators and
customers teach it, and ``kb search --explain``. Real projects built in tmp_path, the real CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main
from kb_helpcenter.search.events.learned import learned_aliases
from kb_helpcenter.search.events.store import EventStore

from conftest import MKDOCS_YML, article, write_kb

FILES = {
    "kb/storage/bucket.md": article(
        "bucket-create", "Как создать bucket в хранилище",
        "Откройте раздел хранилища и нажмите «Создать bucket». Для bucket задайте класс хранения.\n"),
    "kb/storage/limits.md": article(
        "storage-limits", "Ограничения хранилища", "Объект хранилища весит не больше 5 ТБ.\n"),
    "kb/account/backup.md": article(
        "account-backup", "Как сохранить копию данных", "Выгрузите данные в архив: раздел «Backup» в настройках.\n"),
    "kb/account/password.md": article(
        "reset-password", "Как восстановить пароль", "Нажмите «Забыли пароль?» на странице входа.\n"),
    "kb/account/delete.md": article(
        "delete-account", "Как удалить учётную запись", "Напишите в поддержку с почты, указанной при регистрации.\n"),
}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def ids(project, query: str, *extra: str) -> list[str]:
    result = run("search", query, "--json", "-C", str(project), *extra)
    assert result.exit_code == 0, result.output
    return [h["id"] for h in json.loads(result.stdout)["hits"]]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = write_kb(tmp_path_factory.mktemp("learning") / "p", FILES)
    build(root)
    return root


def test_a_russian_loanword_finds_the_page_that_writes_it_in_latin_letters(project):
    # no article says "бакет": the sound-alike "bucket" of the knowledge base's own words does
    assert ids(project, "как создать бакет")[0] == "bucket-create"
    assert ids(project, "бакеты")[0] == "bucket-create"  # inflected: matched by its lemma
    explained = json.loads(run("search", "бакет", "--explain", "--json", "-C", str(project)).stdout)
    assert {"terms": ["bucket"], "weight": 0.8} in explained["slots"][0]


def test_a_native_russian_word_is_not_taken_for_an_english_one(project):
    # "делать" sounds like "delete", "план" like "plane": dictionary words take no partners
    explained = json.loads(run("search", "что делать", "--explain", "--json", "-C", str(project)).stdout)
    assert all(len(slot) == 1 for slot in explained["slots"])


def test_kbs_general_loanword_list_joins_words_that_do_not_sound_alike(project):
    assert ids(project, "бэкап данных")[0] == "account-backup"  # "бэкап" / "backup": kb's general list


def test_a_project_adds_loanwords_and_can_turn_kbs_list_off(tmp_path):
    root = write_kb(tmp_path / "p", {**FILES, "kb/_loanwords.yml": "defaults: false\ngroups:\n  - [аккаунт, учётная запись]\n"})
    build(root)
    assert ids(root, "удалить аккаунт")[0] == "delete-account"
    assert "account-backup" not in ids(root, "бэкап")  # kb's list is off here
    manifest = json.loads((root / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["loanwords"] == [["аккаунт", "учётная запись"]]


def test_a_broken_loanword_file_is_a_located_error(tmp_path):
    root = write_kb(tmp_path / "p", {**FILES, "kb/_loanwords.yml": "defaults: maybe\ngroups:\n  - [бэкап]\n"})
    result = run("check", "-C", str(root))
    assert result.exit_code == 1
    assert "kb/_loanwords.yml:1: defaults: must be true or false" in result.stderr
    assert "kb/_loanwords.yml:3: each group must be a list of at least two words" in result.stderr


def test_explain_shows_every_stage_and_what_the_cut_leaves_out(project):
    result = run("search", "восстановить забытый пароль на странице входа в хранилище", "--explain", "-n", "5",
                 "-C", str(project))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("rank"))
    assert header.split()[:7] == ["rank", "first", "bm25", "question", "heading", "meaning", "score"]
    rows = lines[lines.index(header) + 1:]
    assert "reset-password" in rows[0]
    assert any("(cut: below the relative-score floor)" in row for row in rows)  # shown by --explain only
    shown = ids(project, "восстановить забытый пароль на странице входа в хранилище", "-n", "5")
    assert len(shown) < len(rows)


def test_an_operators_sent_link_teaches_search_and_a_writer_can_reject_it(tmp_path):
    root = write_kb(tmp_path / "p", FILES)
    build(root)
    question = "не пускает в личный кабинет"
    assert "reset-password" not in ids(root, question)[:1]
    result = run("link", question, "--sent", "reset-password", "-C", str(root))
    assert result.exit_code == 0, result.output
    build(root)
    assert ids(root, question)[0] == "reset-password"
    assert ids(root, "меня не пускает в кабинет")[0] == "reset-password"  # a near question too
    listed = json.loads(run("learn", "--format", "json", "-C", str(root)).stdout)
    assert [(a["article_id"], a["question"], a["operators"]) for a in listed["learned"]] == [
        ("reset-password", question, 1)]
    assert run("learn", "--reject", "reset-password", question, "-C", str(root)).exit_code == 0
    assert "reset-password" in (root / "kb" / "_learned.yml").read_text(encoding="utf-8")
    build(root)
    assert "reset-password" not in ids(root, question)[:1]
    assert json.loads(run("learn", "--format", "json", "-C", str(root)).stdout)["learned"] == []


def test_learning_can_be_turned_off(tmp_path):
    config = MKDOCS_YML.replace("  kb:\n", "  kb:\n    learn: false\n", 1)
    root = write_kb(tmp_path / "p", FILES, config=config)
    build(root)
    run("link", "не пускает в личный кабинет", "--sent", "reset-password", "-C", str(root))
    build(root)
    assert "reset-password" not in ids(root, "не пускает в личный кабинет")[:1]
    assert "learning is off" in run("learn", "-C", str(root)).stderr


def test_kb_link_sent_refuses_an_unknown_article(project):
    result = run("link", "вопрос", "--sent", "no-such-article", "-C", str(project))
    assert result.exit_code == 2
    assert "no published article has the id 'no-such-article'" in result.stderr


def test_customers_teach_only_together_and_a_no_vote_counts_against(tmp_path):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    with EventStore(tmp_path / "events.sqlite") as store:
        def customer(session: str, text: str, article_id: str, helpful: bool, *, late: bool = False) -> None:
            query = store.record_query(text, hits=3, session=session, at=now)
            store.record_click(query, article_id, 2, at=now + timedelta(seconds=5))
            vote_at = now + timedelta(hours=2 if late else 0, seconds=60)
            store.record_feedback(article_id, helpful, session=session, at=vote_at)

        customer("visitorAAAA1", "деньги не пришли, звоните +7 999 123-45-67", "refund", True)
        customer("visitorAAAA1", "деньги не пришли, звоните +7 999 123-45-67", "refund", True)  # same visitor
        customer("visitorBBBB2", "где мой заказ", "tracking", True)
        customer("visitorCCCC3", "где мой заказ", "tracking", True)
        customer("visitorDDDD4", "где мой заказ", "tracking", False)
        customer("visitorEEEE5", "где мой заказ", "tracking", True)
        customer("visitorFFFF6", "сменить тариф", "tariffs", True, late=True)  # voted hours later
        customer("visitorGGGG7", "сменить тариф", "tariffs", True, late=True)
        learned = learned_aliases(store, now=now + timedelta(days=1))
    assert [(a.article_id, a.question, a.customers, a.against) for a in learned] == [("tracking", "где мой заказ", 3, 1)]
    assert learned[0].weight == 1.0
    # one visitor alone cannot teach search, and a vote long after the click is no evidence


def test_learned_questions_are_masked(tmp_path):
    with EventStore(tmp_path / "events.sqlite") as store:
        query = store.record_query("не приходит код на ivan@example.com", hits=1, source="ops")
        store.record_click(query, "sms-code", 1)
        learned = learned_aliases(store)
    assert [a.question for a in learned] == ["не приходит код на [email]"]


def test_a_broken_rejections_file_is_a_located_error_for_check_and_build(tmp_path):
    root = write_kb(tmp_path / "p", {**FILES, "kb/_learned.yml": "rejected:\n  - {article: reset-password}\n"})
    result = run("check", "-C", str(root))
    assert result.exit_code == 1
    assert "kb/_learned.yml:2: rejected: each entry needs an article id and a question" in result.stderr
    assert run("build", "-C", str(root)).exit_code == 1


def test_snippets_read_as_sentences(tmp_path):
    body = ("Товар с недостатком\n\nКогда обнаружен недостаток, напишите нам о [возврате](../storage/bucket.md) .\n\n"
            "## Что можно сделать\n\nВернуть деньги или заменить товар.\n")
    root = write_kb(tmp_path / "p", {
        "kb/returns/defect.md": article("defect", "Брак", body),
        "kb/storage/bucket.md": FILES["kb/storage/bucket.md"],
        "kb/_synonyms.yml": "- [возврат, вернуть деньги]\n",
    })
    build(root)
    result = run("search", "возврат", "--json", "-C", str(root))
    snippet = json.loads(result.stdout)["hits"][0]["snippet"]
    assert "Товар с недостатком. Когда" in snippet  # a heading line ends before the next sentence
    assert "<mark>возврате</mark>." in snippet  # no space before the full stop
    assert "<mark>деньги</mark>" not in snippet and "<mark>Вернуть</mark>" not in snippet  # a synonym, not typed
