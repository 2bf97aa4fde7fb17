"""The deployment guide, run: Debian's nginx with the shipped configuration in front of `kb serve`
started by the shipped systemd unit's command line, over real TLS on loopback.

The files are those `kb init` writes into a project (``deploy/nginx.conf``, ``deploy/kb.service``);
only what the guide says to change is changed (host ports, paths, the certificate), by plain text
replacement, so a broken shipped file breaks this test.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.scaffold import STARTER

from conftest import KB, article, free_port, wait_until_up, write_kb
from ensure import WHAT_TO_RUN, find_nginx

HOST = "help.example.com"


def nginx_conf(*, http: int, https: int, upstream: int, cert: Path, key: Path) -> str:
    """The shipped server blocks, changed only where the guide says to change them."""
    text = (STARTER / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "listen [::]" not in line]  # IPv6 may be off in CI
    text = "\n".join(lines)
    for old, new in ((f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)),
                     (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key)),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
                     ("listen 80", f"listen 127.0.0.1:{http}"), ("listen 443", f"listen 127.0.0.1:{https}")):
        assert old in text, old
        text = text.replace(old, new)
    return text


def service_command(project: Path, port: int) -> list[str]:
    """ExecStart of the shipped unit, with the project, the venv and the port of this test."""
    unit = (STARTER / "deploy" / "kb.service").read_text(encoding="utf-8")
    exec_start = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecStart="))
    command = shlex.split(exec_start)
    assert command[:2] == ["/opt/kb/bin/kb", "serve"] and "/srv/help" in command and "8000" in command
    return [KB if c == "/opt/kb/bin/kb" else str(project) if c == "/srv/help" else str(port) if c == "8000" else c
            for c in command]


@pytest.fixture
def deployed(tmp_path):
    nginx = find_nginx()
    assert nginx, WHAT_TO_RUN["nginx"]
    project = write_kb(tmp_path / "srv" / "help", {
        "kb/returns/refund.md": article("refund", "Когда вернутся деньги за возврат", "До 10 дней.\n"),
        "kb/payment/terminal.md": article("terminal-payment", "Оплатили через терминал, а деньги не пришли",
                                          "Деньги зачисляются до 24 часов.\n"),
    })
    build(project)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    kb_port, http, https = free_port(), free_port(), free_port()
    service = subprocess.Popen(service_command(project, kb_port), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    run = tmp_path / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / sub).mkdir(parents=True)
    (run / "kb.conf").write_text(nginx_conf(http=http, https=https, upstream=kb_port, cert=cert, key=key),
                                 encoding="utf-8")
    mime = Path("/etc/nginx/mime.types")
    (run / "nginx.conf").write_text(f"""
