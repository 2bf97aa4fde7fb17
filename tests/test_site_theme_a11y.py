"""WCAG 2.1 AA in a real browser: axe-core (axe-playwright-python) on every kind of page of the
sample help center, light and dark, desktop and phone, and on the gap report."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from click.testing import CliRunner

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main

from browser import chromium
from conftest import REPO

AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
      "resultTypes": ["violations"]}
PAGES = ["/", "/payment/", "/payment/terminal-payment-not-arrived/", "/search/?q=" + quote("возврат"),
         "/search/?q=" + quote("щщщзззыыы"), "/no/such/page/", "/ops/", "/videos/"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("a11y") / "sample"
    shutil.copytree(REPO / "kb", root / "kb")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    build(root)
    (root / "tickets.csv").write_text("id;subject\n1;Как оплатить бонусами?\n2;как оплатить бонусами\n"
                                      "3;Где мой заказ?\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["gaps", "-C", str(root), "--questions", str(root / "tickets.csv"),
                                       "--format", "html"])
    assert result.exit_code == 0, result.output
    return root


def violations(page) -> list[str]:
    found = Axe().run(page, options=AA).response["violations"]
    return [f"{v['id']}: {n['target']} {((n.get('any') or n.get('all') or [{}])[0]).get('message', '')[:160]}"
            for v in found for n in v["nodes"]]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_kind_of_page_is_wcag_aa(serve, sample, scheme, width):
    base = serve(sample)
    problems = {}
    with chromium() as browser:
        page = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900}).new_page()
        for path in PAGES:
            page.goto(base + path, wait_until="networkidle")
            if path.startswith("/search/"):
                page.locator(".kb-results__status").filter(has_text="«").wait_for()
            if path == "/payment/terminal-payment-not-arrived/":
                found = violations(page)
                page.locator('button[data-helpful="no"]').click()  # the comment form, open
                page.locator(".kb-feedback__form").wait_for()
                page.wait_for_timeout(600)  # Material's header fades the title in as the page scrolls
                found += violations(page)
            else:
                found = violations(page)
            if found:
                problems[path] = found
        page.goto(base + "/")
        box = page.locator("#kb-q-large")
        box.press_sequentially("деньги не пришли", delay=20)
        page.locator(".kb-hero [role=option]").first.wait_for()
        if found := violations(page):
            problems["/ (search dropdown open)"] = found
        page.goto((sample / "reports" / "gaps.html").as_uri())
        if found := violations(page):
            problems["reports/gaps.html"] = found
    assert problems == {}
