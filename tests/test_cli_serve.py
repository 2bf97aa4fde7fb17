"""`kb serve` in a subprocess: the built site over HTTP, and live preview with --dev."""

from __future__ import annotations

import re
import socket
import subprocess
import time

import httpx

from conftest import KB, article, free_port, wait_until_up, write_kb


def test_serve_builds_and_serves_the_site(serve, small_kb):
    base = serve(small_kb)
    page = httpx.get(base + "/payment/terminal/")
    assert page.status_code == 200
    assert "<h1 id=\"kb-title\">Оплатили через терминал, а деньги не пришли</h1>" in page.text
    short = httpx.get(base + "/a/refund/", follow_redirects=False)
    assert short.status_code == 302 and short.headers["location"] == "/returns/refund/"
    missing = httpx.get(base + "/no/such/page/")
    assert missing.status_code == 404
    assert "Страница не найдена" in missing.text


def test_dev_preview_reloads_after_an_edit_and_shows_errors(serve, tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Первая версия")})
    base = serve(project, "--dev")
    state = httpx.get(base + "/__kb/reload", params={"since": ""}).json()
    assert state["errors"] == ""
    page = httpx.get(base + "/s/a/").text
    assert "Первая версия" in page and "dev-reload.js" in page

    (project / "kb/s/a.md").write_text(article("a", "Вторая версия"), encoding="utf-8")
    edited = time.monotonic()
    state2 = httpx.get(base + "/__kb/reload", params={"since": state["version"]}, timeout=40).json()
    assert state2["version"] != state["version"] and state2["errors"] == ""
    assert "Вторая версия" in httpx.get(base + "/s/a/").text
    print(f"edit visible after {time.monotonic() - edited:.2f} s")

    (project / "kb/s/a.md").write_text("---\nid: a\ntitle: [oops\n---\n", encoding="utf-8")
    state3 = httpx.get(base + "/__kb/reload", params={"since": state2["version"]}, timeout=40).json()
    assert state3["errors"].startswith("kb/s/a.md:3: YAML syntax error")
    assert "Вторая версия" in httpx.get(base + "/s/a/").text  # the last good site stays


def test_dev_preview_reloads_the_open_page_in_a_browser(serve, tmp_path):
    from playwright.sync_api import expect

    from browser import chromium

    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Первая версия")})
    base = serve(project, "--dev")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "/s/a/")
        assert page.locator("h1").inner_text() == "Первая версия"
        page.wait_for_timeout(300)  # let the page start its long poll
        (project / "kb/s/a.md").write_text(article("a", "Вторая версия"), encoding="utf-8")
        edited = time.monotonic()
        expect(page.locator("h1")).to_have_text("Вторая версия", timeout=20_000)
        print(f"browser shows the edit after {time.monotonic() - edited:.2f} s")
        page.screenshot(path=str(tmp_path / "preview-reloaded.png"))

        (project / "kb/s/a.md").write_text("---\nid: a\ntitle: [oops\n---\n", encoding="utf-8")
        banner = page.locator("#kb-dev-errors")
        banner.wait_for(timeout=20_000)
        assert banner.inner_text().startswith("kb/s/a.md:3: YAML syntax error")
        page.screenshot(path=str(tmp_path / "preview-error.png"))


def test_serve_rebuilds_an_index_written_by_another_version_of_kb(serve, small_kb):
    import json

    from kb_helpcenter.generator.build import build

    build(small_kb)
    meta = small_kb / ".kb" / "index" / "kb-index.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "version": "1.older-kb"}), encoding="utf-8")
    base = serve(small_kb)  # kb serve sees the index is not its own and builds first
    found = httpx.get(base + "/api/search", params={"q": "терминал"})
    assert found.status_code == 200 and found.json()["hits"][0]["id"] == "terminal-payment"


def test_a_busy_port_is_one_line_that_suggests_another(small_kb):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([KB, "serve", "--port", str(port), "-C", str(small_kb)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"port {port} on 127.0.0.1 is in use" in lines[0] and f"kb serve --port {port + 1}" in lines[0]


def test_serve_names_the_help_center_and_the_preview_logs_each_request(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "Статья")})
    port = free_port()
    proc = subprocess.Popen([KB, "serve", "--dev", "--port", str(port), "-C", str(project)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        assert httpx.get(base + "/s/a/").status_code == 200
        assert httpx.get(base + "/no/such/").status_code == 404
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "kb: serving «Тестовая справка» on http://127.0.0.1:" in err.splitlines()[0]
    assert re.search(r"^kb: GET /s/a/ 200 \d+ ms$", err, re.M), err
    assert re.search(r"^kb: GET /no/such/ 404 \d+ ms$", err, re.M), err
    assert "127.0.0.1:" not in "".join(line for line in err.splitlines() if line.startswith("kb: GET"))


def test_serve_compresses_text_and_caches_fingerprinted_bundles_for_a_year(serve, small_kb):
    base = serve(small_kb)
    site = small_kb / "site"
    bundle = next((site / "assets" / "javascripts").glob("bundle.*.min.js")).relative_to(site).as_posix()
    sent = httpx.get(f"{base}/{bundle}", headers={"Accept-Encoding": "gzip"})
    assert sent.headers["content-encoding"] == "gzip"
    assert sent.num_bytes_downloaded < len(sent.content) / 2  # httpx decodes it: the wire carried less than half
    assert sent.headers["cache-control"] == "public, max-age=31536000, immutable"
    own = httpx.get(base + "/assets/kb/search-ui.js")
    assert own.headers["cache-control"] == "public, max-age=3600, must-revalidate"
    page = httpx.get(base + "/payment/terminal/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["cache-control"] == "no-cache" and page.headers["content-encoding"] == "gzip"
    assert httpx.get(base + "/search/index.json").headers["cache-control"] == "no-cache"
    plain = httpx.get(f"{base}/{bundle}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == sent.content


def test_the_built_site_leaves_out_what_it_never_loads(small_kb):
    from kb_helpcenter.generator.build import build

    build(small_kb)
    assets = small_kb / "site" / "assets"
    assert not (assets / "javascripts" / "lunr").exists() and not (assets / "javascripts" / "workers").exists()
    assert not list(assets.rglob("*.map"))
    for bundle in (*assets.rglob("*.min.js"), *assets.rglob("*.min.css")):
        assert b"sourceMappingURL" not in bundle.read_bytes(), bundle
