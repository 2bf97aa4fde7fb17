"""The site's search box, results page and "Помогла ли статья?" in headless Chromium.

Against the real built site: `kb serve` in a subprocess (the API, its event store and its
Content-Security-Policy), and a plain static host without any API (the fallback index), mounted
under a sub-path. Screenshots of every state go to the test's tmp dir (``shots/``).
"""

from __future__ import annotations

import http.server
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from kb_helpcenter.generator.build import build

from conftest import article, write_kb

CONTACT = "https://example.com/support"
CONFIG = f"""\
site_name: Справка
site_url: https://help.example/
theme:
  language: ru
extra:
  kb:
    contact_url: {CONTACT}
"""
NOTHING = "ыфвапролдж"  # a word no article has, in no layout


@pytest.fixture
def project(tmp_path) -> Path:
    root = write_kb(tmp_path / "p", {
        "kb/_synonyms.yml": "- [симка, sim-карта, сим-карта]\n",
        "kb/orders/processing.md": article(
            "application-processing", "Почему заявка так долго в обработке",
            "Заявку рассматривает банк-партнёр до 5 рабочих дней.\n\n## Когда звонить {#call}\n\nПосле 5 дней.\n",
            aliases="\n  - заявка висит\n  - долго обрабатывают заявку"),
        "kb/payment/terminal.md": article(
            "terminal-payment", "Оплатили через терминал, а деньги не пришли",
            "Платёж через терминал зачисляется до 24 часов.\n",
            aliases="\n  - заплатил в терминале деньги не пришли\n  - деньги не зачислились"),
        "kb/mobile/sim.md": article(
            "sim-not-detected", "Телефон не видит SIM-карту",
            "Проверьте, правильно ли установлена SIM-карта.\n", aliases="\n  - нет сети\n  - пишет нет сим"),
        "kb/mobile/internet.md": article(
            "mobile-internet", "Не работает мобильный интернет",
            "Проверьте настройки APN.\n", aliases="\n  - нет интернета\n  - не грузит инет"),
    }, config=CONFIG)
    build(root)
    return root


@pytest.fixture
def browser() -> Iterator[Browser]:
    from browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def shots(tmp_path) -> Path:
    path = tmp_path / "shots"
    path.mkdir()
    return path


