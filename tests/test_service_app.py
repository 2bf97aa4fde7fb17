"""The HTTP API against a real `kb serve` process: answers, events, bad input and abuse."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from kb_helpcenter.generator.build import build

from conftest import article, write_kb


@pytest.fixture
def project(tmp_path) -> Path:
    config = ("site_name: Справка\nsite_url: https://help.example/\nextra:\n  kb:\n"
              "    contact_url: https://example.com/support\n    cors_origins: [https://shop.example]\n")
    root = write_kb(tmp_path / "p", {
        "kb/payment/terminal.md": article(
            "terminal-payment", "Оплатили через терминал, а деньги не пришли",
            "Платёж через терминал зачисляется до 24 часов.\n\n## Что проверить {#check}\n\nЧек и номер терминала.\n",
            aliases="\n  - заплатил в терминале деньги не пришли\n  - деньги не зачислились"),
        "kb/orders/processing.md": article(
            "application-processing", "Почему заявка так долго в обработке",
            "Заявку рассматривает банк-партнёр до 5 рабочих дней.\n",
            aliases="\n  - заявка висит\n  - долго обрабатывают заявку"),
        "kb/mobile/internet.md": article(
            "mobile-internet", "Не работает мобильный интернет",
            "Проверьте SIM-карту и настройки APN.\n", aliases="\n  - нет интернета\n  - не грузит инет"),
    }, config=config)
    build(root)
    return root


def events(project: Path, table: str, *, count: int | None = None) -> list[dict]:
    """The stored events of ``table``; with ``count``, once that many are stored (searches and
    sent links are written after the answer, by the service's writer thread)."""
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(project / ".kb" / "events.sqlite") as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute(f"SELECT * FROM {table}")]
        if count is None or len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_search_records_the_query_and_the_click(serve, project):
    base = serve(project)
    session = {"X-KB-Session": "abcDEF123456"}
    answer = httpx.get(base + "/api/search", params={"q": "pfzdrf dbcbn", "source": "site"}, headers=session).json()
    assert answer["corrected"] == "заявка висит"
    assert answer["hits"][0]["id"] == "application-processing"
    assert answer["hits"][0]["url"] == "orders/processing/"
    assert set(answer["hits"][0]) == {"id", "title", "url", "section", "summary", "snippet", "score"}
    assert answer["query_id"]

    click = httpx.post(base + "/api/click", json={"query_id": answer["query_id"], "article_id": "application-processing",
                                                  "rank": 1}, headers=session)
    assert click.status_code == 204
    queries = events(project, "queries")
    assert [(q["text"], q["hits"], q["source"], q["session"]) for q in queries] == [
        ("pfzdrf dbcbn", len(answer["hits"]), "site", "abcDEF123456")]
    assert json.loads(queries[0]["top_ids"])[0] == "application-processing"
    clicks = events(project, "clicks")
    assert [(c["query_id"], c["article_id"], c["rank"]) for c in clicks] == [(answer["query_id"], "application-processing", 1)]
    columns = {c for row in queries + clicks for c in row}
    assert not {c for c in columns if "ip" in c.split("_") or "agent" in c}


def test_suggest_link_health_and_openapi(serve, project):
    base = serve(project)
    suggest = httpx.get(base + "/api/suggest", params={"q": "интренет"}).json()
    assert suggest["suggestions"][0] == {"title": "Не работает мобильный интернет", "url": "mobile/internet/"}
    link = httpx.get(base + "/api/link", params={"q": "деньги через терминал", "limit": 1}).json()
    assert link["hits"] == [{"id": "terminal-payment", "title": "Оплатили через терминал, а деньги не пришли",
                             "summary": "Кратко о том, оплатили через терминал, а деньги не пришли.",
                             "short_url": "https://help.example/a/terminal-payment/?ref=op",
                             "url": "https://help.example/payment/terminal/",
                             "updated": "2026-11-01", "feedback": {"yes": 0, "no": 0}}]
    health = httpx.get(base + "/healthz").json()
    assert health["status"] == "ok" and health["articles"] == 3 and health["index_version"]
    assert health["meaning"] == []  # a Russian help center: no English questions to embed
    spec = httpx.get(base + "/api/openapi.json").json()
    assert {"/api/search", "/api/suggest", "/api/link", "/api/click", "/api/feedback", "/a/{id}", "/healthz"} <= set(spec["paths"])
    # suggestions are not searches; an operator's look-up is one, of source "ops" (search
    # learns from the link then copied, and a look-up nobody answers is a gap)
    recorded = events(project, "queries", count=1)
    assert [(q["text"], q["source"]) for q in recorded] == [("деньги через терминал", "ops")]
    assert link["query_id"] == recorded[0]["id"]


