"""The operators' page and copyable links, driven in headless Chromium against `kb serve`."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
from playwright.sync_api import expect

from kb_helpcenter.generator.build import build

from browser import chromium
from conftest import KB, article, write_kb


def make_project(tmp_path):
    root = write_kb(tmp_path / "p", {
        "kb/payment/terminal.md": article(
            "terminal-payment", "Оплатили через терминал, а деньги не пришли",
            "Платёж зачисляется до 24 часов.\n\n## Номер терминала {#terminal-id}\n\nНа чеке.\n",
            aliases="\n  - заплатил в терминале деньги не пришли\n  - деньги не зачислились"),
        "kb/payment/refund.md": article("refund", "Когда вернутся деньги за возврат",
                                        "До 10 дней.\n", aliases="\n  - вернуть деньги\n  - возврат денег"),
    })
    build(root)
    return root


def test_ops_page_type_arrow_enter_copies_the_link(serve, tmp_path):
    project = make_project(tmp_path)
    base = serve(project)
    page_html = httpx.get(base + "/ops/").text
    assert '<meta name="robots" content="noindex, nofollow">' in page_html
    assert "ops/" not in (project / "site" / "sitemap.xml").read_text(encoding="utf-8")
    httpx.post(base + "/api/feedback", json={"article_id": "refund", "helpful": True})
    order = [h["id"] for h in httpx.get(base + "/api/link", params={"q": "деньги", "limit": 8}).json()["hits"]]
    titles = {"terminal-payment": "Оплатили через терминал, а деньги не пришли", "refund": "Когда вернутся деньги за возврат"}
    first, second = (titles[i] for i in order)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1024, "height": 800})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        page.goto(base + "/ops/")
        expect(page.locator("#kb-ops-q")).to_be_focused()
        page.keyboard.type("деньги")
        expect(page.locator(".kb-ops__item")).to_have_count(2, timeout=10_000)
        expect(page.locator(".kb-ops__item--active .kb-ops__title")).to_have_text(first)
        page.screenshot(path=str(tmp_path / "ops-results.png"))
        page.keyboard.press("ArrowDown")
        expect(page.locator(".kb-ops__item--active .kb-ops__title")).to_have_text(second)
        page.keyboard.press("ArrowDown")  # stays on the last one
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowDown")
        refund = page.locator(".kb-ops__item", has_text="Когда вернутся деньги за возврат")
        expect(refund.locator(".kb-ops__meta")).to_have_text("обновлено 01.11.2026 · помогла 1 из 1")
        page.keyboard.press("Enter")
        expect(page.locator(".kb-ops__status")).to_have_text(f"Скопировано: {second}")
        short = {titles["refund"]: "https://help.example/a/refund/?ref=op",
                 titles["terminal-payment"]: "https://help.example/a/terminal-payment/?ref=op"}
        assert page.evaluate("navigator.clipboard.readText()") == f"{second} — {short[second]}"
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Shift+Enter")
        expect(page.locator(".kb-ops__status")).to_have_text(f"Скопировано: {first}")
        summary = f"Кратко о том, {first.lower()}."
        assert page.evaluate("navigator.clipboard.readText()") == f"{summary}\n{short[first]}"


def test_article_short_link_and_heading_links_copy(serve, tmp_path):
    project = make_project(tmp_path)
    base = serve(project)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        page.goto(base + "/payment/terminal/")
        page.locator(".kb-copy").click()
        expect(page.locator(".kb-copy-status")).to_have_text("Ссылка скопирована")
        assert page.evaluate("navigator.clipboard.readText()") == base + "/a/terminal-payment/"
        page.locator("#terminal-id .headerlink").click()
        assert page.evaluate("navigator.clipboard.readText()") == base + "/payment/terminal/#terminal-id"
        page.screenshot(path=str(tmp_path / "copied.png"))


def test_a_link_copied_on_the_ops_page_teaches_search(serve, tmp_path):
    project = make_project(tmp_path)
    base = serve(project)
    question = "клиент говорит что платёж не прошёл"
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1024, "height": 800})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        page.goto(base + "/ops/")
        page.keyboard.type(question)
        expect(page.locator(".kb-ops__item").first).to_be_visible(timeout=10_000)
        target = page.locator(".kb-ops__item", has_text="Оплатили через терминал")
        target.dispatch_event("mousedown")
        expect(page.locator(".kb-ops__status")).to_have_text("Скопировано: Оплатили через терминал, а деньги не пришли")
    # the look-up is a search of source "ops", the copied link its click: kb learn sees the pair
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        learned = json.loads(subprocess.run([KB, "learn", "--format", "json", "-C", str(project)],
                                            capture_output=True, text=True, check=True).stdout)["learned"]
        if learned:
            break
        time.sleep(0.2)
    assert [(a["article_id"], a["question"], a["operators"]) for a in learned] == [
        ("terminal-payment", question, 1)]
