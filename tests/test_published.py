"""Links survive change: renamed, moved and deleted articles keep their old URLs working."""

from __future__ import annotations

import httpx
import pytest
import yaml

from kb_helpcenter.generator.build import build, check
from kb_helpcenter.generator.model import ContentError

from conftest import article, write_kb
from htmlcheck import parse


def stub_target(site, path: str) -> str:
    return parse(site / path / "index.html").meta["kb-redirect"]


@pytest.fixture
def project(tmp_path):
    root = write_kb(tmp_path / "p", {
        "kb/payment/terminal.md": article("terminal", "Оплата через терминал", "## Что проверить {#check}\n\nЧек.\n"),
        "kb/payment/cards.md": article("cards", "Оплата картой"),
    })
    build(root)
    return root


def published(project) -> dict:
    return yaml.safe_load((project / "kb" / "_published.yml").read_text(encoding="utf-8"))["articles"]


def test_build_records_urls_and_anchors(project):
    record = published(project)
    assert record["terminal"] == {"title": "Оплата через терминал", "urls": ["payment/terminal/"], "anchors": ["check"]}
    assert record["cards"]["urls"] == ["payment/cards/"]


def test_rename_and_move_keep_old_urls(project):
    (project / "kb/payment/terminal.md").rename(project / "kb/payment/terminal-payment.md")
    build(project)
    site = project / "site"
    assert stub_target(site, "payment/terminal") == "../terminal-payment/"
    write_kb(project, {"kb/money/_section.yml": "title: Деньги\n"}, config=None)
    (project / "kb/payment/terminal-payment.md").rename(project / "kb/money/terminal-payment.md")
    build(project)
    assert published(project)["terminal"]["urls"] == ["payment/terminal/", "payment/terminal-payment/",
                                                      "money/terminal-payment/"]
    assert stub_target(site, "payment/terminal") == "../../money/terminal-payment/"
    assert stub_target(site, "payment/terminal-payment") == "../../money/terminal-payment/"
    assert stub_target(site, "a/terminal") == "../../money/terminal-payment/"
    assert parse(site / "money" / "terminal-payment" / "index.html").h1 == ["Оплата через терминал"]


def test_old_urls_work_through_the_service(serve, project):
    (project / "kb/payment/terminal.md").rename(project / "kb/payment/terminal-payment.md")
    build(project)
    base = serve(project)
    old = httpx.get(base + "/payment/terminal/")
    assert old.status_code == 200 and 'name="kb-redirect" content="../terminal-payment/"' in old.text
    short = httpx.get(base + "/a/terminal", follow_redirects=False)
    assert short.headers["location"] == "/payment/terminal-payment/"


def test_deleting_a_published_article_needs_a_destination(project):
    (project / "kb/payment/terminal.md").unlink()
    result = check(project)
    assert [p.format() for p in result.errors] == [
        "kb/_published.yml:11: terminal: the published article 'terminal' (payment/terminal/) was deleted: its links would break\n"
        "    hint: restore it, or under `terminal:` in kb/_published.yml add `redirect_to: <id>` or `tombstone: <text for readers>`"
    ]
    with pytest.raises(ContentError):
        build(project)
    text = (project / "kb/_published.yml").read_text(encoding="utf-8")
    (project / "kb/_published.yml").write_text(text.replace("  terminal:\n", "  terminal:\n    redirect_to: cards\n"),
                                               encoding="utf-8")
    build(project)
    site = project / "site"
    assert stub_target(site, "payment/terminal") == "../cards/"
    assert stub_target(site, "a/terminal") == "../../payment/cards/"
    assert published(project)["terminal"]["redirect_to"] == "cards"  # the writer's choice is kept


def test_redirect_to_must_name_a_live_article(project):
    (project / "kb/payment/terminal.md").unlink()
    text = (project / "kb/_published.yml").read_text(encoding="utf-8")
    (project / "kb/_published.yml").write_text(text.replace("  terminal:\n", "  terminal:\n    redirect_to: nope\n"),
                                               encoding="utf-8")
    assert [p.message for p in check(project).errors] == ["no published article has id 'nope'"]


def test_archiving_a_published_article_needs_a_destination_too(project):
    write_kb(project, {"kb/payment/terminal.md": article("terminal", "Оплата через терминал", status="archived")},
             config=None)
    assert "is archived: its links would break" in check(project).errors[0].message


def test_a_vanished_anchor_is_a_warning_with_a_hint(project):
    write_kb(project, {"kb/payment/terminal.md": article("terminal", "Оплата через терминал", "## Проверка чека\n\nЧек.\n")},
             config=None)
    warnings = [p for p in check(project).warnings if p.field == "anchor"]
    assert [(p.location.path, p.message, p.hint) for p in warnings] == [(
        "kb/payment/terminal.md", "the published anchor #check is gone: links to it now land at the top of the page",
        "pin it on the heading that took its place: `## Heading {#check}`")]


def test_previews_do_not_record_urls(project):
    (project / "kb/payment/cards.md").rename(project / "kb/payment/card-payment.md")
    build(project, drafts=True)
    assert published(project)["cards"]["urls"] == ["payment/cards/"]


def test_tombstone_pages_replace_a_deleted_article(project):
    (project / "kb/payment/terminal.md").unlink()
    text = (project / "kb/_published.yml").read_text(encoding="utf-8")
    (project / "kb/_published.yml").write_text(
        text.replace("  terminal:\n", "  terminal:\n    tombstone: Оплата через терминалы прекращена с 1 декабря.\n"),
        encoding="utf-8")
    build(project)
    for path in ("payment/terminal", "a/terminal"):
        page = parse(project / "site" / path / "index.html")
        assert page.h1 == ["Оплата через терминал"]
        assert "Оплата через терминалы прекращена с 1 декабря." in page.classes["kb-tombstone"][0]
        assert page.meta["robots"] == "noindex"