def test_short_links_redirect_and_record_operator_links(serve, project):
    base = serve(project)
    moved = httpx.get(base + "/a/terminal-payment", follow_redirects=False)
    assert moved.status_code == 302 and moved.headers["location"] == "/payment/terminal/"
    assert events(project, "sent_links") == []
    httpx.get(base + "/a/terminal-payment/?ref=op", follow_redirects=False)
    assert [e["article_id"] for e in events(project, "sent_links", count=1)] == ["terminal-payment"]
    missing = httpx.get(base + "/a/no-such-article")
    assert missing.status_code == 404 and "Страница не найдена" in missing.text and 'name="q"' in missing.text


def test_feedback_with_comment_is_stored(serve, project):
    base = serve(project)
    sent = httpx.post(base + "/api/feedback", json={"article_id": "mobile-internet", "helpful": False,
                                                     "comment": "Не помогло, <b>APN</b> не сохраняется"},
                      headers={"X-KB-Session": "sess-12345678"})
    assert sent.status_code == 204
    stored = events(project, "feedback")
    assert [(f["article_id"], f["helpful"], f["comment"]) for f in stored] == [
        ("mobile-internet", 0, "Не помогло, <b>APN</b> не сохраняется")]


HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "title:x AND (y OR NOT z) * \"",
           "\x00\x01\x1b[31m заявка", "заявка " * 70]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_get_plain_escaped_answers(serve, project, query):
    base = serve(project)
    answer = httpx.get(base + "/api/search", params={"q": query})
    assert answer.status_code == 200
    body = answer.json()
    for hit in body["hits"]:
        assert "<script" not in hit["snippet"] and "onerror" not in hit["snippet"].replace("onerror=", "")
        assert set(__import__("re").findall(r"</?([a-z]+)", hit["snippet"])) <= {"mark"}


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "message"), [
    ("GET", "/api/search", {"params": {"q": "я" * 501}}, 400, "q: at most 500 characters (got 501)"),
    ("GET", "/api/search", {"params": {"q": "x", "limit": "0"}}, 400, "limit: expected a whole number from 1 to 50, got '0'"),
    ("GET", "/api/search", {"params": {"q": "x", "source": "evil"}}, 400, "source: expected one of site, ops, api"),
    ("POST", "/api/click", {"content": b"{not json"}, 400, "body: expected a JSON object"),
    ("POST", "/api/click", {"json": [1, 2]}, 400, "body: expected a JSON object"),
    ("POST", "/api/click", {"json": {"query_id": "abcdefgh12", "article_id": "terminal-payment", "rank": "1"}}, 400,
     "rank: expected the 1-based position of the clicked result"),
    ("POST", "/api/feedback", {"json": {"article_id": "nope", "helpful": True}}, 404, "article_id: no article 'nope'"),
    ("POST", "/api/feedback", {"json": {"article_id": "../../etc", "helpful": True}}, 400, "article_id: expected an article id"),
    ("POST", "/api/feedback", {"json": {"article_id": "mobile-internet", "helpful": "yes"}}, 400, "helpful: expected true or false"),
    ("POST", "/api/feedback", {"json": {"article_id": "mobile-internet", "helpful": False, "comment": "x" * 2001}}, 400,
     "comment: at most 2000 characters (got 2001)"),
    ("POST", "/api/feedback", {"content": b"{" + b" " * 9000 + b"}", "headers": {"Content-Type": "application/json"}},
     413, "request body over 8192 bytes"),
    # Unicode digits: "²".isdigit() is true and int("²") raises
    ("GET", "/api/search", {"params": {"q": "x", "limit": "\u00b2"}}, 400, "limit: expected a whole number from 1 to 50, got '²'"),
    ("GET", "/api/link", {"params": {"q": "x", "limit": "\u0663"}}, 400, "limit: expected a whole number from 1 to 50, got '٣'"),
    ("GET", "/api/search", {"params": {"q": "x", "limit": "9" * 40}}, 400, "limit: expected a whole number from 1 to 50, got '99999999999999999999'"),
    ("POST", "/api/click", {"content": b"[" * 1000 + b"]" * 1000}, 400, "body: nested more than 4 levels deep"),
    ("POST", "/api/feedback", {"content": b'{"a":' * 500 + b"1" + b"}" * 500}, 400, "body: nested more than 4 levels deep"),
    ("POST", "/api/feedback", {"content": b'{"article_id": "refund", "helpful": true}', "headers": {"Content-Type": "text/plain"}},
     415, "content-type: expected application/json"),
    ("POST", "/api/feedback", {"data": {"article_id": "refund", "helpful": "true"}}, 415, "content-type: expected application/json"),
    ("GET", "/api/no-such-endpoint", {}, 404, "no API endpoint /api/no-such-endpoint"),
    ("GET", "/api/", {}, 404, "no API endpoint /api/"),
    ("POST", "/api/search", {"json": {}}, 405, "Method Not Allowed"),
    ("DELETE", "/api/feedback", {}, 405, "Method Not Allowed"),
])
def test_bad_input_is_a_clean_4xx(serve, project, method, path, kwargs, status, message):
    base = serve(project)
    if "content" in kwargs and "headers" not in kwargs:
        kwargs = {**kwargs, "headers": {"Content-Type": "application/json"}}
    answer = httpx.request(method, base + path, **kwargs)
    assert answer.status_code == status
    assert answer.json() == {"error": message}
    assert httpx.get(base + "/healthz").status_code == 200  # still serving


