"""Load on the search service: 16 concurrent clients against /api/search on loopback.

    python bench/service_bench.py [--quick] [--seconds 30] [--clients 16] [--sizes sample,10000,banking77]

For each knowledge base (the sample, a generated 10,000-article one, and with ``banking77`` an
English one whose queries are re-ranked by meaning) and for 1 and 2
workers, a real ``kb serve`` process is started and hammered for ``--seconds`` by an asyncio
client holding ``--clients`` keep-alive connections. Queries are the knowledge base's own
customer phrasings (aliases) in a fixed shuffled order. Reported: requests per second, p50 and
p99 latency as the client sees it, errors, and the query events the server recorded against the
requests sent (they must be equal: every search is logged, none twice). Results go to
``bench/out/service.json``. Traffic stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from build_bench import kb_project
from common import REPO  # also puts the repo on sys.path
from search_corpora import Unavailable, banking77

from kb_helpcenter.generator.slugs import slugify

OUT = Path(__file__).resolve().parent / "out"
KB = str(Path(sys.executable).with_name("kb"))


def say(message: str) -> None:
    print(f"service_bench: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def english_project(root: Path) -> tuple[Path, list[str]]:
    """An English help center from Banking77 (an article per intent: its name as the title, its
    first 10 training questions as aliases), and the remaining questions as customers' queries:
    every English query goes through the meaning-based re-ranking when the encoder is installed."""
    manifest, queries = banking77()
    project = root / "kb-banking77"
    section = project / "kb" / "banking"
    section.mkdir(parents=True)
    shutil.copy2(REPO / "mkdocs.yml", project / "mkdocs.yml")
    (section / "_section.yml").write_text("title: Banking\norder: 1\n", encoding="utf-8")
    for a in manifest.articles:
        slug = slugify(a.id)
        aliases = "".join(f"\n  - {json.dumps(t)}" for t in a.aliases)
        (section / f"{slug}.md").write_text(
            f"---\nid: {slug}\ntitle: {json.dumps(a.title)}\nsummary: {json.dumps(a.title + '.')}\n"
            f"aliases:{aliases}\n---\n\n"
            f"{a.title}: what to check and what to do.\n", encoding="utf-8")
    say("building the banking77 knowledge base (English)")
    subprocess.run([KB, "build", "-C", str(project)], check=True, stderr=subprocess.DEVNULL)
    texts = sorted({q.text for q in queries})
    random.Random(7).shuffle(texts)
    return project, texts[:2000]


def make_project(size: str, root: Path) -> Path:
    project = kb_project(size, root)
    say(f"building the {size} knowledge base")
    subprocess.run([KB, "build", "-C", str(project)], check=True, stderr=subprocess.DEVNULL)
    return project


def queries_of(project: Path, limit: int = 2000) -> list[str]:
    manifest = json.loads((project / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    phrases = sorted({alias for a in manifest["articles"] for alias in a["aliases"]} |
                     {a["title"] for a in manifest["articles"]})
    random.Random(7).shuffle(phrases)
    return phrases[:limit]


async def _client(host: str, port: int, paths: list[str], offset: int, deadline: float,
                  latencies: list[float], errors: list[str]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    i = offset
    try:
        while time.perf_counter() < deadline:
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            sent += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                errors.append(str(status))
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(type(exc).__name__)
    finally:
        writer.close()
    return sent


async def load(port: int, queries: list[str], *, clients: int, seconds: float) -> dict:
    paths = [f"/api/search?limit=10&q={quote(q)}" for q in queries]
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    sent = await asyncio.gather(*[
        _client("127.0.0.1", port, paths, k * 97, deadline, latencies, errors) for k in range(clients)
    ])
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": sum(sent), "answered": len(latencies), "errors": len(errors),
        "error_kinds": sorted(set(errors)), "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 1) if ordered else None,
    }


def count_queries(project: Path) -> int:
    path = project / ".kb" / "events.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM queries").fetchone()[0]


def settled_count(project: Path, *, quiet: float = 1.0, limit: float = 60.0) -> int:
    """The stored query count once it stopped changing for ``quiet`` seconds: the service
    writes events from a thread of its own, a little after it answered."""
    last, since, deadline = count_queries(project), time.monotonic(), time.monotonic() + limit
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.1)
        now = count_queries(project)
        if now != last:
            last, since = now, time.monotonic()
    return last


def run_one(project: Path, queries: list[str], *, workers: int, clients: int, seconds: float, cache: int) -> dict:
    (project / ".kb" / "events.sqlite").unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(project / ".kb" / "events.sqlite") + suffix).unlink(missing_ok=True)
    port = free_port()
    server = subprocess.Popen([KB, "serve", "--port", str(port), "--workers", str(workers), "--cache", str(cache),
                               "-C", str(project)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"kb serve did not start: {server.stderr.read()}") from None
                time.sleep(0.2)
        # Every worker opens the index before it accepts; give the last one time to get there,
        # or the kernel hands all the keep-alive connections to the first (uneven, and unlike
        # a long-running server).
        time.sleep(3 * workers)
        asyncio.run(load(port, queries[:50], clients=clients, seconds=3))  # warm up every worker
        before = settled_count(project)
        result = asyncio.run(load(port, queries, clients=clients, seconds=seconds))
        result["events_recorded"] = settled_count(project) - before
        result["events_equal_requests"] = result["events_recorded"] == result["answered"]
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def fallback_first_result(project: Path, queries: list[str], *, runs: int = 15) -> dict:
    """Time from the last keystroke to the first result, in Chromium, with no API at all.

    The built site is served by a plain static server (as on any static host): the search box
    must answer from ``search/index.json``. The first query includes loading that index; both
    include the search box's 200 ms typing debounce.
    """
    import http.server
    import threading
    from functools import partial

    sys.path.insert(0, str(REPO / "tests"))
    from browser import chromium

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = partial(Quiet, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    first, warm = [], []
    try:
        with chromium() as browser:
            for i in range(runs):
                page = browser.new_page(viewport={"width": 360, "height": 740})
                page.route("**/api/**", lambda route: route.abort())
                page.goto(base + "/")
                box = page.locator("#kb-q-large")
                for n, query in enumerate((queries[i % len(queries)], queries[(i * 7 + 3) % len(queries)])):
                    box.fill(query[:-1])
                    started = time.perf_counter()
                    box.press_sequentially(query[-1])
                    page.locator(".kb-hero [role=option]").first.wait_for(timeout=10_000)
                    (first if n == 0 else warm).append((time.perf_counter() - started) * 1000)
                    box.fill("")
                    page.locator(".kb-hero [role=option]").first.wait_for(state="hidden", timeout=10_000)
                page.close()
    finally:
        server.shutdown()
    return {"runs": runs, "index_bytes": (project / "site" / "search" / "index.json").stat().st_size,
            "first_query_ms_median": round(statistics.median(first), 1),
            "later_query_ms_median": round(statistics.median(warm), 1)}


PAGE_BUDGET_KB = 120


def page_weight(project: Path) -> dict:
    """What a first visit to an article costs, in Chromium with an empty cache, under ``kb serve``:
    bytes on the wire (bodies as sent, compressed, plus headers) and requests, for the first
    article with a video and for the home page; then what a second article costs with the
    browser's cache warm (fingerprinted bundles are kept a year)."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser import chromium

    manifest = json.loads((project / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    articles = manifest["articles"]
    with_video = next((a for a in articles if a.get("videos")), articles[0])
    other = next(a for a in articles if a["id"] != with_video["id"])
    port = free_port()
    server = subprocess.Popen([KB, "serve", "--port", str(port), "-C", str(project)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, server)
        out = {}
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 390, "height": 800})
            for name, path in (("article (first view)", with_video["url"]), ("article (cache warm)", other["url"]),
                               ("home (first view)", "")):
                if name.startswith("home"):
                    context.close()
                    context = browser.new_context(viewport={"width": 390, "height": 800})
                page = context.new_page()
                sizes: list[int] = []

                def count(response, sizes=sizes) -> None:
                    try:
                        s = response.request.sizes()
                        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
                    except Exception:  # noqa: BLE001 - a request the page gave up on
                        pass

                page.on("requestfinished", lambda request, count=count: count(request.response()))
                page.goto(f"{base}/{path}", wait_until="networkidle")
                out[name] = {"path": "/" + path, "kb": round(sum(sizes) / 1024, 1), "requests": len(sizes)}
                page.close()
            context.close()
        return out
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_up(base: str, server: subprocess.Popen) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"kb serve did not start: {server.stderr.read()}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("kb serve did not answer /healthz within 60 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sample only, 10 s runs")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--sizes", default="sample,10000,banking77")
    args = parser.parse_args(argv)
    sizes = ["sample"] if args.quick else args.sizes.split(",")
    seconds = 10 if args.quick else args.seconds
    results = []
    fallback = {}
    weights: dict = {}
    with tempfile.TemporaryDirectory(prefix="kb-service-bench-") as tmp:
        for size in sizes:
            if size == "banking77":
                try:
                    project, queries = english_project(Path(tmp))
                except Unavailable as exc:
                    print(f"service_bench: banking77 skipped: {exc}")
                    continue
            else:
                project = make_project(size, Path(tmp))
                queries = queries_of(project)
            if size == "sample":
                say("sample: page weight in Chromium")
                weights = page_weight(project)
            say(f"{size}: the static fallback's first result in Chromium")
            fallback[size] = fallback_first_result(project, queries)
            say(json.dumps(fallback[size]))
            # cache 0: every request runs the engine (the honest worst case, queries all distinct
            # for the first ~2,000 requests); cache 2048: the default, as repeated questions get it.
            for cache in (0, 2048):
                for workers in (1, 2):
                    say(f"{size}: {workers} worker(s), cache {cache}, {args.clients} clients, {seconds:.0f} s")
                    row = {"kb": size, "workers": workers, "cache": cache, "clients": args.clients,
                           **run_one(project, queries, workers=workers, clients=args.clients, seconds=seconds,
                                     cache=cache)}
                    results.append(row)
                    say(json.dumps(row, ensure_ascii=False))
    print(f"{'kb':>8} {'workers':>7} {'cache':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'events=requests':>16}")
    for r in results:
        print(f"{r['kb']:>8} {r['workers']:>7} {r['cache']:>6} {r['rps']:>7} {r['p50_ms']:>7} {r['p99_ms']:>7} "
              f"{r['errors']:>6} "
              f"{str(r['events_recorded']) + '=' + str(r['answered']):>16}")
    for size, f in fallback.items():
        print(f"fallback search in Chromium, {size}: index {f['index_bytes'] // 1024} KB, first result "
              f"{f['first_query_ms_median']} ms after the keystroke (median of {f['runs']}), later "
              f"{f['later_query_ms_median']} ms")
    for name, w in weights.items():
        print(f"page weight, {name} {w['path']}: {w['kb']} KB in {w['requests']} requests")
    first = weights.get("article (first view)")
    if first:
        verdict = "ok" if first["kb"] <= PAGE_BUDGET_KB else "MISSED"
        print(f"budget: a first article view <= {PAGE_BUDGET_KB} KB transferred: {first['kb']} KB {verdict}")
    OUT.mkdir(exist_ok=True)
    (OUT / "service.json").write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results,
                                                  "fallback": fallback, "page_weight": weights}, indent=2),
                                      encoding="utf-8")
    ok = all(r["errors"] == 0 and r["events_equal_requests"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
