"""Material's leftovers, fixed for every kind of page: titles that say what the page is, and a
skip link that lands on the title. Driven in headless Chromium against `kb serve`."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kb_helpcenter.generator.build import build

from browser import chromium

SITE = "Тестовая справка"
PAGES = {  # path -> the <title> it must have
    "/": SITE,
    "/payment/": f"Payment - {SITE}",
    "/payment/terminal/": f"Оплатили через терминал, а деньги не пришли - {SITE}",
    "/search/?q=деньги": f"«деньги» — Поиск - {SITE}",  # the page names the query once it answers
    "/no/such/page/": f"Страница не найдена - {SITE}",
    "/ops/": None,  # its own title; the skip link is what is checked
}
AUTOFOCUS = {"/ops/"}  # operators type at once: the look-up box has the focus, not the skip link


@pytest.fixture
def base(serve, small_kb):
    build(small_kb)
    return serve(small_kb)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_has_a_skip_link_to_its_title_and_a_title_that_says_what_it_is(base, width):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 800})
        for path, title in PAGES.items():
            page.goto(base + path)
            if title is not None:
                assert page.title() == title, path
            skip = page.locator(".md-skip")
            if path in AUTOFOCUS:
                expect(page.locator("#kb-ops-q")).to_be_focused()
                skip.focus()
            else:
                page.keyboard.press("Tab")  # the first Tab of a keyboard user
            expect(skip).to_be_focused()
            expect(skip).to_be_visible()  # shown when focused
            expect(skip).to_have_text("Перейти к содержанию")
            heading = page.locator("h1").first
            target = heading.get_attribute("id")
            assert target and skip.get_attribute("href") == f"#{target}", path
            page.keyboard.press("Enter")
            page.wait_for_function("id => location.hash === '#' + id", arg=target)
            top = heading.evaluate("h => h.getBoundingClientRect().top")
            assert 0 <= top < 200, (path, top)  # the title is at the top of the view, under the header


def test_the_title_and_the_direct_answer_are_the_strongest_things_on_an_article(base):
    with chromium() as browser:
        for scheme in ("light", "dark"):
            page = browser.new_context(color_scheme=scheme).new_page()
            page.goto(base + "/payment/terminal/")
            style = "e => { const s = getComputedStyle(e); return [s.fontWeight, s.color, parseFloat(s.fontSize)]; }"
            h1_weight, h1_color, h1_size = page.locator("h1").first.evaluate(style)
            _, summary_color, summary_size = page.locator(".kb-summary").evaluate(style)
            _, text_color, text_size = page.locator(".md-content p:not(.kb-summary)").first.evaluate(style)
            assert int(h1_weight) >= 700 and h1_color == text_color, scheme  # not Material's light grey 300
            assert summary_color == text_color and summary_size > text_size, scheme
            assert h1_size > summary_size
