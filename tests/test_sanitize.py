"""The raw-HTML policy: what a body's HTML keeps and loses, in kb check, the built site (in
headless Chromium), kb import and gap drafts."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.cli import main
from kb_helpcenter.generator.sanitize import sanitize_markdown

from conftest import MKDOCS_YML, article, write_kb


@pytest.mark.parametrize(("raw", "clean"), [
    ("a <script>alert(1)</script> b", "a  b"),
    ("<script>\nalert(1)\n</script>\nТекст", "\nТекст"),
    ("<SCRIPT src=//evil.example/x.js></SCRIPT>", ""),
    ('<img src="x.png" alt="Экран" onerror="alert(1)">', '<img src="x.png" alt="Экран">'),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "<a>x</a>"),
    ('<a href="https://example.com" target="_blank">x</a>', '<a href="https://example.com" target="_blank">x</a>'),
    ("[ссылка](javascript:alert(1))", "[ссылка](#)"),
    ("[ссылка](<javascript:alert(1)>)", "[ссылка](<#>)"),
    ("[id]: javascript:alert(1)", "[id]: #"),
    ("[ссылка](../other/page.md#anchor)", "[ссылка](../other/page.md#anchor)"),
    ('<iframe src="https://evil.example"></iframe>после', "после"),
    ('<form action="https://evil.example"><input type="password" name="p"></form>', ""),
    ('<object data="x.swf"></object><embed src="x.swf">', ""),
    ('<div class="note" onmouseover="x()">Блок</div>', '<div class="note">Блок</div>'),
    ("<details open><summary>Ещё</summary>текст</details>", "<details open><summary>Ещё</summary>текст</details>"),
    ("```html\n<script>alert(1)</script>\n```\n", "```html\n<script>alert(1)</script>\n```\n"),
    ("Пример: `<img onerror=x>` в коде", "Пример: `<img onerror=x>` в коде"),
    ("не экран: \\<script>", "не экран: \\"),  # Python-Markdown does not take "\\<" as an escape
    ("| a | b |\n|---|---|\n| <b>1</b> | 2 |", "| a | b |\n|---|---|\n| <b>1</b> | 2 |"),
    ("if a < b and c > d", "if a < b and c > d"),
    ("<https://example.com> и <user@example.com>", "<https://example.com> и <user@example.com>"),
])
def test_sanitize_markdown(raw, clean):
    assert sanitize_markdown(raw) == clean
    assert sanitize_markdown(clean) == clean


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(20)
HOSTILE_BODY = """\
Первая строка.

<script>window.__xss("script")</script>

<img src="x.png" onerror="window.__xss('img')">

<a href="javascript:window.__xss('href')">нажмите</a>

[ещё ссылка](javascript:window.__xss('md'))

<iframe srcdoc="<script>parent.__xss('frame')</script>"></iframe>

<form action="https://evil.example"><input type="password" name="p"><button>Войти</button></form>