daemon off;
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 256; }}
http {{
    {f"include {mime};" if mime.is_file() else "types { text/html html; }"}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/kb.conf;
}}
""", encoding="utf-8")
    tested = subprocess.run([nginx, "-t", "-p", str(run), "-e", str(run / "error.log"), "-c", str(run / "nginx.conf")],
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    proxy = subprocess.Popen([nginx, "-p", str(run), "-e", str(run / "error.log"), "-c", str(run / "nginx.conf")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{kb_port}", service)
        client = httpx.Client(base_url=f"https://127.0.0.1:{https}", headers={"Host": HOST}, verify=False,
                              timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                assert proxy.poll() is None, proxy.stderr.read()
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.1)
        yield {"client": client, "project": project, "http": http, "https": https, "kb": kb_port}
        client.close()
    finally:
        proxy.terminate()
        os.killpg(service.pid, 15)
        proxy.wait(timeout=10)
        service.wait(timeout=20)


def stored(project: Path, table: str, count: int) -> list[tuple]:
    """The article ids of ``table``, once ``count`` are stored (the writer thread runs behind)."""
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(project / ".kb" / "events.sqlite") as db:
            rows = list(db.execute(f"SELECT article_id FROM {table}"))  # noqa: S608 - fixed names
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_search_vote_and_short_link_through_the_proxy(deployed):
    client, project = deployed["client"], deployed["project"]
    home = client.get("/")
    assert home.status_code == 200 and "md-header" in home.text
    assert "content-security-policy" in home.headers  # the page came from kb serve, through nginx
    assert home.headers["cache-control"] == "no-cache"

    found = client.get("/api/search", params={"q": "деньги не пришли терминал"}).json()
    assert found["hits"][0]["id"] == "terminal-payment" and found["query_id"]
    assert client.post("/api/feedback", json={"article_id": "refund", "helpful": True}).status_code == 204
    assert stored(project, "feedback", 1) == [("refund",)]
    short = client.get("/a/refund/", params={"ref": "op"}, follow_redirects=False)
    assert short.status_code == 302 and short.headers["location"].endswith("/returns/refund/")
    assert stored(project, "sent_links", 1) == [("refund",)]


def test_the_client_scheme_and_host_reach_the_service(deployed):
    client = deployed["client"]
    # HTTPS ended at nginx; kb saw X-Forwarded-Proto: https from a trusted proxy and sends HSTS
    assert client.get("/").headers["strict-transport-security"] == "max-age=31536000"
    direct = httpx.get(f"http://127.0.0.1:{deployed['kb']}/")
    assert direct.status_code == 200 and "strict-transport-security" not in direct.headers
    # plain HTTP is only a redirect to the public HTTPS address
    plain = httpx.get(f"http://127.0.0.1:{deployed['http']}/returns/refund/?x=1", headers={"Host": HOST},
                      follow_redirects=False)
    assert plain.status_code == 301 and plain.headers["location"] == f"https://{HOST}/returns/refund/?x=1"
    # a forged Host never reaches kb: nginx closes the connection
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"https://127.0.0.1:{deployed['https']}/", headers={"Host": "evil.example"}, verify=False)


def test_assets_are_compressed_and_cached(deployed):
    client, project = deployed["client"], deployed["project"]
    script = client.get("/assets/kb/search-core.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200 and script.headers["content-encoding"] == "gzip"
    assert script.headers["cache-control"] == "public, max-age=3600, must-revalidate"
    bundle = next((project / "site" / "assets" / "javascripts").glob("bundle.*.min.js"))
    hashed = client.get(f"/assets/javascripts/{bundle.name}", headers={"Accept-Encoding": "gzip"})
    assert hashed.status_code == 200 and hashed.headers["content-encoding"] == "gzip"
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert len(hashed.content) == bundle.stat().st_size  # httpx decoded it: the same bytes


def test_a_new_build_is_published_without_a_failed_request(deployed):
    client, project = deployed["client"], deployed["project"]
    failures: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(base_url=client.base_url, headers={"Host": HOST}, verify=False, timeout=10) as c:
            while not stop.is_set():
                for path in ("/api/search?q=возврат", "/returns/refund/"):
                    answer = c.get(path)
                    if answer.status_code != 200:
                        failures.append(f"{path}: {answer.status_code}")

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        source = project / "kb" / "returns" / "refund.md"
        source.write_text(source.read_text(encoding="utf-8").replace(
            "Когда вернутся деньги за возврат", "Сроки возврата денег"), encoding="utf-8")
        done = subprocess.run([KB, "build", "-C", str(project)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30
        while "Сроки возврата денег" not in client.get("/api/search", params={"q": "возврат"}).text:
            assert time.monotonic() < deadline, "the service never picked up the new build"
            time.sleep(0.2)
        assert "Сроки возврата денег" in client.get("/returns/refund/").text
    finally:
        stop.set()
        asking.join(timeout=30)
    assert failures == []


def test_the_proxy_cuts_off_slow_clients_and_search_goes_on(deployed):
    import socket
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    slow = []
    for _ in range(120):
        raw = socket.create_connection(("127.0.0.1", deployed["https"]))
        tls = context.wrap_socket(raw, server_hostname=HOST)
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ".encode())
        slow.append(tls)
    try:
        with httpx.Client(base_url=deployed["client"].base_url, headers={"Host": HOST}, verify=False,
                          timeout=1.0) as client:
            for _ in range(5):
                assert client.get("/healthz").status_code == 200
                assert client.get("/api/search", params={"q": "возврат"}).json()["hits"]
        # nginx closes a client that has not sent its headers in client_header_timeout (10 s)
        time.sleep(11)
        still_open = 0
        for tls in slow:
            tls.settimeout(0.5)
            try:
                still_open += tls.recv(1) != b""
            except TimeoutError:
                still_open += 1  # nothing sent, nothing closed
            except (OSError, ssl.SSLError):
                pass  # closed
        assert still_open == 0
    finally:
        for tls in slow:
            tls.close()


def test_the_proxy_refuses_oversized_headers(deployed):
    big = deployed["client"].get("/", headers={"X-Big": "a" * 20_000})
    assert big.status_code in (400, 431, 494)  # nginx: "Request Header Or Cookie Too Large"


def test_the_file_works_where_the_guide_puts_it(tmp_path):
    # included from Debian's own /etc/nginx/nginx.conf (its http{} sets gzip, ssl_protocols...),
    # as `sites-enabled/kb`: no directive may clash with it
    nginx = find_nginx()
    assert nginx, WHAT_TO_RUN["nginx"]
    debian = Path("/etc/nginx/nginx.conf").read_text(encoding="utf-8")
    assert "include /etc/nginx/sites-enabled/*;" in debian
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ours = (STARTER / "deploy" / "nginx.conf").read_text(encoding="utf-8").replace(
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(cert)).replace(f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(key))
    (tmp_path / "kb.conf").write_text(ours, encoding="utf-8")
    conf = re.sub(r"^pid .*;$", f"pid {tmp_path}/nginx.pid;", debian, flags=re.M)
    (tmp_path / "nginx.conf").write_text(
        conf.replace("include /etc/nginx/sites-enabled/*;", f"include {tmp_path}/kb.conf;"), encoding="utf-8")
    tested = subprocess.run([nginx, "-t", "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    assert "[warn]" not in tested.stderr, tested.stderr