def test_invalid_utf8_in_the_url_and_empty_query(serve, project):
    base = serve(project)
    raw = httpx.get(base + "/api/search?q=%D0%B7%FF%FE")
    assert raw.status_code == 200
    empty = httpx.get(base + "/api/search", params={"q": "   "}).json()
    assert empty["hits"] == [] and empty["query_id"] is None


def test_security_headers_and_cors(serve, project):
    base = serve(project)
    page = httpx.get(base + "/")
    csp = page.headers["content-security-policy"]
    assert "; script-src 'self';" in csp and "sha256-" not in csp  # only the site's own script files
    assert "frame-src https://www.youtube-nocookie.com" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    allowed = httpx.options(base + "/api/search", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"})
    assert allowed.headers.get("access-control-allow-origin") == "https://shop.example"
    other = httpx.get(base + "/api/search", params={"q": "x"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_feedback_flood_from_one_session_is_ignored(serve, project):
    base = serve(project)
    headers = {"X-KB-Session": "flooder-123456"}
    for _ in range(50):
        assert httpx.post(base + "/api/feedback", json={"article_id": "mobile-internet", "helpful": False},
                          headers=headers).status_code == 204
    assert 1 <= len(events(project, "feedback")) <= 10


def test_a_new_index_is_picked_up_without_failed_requests(serve, project):
    base = serve(project)
    failures: list[str] = []
    answers: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client() as client:
            while not stop.is_set():
                r = client.get(base + "/api/search", params={"q": "гарантийный ремонт"})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:80]}")
                answers.append(len(r.json()["hits"]) if r.status_code == 200 else -1)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        write_kb(project, {"kb/warranty/repair.md": article("warranty-repair", "Гарантийный ремонт",
                                                            "Сдайте устройство в сервисный центр.\n")}, config=None)
        build(project)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = httpx.get(base + "/api/search", params={"q": "гарантийный ремонт"}).json()["hits"]
            if found and found[0]["id"] == "warranty-repair":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the new index was not picked up")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == [] and len(answers) > 10
    assert httpx.get(base + "/healthz").json()["articles"] == 4


def test_two_workers_serve_and_record(serve, project):
    base = serve(project, "--workers", "2")
    ids = set()
    with httpx.Client() as client:
        for i in range(40):
            answer = client.get(base + "/api/search", params={"q": f"интернет {i}"})
            assert answer.status_code == 200
            ids.add(answer.json()["query_id"])
    assert len(ids) == 40
    assert len(events(project, "queries", count=40)) == 40


def test_odd_paths_get_the_404_page_never_a_500(serve, project):
    base = serve(project)
    for path in ("/a/" + "a" * 256, "/a/" + "a" * 256 + "/", "/" + "x" * 300 + "/", "/payment/" + "%C3%A9" * 200,
                 "/a/UPPER", "/a/%00", "/payment/%00/"):
        answer = httpx.get(base + path)
        assert answer.status_code == 404, path
        assert "Страница не найдена" in answer.text, path


def test_the_host_header_is_never_written_back(serve, project):
    base = serve(project)
    moved = httpx.get(base + "/payment", headers={"Host": "evil.example"}, follow_redirects=False)
    assert moved.status_code in (307, 308) and moved.headers["location"] == "/payment/"
    short = httpx.get(base + "/a/terminal-payment", headers={"Host": "evil.example"}, follow_redirects=False)
    assert short.headers["location"] == "/payment/terminal/"
    query = httpx.get(base + "/payment?from=x", headers={"Host": "evil.example"}, follow_redirects=False)
    assert query.headers["location"] == "/payment/?from=x"


VOTE = {"article_id": "mobile-internet", "helpful": True}


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 204),                                                              # curl, a helpdesk integration
    ({"Origin": "BASE", "Sec-Fetch-Site": "same-origin"}, 204),             # the site's own page
    ({"Origin": "https://help.example", "Sec-Fetch-Site": "same-site"}, 204),  # site_url
    ({"Origin": "https://shop.example", "Sec-Fetch-Site": "cross-site"}, 204),  # extra.kb.cors_origins
    ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403),
    ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),             # a sandboxed frame, a data: page
    ({"Sec-Fetch-Site": "cross-site"}, 403),
])
def test_votes_cannot_be_forged_cross_site(serve, project, headers, status):
    base = serve(project)
    headers = {k: v.replace("BASE", base) for k, v in headers.items()}
    answer = httpx.post(base + "/api/feedback", json=VOTE, headers=headers)
    assert answer.status_code == status, answer.text
    assert len(events(project, "feedback")) == (1 if status == 204 else 0)
    if status == 403:
        assert answer.json()["error"].startswith("origin: ")
    click = httpx.post(base + "/api/click", json={"query_id": "abcdefgh12", "article_id": "mobile-internet", "rank": 1},
                       headers=headers)
    assert click.status_code == status