def open_page(browser: Browser, width: int, height: int = 800, *, api: bool = True) -> tuple[Page, list[str]]:
    """A page in a fresh profile and the console errors it logs (CSP violations are among them).
    Without an API the failed /api/ requests are expected errors and are not collected."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))

    def console(message) -> None:
        if message.type == "error" and (api or "/api/" not in (message.location or {}).get("url", "")):
            problems.append(message.text)

    page.on("console", console)
    return page, problems


def rows(project: Path, table: str, *, at_least: int = 1, timeout: float = 5) -> list[dict]:
    """The rows of an event table, waiting a little for the ones the page sent as it left."""
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(project / ".kb" / "events.sqlite") as db:
            db.row_factory = sqlite3.Row
            found = [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.fixture
def static_host(tmp_path) -> Iterator[callable]:
    """Serve a built site from a plain static server under /help/: no API at all."""
    servers = []

    def start(site: Path) -> str:
        root = tmp_path / "host"
        shutil.copytree(site, root / "help")
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/help"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_type_click_land_and_vote_no_with_a_comment(serve, project, browser, shots):
    base = serve(project)
    page, problems = open_page(browser, 1280)
    page.goto(base + "/")
    box = page.locator("#kb-qs-input")  # the header box, moved into Material's header bar
    assert page.locator(".md-header__inner #kb-qs-input").count() == 1
    box.click()
    box.press_sequentially("pfzdrf dbcbn", delay=40)  # "заявка висит" typed on a QWERTY layout

    options = page.locator(".kb-qs [role=option]")
    expect(options.first).to_be_visible()
    expect(page.locator(".kb-qs .kb-dropdown__corrected")).to_have_text(
        "Показаны результаты для «заявка висит». Искать «pfzdrf dbcbn»")
    expect(options.first.locator(".kb-hit__title")).to_have_text("Почему заявка так долго в обработке")
    assert "заявка" in [m.lower() for m in options.first.locator(".kb-hit__title mark").all_inner_texts()]
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".kb-qs [role=status]")).to_contain_text("Найдено")
    expect(page.locator(".kb-qs .kb-search-note")).to_be_hidden()  # the API answered
    page.screenshot(path=shots / "1-dropdown.png")

    options.first.click()
    page.wait_for_url(base + "/orders/processing/")
    widget = page.locator("[data-kb-feedback]")
    expect(widget.get_by_role("heading")).to_have_text("Помогла ли статья?")
    widget.get_by_role("button", name="Нет").click()
    comment = widget.get_by_label("Что было не так?")
    expect(comment).to_be_focused()
    comment.fill("Не написано, куда звонить")
    widget.scroll_into_view_if_needed()
    page.screenshot(path=shots / "2-vote-no.png")
    widget.get_by_role("button", name="Отправить").click()
    expect(widget.get_by_role("status")).to_have_text("Спасибо! Ваш отзыв поможет сделать статью лучше.")
    expect(widget.get_by_role("button", name="Нет")).to_be_hidden()
    page.screenshot(path=shots / "3-thanks.png")

    session = page.evaluate("localStorage.getItem('kb.session')")
    clicks = rows(project, "clicks")
    assert [(c["article_id"], c["rank"], c["session"]) for c in clicks] == [("application-processing", 1, session)]
    query = {q["id"]: q for q in rows(project, "queries")}[clicks[0]["query_id"]]
    assert (query["text"], query["corrected"], query["source"], query["session"]) == (
        "pfzdrf dbcbn", "заявка висит", "site", session)
    votes = rows(project, "feedback")
    assert [(f["article_id"], f["helpful"], f["comment"], f["session"]) for f in votes] == [
        ("application-processing", 0, "Не написано, куда звонить", session)]
    assert problems == []


def test_phone_opens_the_box_from_the_header_and_works_by_keyboard(serve, project, browser, shots):
    base = serve(project)
    page, problems = open_page(browser, 360, 740)
    page.goto(base + "/payment/terminal/")
    expect(page.locator("#kb-qs-input")).to_be_hidden()
    page.get_by_role("button", name="Открыть поиск").click()
    box = page.locator("#kb-qs-input")
    expect(box).to_be_focused()
    box.press_sequentially("симка", delay=40)  # a synonym: the article says "SIM-карта"
    options = page.locator(".kb-qs [role=option]")
    expect(options.first.locator(".kb-hit__title")).to_have_text("Телефон не видит SIM-карту")
    dropdown = page.locator(".kb-qs .kb-dropdown").bounding_box()
    assert dropdown["x"] >= 0 and dropdown["x"] + dropdown["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    page.screenshot(path=shots / "phone-1-dropdown.png")
    box.press("Escape")
    expect(page.locator(".kb-qs .kb-dropdown")).to_be_hidden()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(base + "/mobile/sim/")
    assert [(c["article_id"], c["rank"]) for c in rows(project, "clicks")] == [("sim-not-detected", 1)]

    widget = page.locator("[data-kb-feedback]")
    widget.get_by_role("button", name="Да").click()
    expect(widget.get_by_role("status")).to_have_text("Спасибо за оценку! Рады, что статья помогла.")
    box_ = widget.bounding_box()
    assert box_["x"] >= 0 and box_["x"] + box_["width"] <= 360
    page.screenshot(path=shots / "phone-2-thanks.png")
    assert [(f["article_id"], f["helpful"], f["comment"]) for f in rows(project, "feedback")] == [
        ("sim-not-detected", 1, None)]
    assert problems == []


def test_zero_results_offer_popular_articles_and_support(serve, project, browser, shots):
    base = serve(project)
    for width in (1280, 360):
        page, problems = open_page(browser, width)
        page.goto(f"{base}/search/?q={quote(NOTHING)}")
        expect(page.locator(".kb-results__status")).to_have_text(f"По запросу «{NOTHING}» ничего не нашлось.")
        support = page.locator(".kb-results__none a.kb-support-link")
        expect(support).to_be_visible()
        assert support.get_attribute("href") == CONTACT
        expect(page.locator(".kb-results__none .kb-list__item").first).to_be_visible()
        page.screenshot(path=shots / f"none-page-{width}.png", full_page=True)
        assert problems == []

    page, problems = open_page(browser, 1280)
    page.goto(base + "/")
    page.locator("#kb-qs-input").press_sequentially(NOTHING, delay=20)
    support = page.locator(".kb-qs .kb-dropdown__empty a.kb-support-link")
    expect(support).to_be_visible()
    assert support.get_attribute("href") == CONTACT
    expect(page.locator(".kb-qs [role=status]")).to_have_text("Ничего не найдено")
    page.screenshot(path=shots / "none-dropdown.png")
    assert problems == []


def test_without_the_api_the_static_index_answers(project, static_host, browser, shots):
    base = static_host(project / "site")
    page, problems = open_page(browser, 1280, api=False)
    page.goto(base + "/")
    hero = page.locator("#kb-q-large")
    hero.press_sequentially("pfzdrf dbcbn", delay=40)
    options = page.locator(".kb-hero [role=option]")
    expect(options.first.locator(".kb-hit__title")).to_have_text("Почему заявка так долго в обработке")
    expect(page.locator(".kb-hero .kb-dropdown__corrected")).to_have_text(
        "Показаны результаты для «заявка висит». Искать «pfzdrf dbcbn»")
    # a static host has no search service by design: no note that reads like an outage
    expect(page.locator(".kb-hero .kb-search-note")).to_be_hidden()
    page.screenshot(path=shots / "fallback-1-dropdown.png")
    options.first.click()
    page.wait_for_url(base + "/orders/processing/")

    page.goto(base + "/")  # the hero form still submits to the results page
    page.locator("#kb-q-large").fill("оплатил через терминал")
    page.locator("#kb-q-large").press("Enter")
    page.wait_for_url(base + "/search/?q=" + quote("оплатил через терминал").replace("%20", "+"))
    titles = page.locator(".kb-results__item .kb-hit__title")
    expect(titles.first).to_have_text("Оплатили через терминал, а деньги не пришли")
    expect(page.locator(".kb-results__note")).to_be_hidden()
    assert page.locator(".kb-results__item .kb-hit__title mark").first.inner_text() == "Оплатили"
    page.screenshot(path=shots / "fallback-2-results.png", full_page=True)

    page.goto(f"{base}/search/?q={quote('симка')}")  # one-word synonyms work in the browser too
    expect(titles.first).to_have_text("Телефон не видит SIM-карту")
    page.goto(f"{base}/search/?q={quote(NOTHING)}")
    expect(page.locator(".kb-results__none a.kb-support-link")).to_be_visible()
    assert problems == []


def test_a_slow_api_is_not_waited_for(serve, project, browser, shots):
    base = serve(project)
    page, problems = open_page(browser, 1280, api=False)

    def slow(route) -> None:
        time.sleep(2.5)  # over the page's 1.5 s budget
        try:
            route.continue_()
        except Exception:  # the page gave up on it already  # noqa: BLE001
            pass

    page.route("**/api/search?*", slow)
    page.goto(base + "/")
    page.locator("#kb-qs-input").press_sequentially("деньги не пришли", delay=20)
    expect(page.locator(".kb-qs [role=option]").first.locator(".kb-hit__title")).to_have_text(
        "Оплатили через терминал, а деньги не пришли")
    expect(page.locator(".kb-qs .kb-search-note")).to_be_visible()
    page.screenshot(path=shots / "slow-api.png")
    assert [p for p in problems if "api/search" not in p] == []


def test_no_page_loads_material_search_or_inline_scripts(project):
    html = (project / "site" / "orders" / "processing" / "index.html").read_text(encoding="utf-8")
    assert 'data-md-component="search"' not in html and "search_index.json" not in html
    for src in ("search-core.js", "search-fallback.js", "search-ui.js", "feedback.js"):
        assert f'src="../../assets/kb/{src}"' in html
    results = (project / "site" / "search" / "index.html").read_text(encoding="utf-8")
    assert 'data-kb-search="page"' in results and 'name="robots" content="noindex"' in results
    not_found = (project / "site" / "404.html").read_text(encoding="utf-8")
    assert 'action="/search/"' in not_found


def test_results_mark_what_was_typed_never_negation_or_unasked_synonyms(serve, project, browser):
    base = serve(project)
    page, problems = open_page(browser, 1280)
    page.goto(base + "/search/?q=" + "деньги не пришли")
    first = page.locator(".kb-results__item").first
    expect(first.locator(".kb-hit__title")).to_have_text("Оплатили через терминал, а деньги не пришли")
    marked = [m.lower() for m in page.locator(".kb-results__item mark").all_inner_texts()]
    assert "деньги" in marked and "пришли" in marked
    assert "не" not in marked  # found, never marked
    page.goto(base + "/search/?q=симка")
    expect(page.locator(".kb-results__item").first.locator(".kb-hit__title")).to_have_text("Телефон не видит SIM-карту")
    snippet_marks = page.locator(".kb-results__item .kb-hit__text mark").all_inner_texts()
    assert snippet_marks == []  # "SIM-карта" matched as a synonym of what was typed: not marked
    assert problems == []


def test_a_long_list_shows_eight_then_more_and_ends_with_the_next_step(serve, tmp_path, browser):
    files = {f"kb/payment/p{i}.md": article(f"pay-{i}", f"Оплата способом номер {i}", "Про оплату.\n")
             for i in range(12)}
    files["kb/credit/installments.md"] = article("installments", "Рассрочка без переплаты", "Банк-партнёр.\n")
    root = write_kb(tmp_path / "many", files, config=CONFIG)
    build(root)
    base = serve(root)
    page, problems = open_page(browser, 390)
    page.goto(base + "/search/?q=оплата")
    items = page.locator(".kb-results__item")
    expect(items).to_have_count(12)
    expect(page.locator(".kb-results__item:visible")).to_have_count(8)
    more = page.locator(".kb-results__more")
    expect(more).to_have_text("Показать ещё 4")
    contact = page.locator(".kb-results__next .kb-contact")
    expect(contact).to_be_visible()
    expect(contact.locator("a")).to_have_attribute("href", CONTACT)
    more.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".kb-results__item:visible")).to_have_count(12)
    expect(more).to_be_hidden()
    expect(items.nth(8).locator("a")).to_be_focused()  # the keyboard goes on at the first new one
    last = items.nth(11).bounding_box()
    assert contact.bounding_box()["y"] > last["y"]  # after the results, not only when there are none
    page.goto(base + "/search/?q=терминал")  # a short list: no "more", still the next step
    expect(page.locator(".kb-results__status")).to_contain_text("ничего не нашлось")
    expect(contact).to_be_hidden()  # nothing found: the empty state's own contact block shows
    expect(page.locator(".kb-results__none .kb-contact")).to_be_visible()
    page.goto(base + "/search/?q=рассрочка")
    expect(page.locator(".kb-results__item").first).to_be_visible()
    expect(more).to_be_hidden()
    expect(contact).to_be_visible()
    assert problems == []


def test_after_a_layout_correction_the_typed_words_are_one_click_away(serve, project, browser):
    base = serve(project)
    page, problems = open_page(browser, 1280)
    page.goto(base + "/search/?q=pfzdrf dbcbn")
    corrected = page.locator(".kb-results__corrected")
    expect(corrected).to_have_text("Показаны результаты по запросу «заявка висит». Искать «pfzdrf dbcbn»")
    expect(page.locator(".kb-results__item").first.locator(".kb-hit__title")).to_have_text(
        "Почему заявка так долго в обработке")
    status = page.locator(".kb-results__status")
    expect(status).not_to_contain_text("имели в виду")
    corrected.locator("a").click()
    expect(status).to_have_text("По запросу «pfzdrf dbcbn» ничего не нашлось.")  # as typed: nothing
    expect(corrected).to_be_hidden()
    assert "exact=1" in page.url
    page.reload()  # the address keeps "as typed"
    expect(status).to_have_text("По запросу «pfzdrf dbcbn» ничего не нашлось.")
    exact = httpx.get(base + "/api/search", params={"q": "pfzdrf dbcbn", "exact": "1"}).json()
    assert exact["corrected"] is None and exact["hits"] == []
    assert httpx.get(base + "/api/search", params={"q": "x", "exact": "2"}).status_code == 400
    assert problems == []


def test_search_works_without_javascript_under_kb_serve(serve, project, browser):
    base = serve(project)
    context = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/orders/processing/")
    plain = page.locator("form.kb-qs-plain")  # the header box, as a plain form
    expect(plain).to_be_visible()
    plain.locator("input").fill("деньги не пришли")
    plain.locator("button").click()
    page.wait_for_url("**/search/?q=*")
    expect(page.locator(".kb-results__status")).to_have_text("Найдено 3 статьи по запросу «деньги не пришли»")
    first = page.locator(".kb-results__item").first
    expect(first.locator(".kb-hit__title")).to_have_text("Оплатили через терминал, а деньги не пришли")
    assert "не" not in [m.lower() for m in first.locator(".kb-hit__text mark").all_inner_texts()]
    expect(page.locator("#kb-q-small")).to_have_value("деньги не пришли")
    expect(page.locator(".kb-results__next .kb-contact")).to_be_visible()
    expect(page.locator(".kb-results__noscript")).to_have_count(0)  # results are here: no "turn on JS"
    first.locator("a").click()
    page.wait_for_url(base + "/payment/terminal/")

    page.goto(base + "/search/?q=" + quote("pfzdrf dbcbn"))  # corrected, with the typed words a link away
    expect(page.locator(".kb-results__corrected")).to_have_text(
        "Показаны результаты по запросу «заявка висит». Искать «pfzdrf dbcbn»")
    page.locator(".kb-results__corrected a").click()
    expect(page.locator(".kb-results__status")).to_have_text("По запросу «pfzdrf dbcbn» ничего не нашлось.")
    expect(page.locator(".kb-results__none .kb-support-link")).to_be_visible()

    payload = '"><img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
    page.goto(base + "/search/?q=" + quote(payload))
    expect(page.locator("#kb-q-small")).to_have_value(payload)
    expect(page.locator(".kb-results__status")).to_contain_text(payload)
    assert page.locator(".kb-results img, .kb-results script").count() == 0
    assert rows(project, "queries", at_least=3)  # searched without JavaScript: recorded like any other


def test_without_javascript_on_a_static_host_the_search_page_says_what_to_do(project, static_host, browser):
    base = static_host(project / "site")
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(base + "/search/?q=" + quote("деньги"))
    expect(page.locator(".kb-results__noscript-text")).to_be_visible()
    expect(page.locator(".kb-results__noscript-text a")).to_have_attribute("href", "..")
    expect(page.locator("form.kb-qs-plain")).to_be_visible()
