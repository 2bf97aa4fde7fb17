"""Writers' text is text in every slot of every page: payloads in front matter, section files and
video entries, in headless Chromium, on a static host (no CSP) and under `kb serve` (its CSP).

Every payload calls ``window.__xss(...)`` if it runs; the page defines that function before any
script of its own, and the test fails when it was called. Each slot must also *show* the payload
as the writer typed it (escaped once, not twice).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from kb_helpcenter.generator.build import build

from conftest import article, write_kb

PAYLOADS = [
    '<script>window.__xss("script")</script>',
    '"><img src=x onerror=window.__xss("attr")>',
    "'><svg/onload=window.__xss('svg')>",
    "</title><script>window.__xss('title')</script>",
    '<a href="javascript:window.__xss(\'href\')">x</a> & <b>',
]
TITLE = f"Возврат {PAYLOADS[0]} {PAYLOADS[1]}"
SUMMARY = f"Кратко {PAYLOADS[2]} {PAYLOADS[3]}"
SECTION = f"Раздел {PAYLOADS[1]}"
SECTION_TEXT = f"Описание {PAYLOADS[4]}"
VIDEO = f"Видео {PAYLOADS[0]}"
CHAPTER = f"Глава {PAYLOADS[1]}"


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = write_kb(tmp_path_factory.mktemp("xss") / "p", {
        "kb/returns/_section.yml": f"title: {q(SECTION)}\ndescription: {q(SECTION_TEXT)}\norder: 1\n",
        "kb/returns/refund.md": article(
            "refund", q(TITLE), "Деньги вернутся за 10 дней.\n", summary=q(SUMMARY),
            aliases=f"\n  - {q(PAYLOADS[2])}\n  - вернуть деньги", tags=f"[{q(PAYLOADS[4])}]",
            related="[other]",
            videos=f"\n  - url: https://www.youtube.com/watch?v=2fA-VoLtaQ1\n    title: {q(VIDEO)}\n"
                   f"    chapters:\n      - {{t: \"0:00\", title: {q(CHAPTER)}}}\n"
                   f"      - {{t: \"0:30\", title: {q(PAYLOADS[3])}}}"),
        "kb/returns/other.md": article("other", q(f"Другая {PAYLOADS[3]}"), "Текст.\n", summary=q("Другая статья."),
                                       related="[refund]"),
    })
    build(root)
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def static_host(project) -> Iterator[str]:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(project / "site"))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


PAGES = ["/", "/returns/", "/returns/refund/", "/returns/other/", "/videos/", "/search/?q=возврат",
         "/no-such-page/"]


def visit(browser: Browser, url: str) -> tuple[Page, list[str]]:
    context = browser.new_context()
    context.add_init_script("window.__hits = []; window.__xss = (w) => window.__hits.push(w); "
                            "window.alert = (m) => window.__hits.push('alert ' + m);")
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, page.evaluate("window.__hits")


def check_pages(browser: Browser, base: str) -> None:
    ran = {}
    for path in PAGES:
        page, hits = visit(browser, base + path)
        if path == "/search/?q=возврат":
            page.fill("input[name=q]", "возврат")
            page.wait_for_timeout(700)
            hits = page.evaluate("window.__hits")
        if hits:
            ran[path] = hits
        if path == "/returns/refund/":
            assert page.inner_text("article h1") == TITLE
            assert page.title().startswith(TITLE)
            assert page.get_attribute("meta[name=description]", "content") == SUMMARY
            assert page.inner_text(".kb-summary") == SUMMARY
            assert TITLE in page.inner_text("[data-md-component=header-topic]")
            assert page.inner_text(".kb-crumbs li:nth-child(2)") == SECTION
            assert VIDEO in page.inner_text("article")
            assert CHAPTER in page.inner_text("article")
            assert f"Другая {PAYLOADS[3]}" in page.inner_text(".kb-related")
        if path == "/returns/":
            assert page.inner_text("article h1") == SECTION
            assert SECTION_TEXT in page.inner_text("article")
            assert SECTION in page.inner_text(".md-nav--primary")
        if path == "/":
            assert SECTION in page.inner_text("article") and SECTION_TEXT in page.inner_text("article")
        page.context.close()
    assert ran == {}


def test_no_payload_runs_and_each_shows_as_typed_on_a_static_host(browser, static_host):
    check_pages(browser, static_host)


def test_no_payload_runs_and_each_shows_as_typed_under_kb_serve(browser, project, serve):
    check_pages(browser, serve(project))


def test_the_json_api_and_the_fallback_index_carry_the_text_as_typed(project, serve):
    import httpx

    base = serve(project)
    hit = next(h for h in httpx.get(base + "/api/search", params={"q": "возврат"}).json()["hits"] if h["id"] == "refund")
    assert hit["title"] == TITLE and hit["summary"] == SUMMARY
    fallback = json.loads((project / "site" / "search" / "index.json").read_text(encoding="utf-8"))
    row = dict(zip(fallback["fields"], next(r for r in fallback["articles"] if r[0] == "refund"), strict=False))
    assert row["title"] == TITLE and row["summary"] == SUMMARY  # data; the page renders it as text
    assert SECTION in fallback["sections"]