def test_a_locked_event_store_stalls_nothing_and_loses_nothing(serve, project):
    base = serve(project)
    assert httpx.post(base + "/api/feedback", json=VOTE).status_code == 204  # the store is up
    blocker = sqlite3.connect(project / ".kb" / "events.sqlite", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        with httpx.Client(timeout=3) as client:  # the store's busy wait would be 1 s, the old one 10 s
            for i in range(5):
                found = client.get(base + "/api/search", params={"q": f"интернет {i}"})
                assert found.status_code == 200 and found.json()["query_id"]
            vote = client.post(base + "/api/feedback", json={**VOTE, "helpful": False})
            assert vote.status_code == 202 and vote.json()["status"] == "queued"
            pending = client.get(base + "/healthz").json()["events"]
            assert pending["queued"] + pending["spooled"] >= 1  # honest: not stored yet
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert len(events(project, "feedback", count=2)) == 2
    assert len(events(project, "queries", count=5)) == 5
    deadline = time.monotonic() + 10
    while httpx.get(base + "/healthz").json()["events"] != {"queued": 0, "spooled": 0, "writer": True}:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def _slow_clients(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that start a request and never finish its headers (slowloris)."""
    clients = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: help.example\r\nX-Slow: ")
        clients.append(s)
    return clients


def test_hundreds_of_slow_clients_do_not_stall_search(serve, project):
    base = serve(project)
    clients = _slow_clients(int(base.rsplit(":", 1)[1]), 300)
    try:
        with httpx.Client(timeout=1.0) as client:  # answered within a second, or this raises
            for _ in range(5):
                assert client.get(base + "/healthz").status_code == 200
                assert client.get(base + "/api/search", params={"q": "интернет"}).json()["hits"]
    finally:
        for s in clients:
            s.close()


def test_oversized_request_headers_are_refused(serve, project):
    base = serve(project)
    big = httpx.get(base + "/api/search", params={"q": "x"}, headers={"X-Big": "a" * 20_000})
    assert big.status_code == 431 and big.json() == {"error": "request headers too large"}
    many = httpx.get(base + "/", headers={f"X-H{i}": "1" for i in range(150)})
    assert many.status_code == 431
    assert httpx.get(base + "/healthz").status_code == 200