<details><summary>Подробнее</summary>Скрытый текст.</details>
"""


def check(project: Path, *args: str) -> tuple[int, list[str]]:
    done = CliRunner().invoke(main, ["check", "-C", str(project), *args])
    return done.exit_code, done.stderr.splitlines()


def test_each_removal_is_a_located_warning(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Статья", HOSTILE_BODY), "kb/s/x.png": PNG})
    code, lines = check(project)
    assert code == 0  # warnings: the site builds without those parts
    body = [line for line in lines if ": body: " in line]
    assert body == [
        "kb/s/a.md:13: body: warning: raw HTML: <script> is removed with its content",
        "kb/s/a.md:15: body: warning: raw HTML: <img>: attribute onerror removed",
        "kb/s/a.md:17: body: warning: raw HTML: <a href=\"javascript:window.__xss('href')\">: the link is removed "
        "(only http, https, mailto, tel and relative links are allowed)",
        "kb/s/a.md:19: body: warning: raw HTML: link to javascript:window.__xss('md') is removed (only http, https, "
        "mailto, tel and relative links are allowed)",
        "kb/s/a.md:21: body: warning: raw HTML: <iframe> is removed with its content",
        "kb/s/a.md:23: body: warning: raw HTML: <form> is removed",
        "kb/s/a.md:23: body: warning: raw HTML: <input> is removed (only the radio buttons of tabs and task-list "
        "checkboxes stay)",
    ]
    assert "    hint: the site never runs scripts from articles; if every writer is trusted, set " \
           "extra.kb.raw_html: trusted in mkdocs.yml" in lines
    assert check(project, "--strict")[0] == 1


def test_trusted_writers_get_no_warnings_and_a_wrong_setting_is_named(tmp_path):
    trusted = MKDOCS_YML + "    raw_html: trusted\n"
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Статья", HOSTILE_BODY), "kb/s/x.png": PNG}, config=trusted)
    code, lines = check(project)
    assert code == 0 and not [line for line in lines if ": body: " in line]
    wrong = write_kb(tmp_path / "w", {"kb/s/a.md": article("a", "Статья")}, config=MKDOCS_YML + "    raw_html: yes\n")
    code, lines = check(wrong)
    assert code == 1
    assert "mkdocs.yml: extra.kb.raw_html: expected one of sanitize, trusted, found True" in lines


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from browser import chromium

    with chromium() as b:
        yield b


def static_host(site: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def hits_on(browser: Browser, url: str) -> tuple[list[str], str]:
    context = browser.new_context()
    context.add_init_script("window.__hits = []; window.__xss = (w) => window.__hits.push(w);")
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    for link in page.query_selector_all("article a"):
        href = link.get_attribute("href") or ""
        if "javascript" in href:
            link.click()
    hits, text = page.evaluate("window.__hits"), page.inner_text("article")
    context.close()
    return hits, text


def test_the_built_page_runs_nothing_from_the_body_on_a_static_host(tmp_path, browser):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Статья", HOSTILE_BODY), "kb/s/x.png": PNG})
    build(project)
    html = (project / "site" / "s" / "a" / "index.html").read_text(encoding="utf-8")
    assert "__xss" not in html and "kb-body-" not in html  # removed, and the marks with it
    assert "<details>" in html and "<summary>Подробнее</summary>" in html  # harmless markup stays
    base, server = static_host(project / "site")
    try:
        hits, text = hits_on(browser, base + "/s/a/")
    finally:
        server.shutdown()
    assert hits == []
    assert "Первая строка." in text and "нажмите" in text and "Подробнее" in text


def test_trusted_html_stays_and_kb_serves_csp_still_blocks_it(tmp_path, browser, serve):
    trusted = MKDOCS_YML + "    raw_html: trusted\n"
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Статья", HOSTILE_BODY), "kb/s/x.png": PNG}, config=trusted)
    result = build(project)
    assert [w.message for w in result.warnings if "inline <script>" in w.message] == [
        "1 page(s) carry an inline <script> (s/a/index.html): kb serve's Content-Security-Policy blocks it"]
    html = (project / "site" / "s" / "a" / "index.html").read_text(encoding="utf-8")
    assert '<script>window.__xss("script")</script>' in html  # trusted: kept as written
    # on a plain static host, which sends no CSP, trusted HTML runs: that is what "trusted" means
    base, server = static_host(project / "site")
    try:
        assert "script" in hits_on(browser, base + "/s/a/")[0]
    finally:
        server.shutdown()
    # kb serve's policy lets no inline script or handler run, whatever the body carries
    hits, text = hits_on(browser, serve(project) + "/s/a/")
    assert hits == [] and "Первая строка." in text


def test_imported_pages_are_cleaned_even_for_trusted_writers(tmp_path):
    source = tmp_path / "old"
    (source / "docs").mkdir(parents=True)
    (source / "docs" / "page.md").write_text("# Страница\n\nТекст <script>alert(1)</script>\n\n"
                                             '<img src="a.png" onerror="alert(2)">\n', encoding="utf-8")
    project = write_kb(tmp_path / "p", {}, config=MKDOCS_YML + "    raw_html: trusted\n")
    done = CliRunner().invoke(main, ["import", str(source), "-C", str(project)])
    assert done.exit_code == 0, done.output
    written = next((project / "kb").rglob("page.md")).read_text(encoding="utf-8")
    assert "script" not in written and "onerror" not in written and 'src="a.png"' in written


BYPASSES = [
    "<svg/onload=alert(1)>",
    "<img/src=x onerror=alert(1)>",
    "<div =x onclick=alert(1)>x</div>",
    "x <a href=x onclick=alert(1)//`>y</a>",
    '<div id="x"onclick="alert(1)">hi</div>',
    "\\<img src=x onerror=alert(1)>",
    "x \\`<img src=x onerror=alert(1)>`",
    "```\n<img src=x onerror=alert(1)>\n",  # a fence never closed is no code
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](java&#x09;script:alert(1))",
    "> [r]: javascript:alert(1)\n\n> [y][r]",
    "- [r]: javascript:alert(1)\n\n[y][r]",
    '# T {: onclick="alert(1)" }',
    '[x](https://a){: href="javascript:alert(1)" }',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<scr<script>ipt>alert(1)</script>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<img src="x" alt="a\nb" onerror="alert(1)">',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
]


@pytest.mark.parametrize("raw", BYPASSES)
def test_nothing_executable_survives_into_the_rendered_page(raw):
    import html.parser

    from kb_helpcenter.generator.render import render

    rendered = render(sanitize_markdown(raw)).html
    bad: list[str] = []

    class Check(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object", "embed", "math", "form"):
                bad.append(tag)
            for name, value in attrs:
                if name.startswith("on"):
                    bad.append(f"{tag} {name}")
                if name in ("href", "src", "xlink:href") and value and not __import__(
                        "kb_helpcenter.generator.sanitize", fromlist=["safe_url"]).safe_url(value):
                    bad.append(f"{tag} {name}={value}")

    Check().feed(rendered)
    assert bad == [], rendered


def test_tables_and_list_items_keep_their_markup_when_cleaned():
    table = '<table><tr><td colspan="2">a</td></tr></table>'
    assert sanitize_markdown(table) == table
    assert sanitize_markdown("<select><option>a</option>\n\nТекст после.") .endswith("Текст после.")
