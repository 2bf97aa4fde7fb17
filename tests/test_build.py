"""`kb build`: the built site read back as a customer's browser would, and failures that keep it."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.model import ContentError

from conftest import KB, REPO, article, write_kb
from htmlcheck import parse, resolve


def test_small_site_pages_links_and_artefacts(small_kb):
    result = build(small_kb)
    site = small_kb / "site"
    assert result.articles == 2
    page = parse(site / "payment" / "terminal" / "index.html")
    assert page.h1 == ["Оплатили через терминал, а деньги не пришли"]
    assert page.classes["kb-summary"] == ["Кратко о том, оплатили через терминал, а деньги не пришли."]
    assert page.meta["description"] == "Кратко о том, оплатили через терминал, а деньги не пришли."
    assert "check" in page.ids  # the pinned anchor
    assert [c.strip() for c in page.classes["kb-crumbs"]] == ["Главная Payment"]
    assert "../../returns/refund/" in page.links  # the related article
    assert "../../returns/refund/#timing" in page.links  # the body link, .md resolved
    assert "https://example.com/support" in page.links  # "Не нашли ответ? Напишите нам"
    assert page.classes["kb-contact__text"] == ["Не нашли ответ? Напишите нам"]
    assert "Обновлено: 1 ноября 2026" in page.classes["kb-article-meta"][0]

    section = parse(site / "returns" / "index.html")
    assert section.h1 == ["Returns"]
    assert section.classes["kb-list__link"] == ["Когда вернутся деньги"]

    home = parse(site / "index.html")
    assert home.h1 == ["Чем мы можем помочь?"]
    assert [t.strip() for t in home.classes["kb-card__title"]] == ["Payment", "Returns"]

    assert (site / "returns" / "images" / "scheme.svg").exists()
    assert (site / "404.html").exists()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://help.example/returns/refund/" in sitemap

    stub = parse(site / "a" / "refund" / "index.html")
    assert stub.meta["canonical"] == "https://help.example/returns/refund/"
    assert stub.meta["refresh"] == "0; url=../../returns/refund/"

    manifest = json.loads((small_kb / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    record = {a["id"]: a for a in manifest["articles"]}["refund"]
    assert record["url"] == "returns/refund/"
    assert record["headings"] == [{"id": "timing", "title": "Сроки возврата", "level": 2}]
    assert record["body"].startswith("Сроки возврата\nДо 10 дней.")
    assert record["aliases"] == ["первый вопрос", "второй вопрос"]
    assert record["section"] == "Returns" and record["lang"] == "ru"


def test_cyrillic_headings_get_readable_anchors(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "A", "## Настройка APN на Android\n\nТекст.\n")})
    build(project)
    page = parse(project / "site" / "s" / "a" / "index.html")
    assert "настройка-apn-на-android" in page.ids


def test_drafts_and_archived_are_not_published(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/s/live.md": article("live", "Живая"),
        "kb/s/draft.md": article("draft", "Черновик", status="draft"),
        "kb/s/old.md": article("old", "Архив", status="archived"),
        "kb/_drafts/idea.md": article("idea", "Идея"),
    })
    build(project)
    site = project / "site"
    assert (site / "s" / "live" / "index.html").exists()
    for missing in ("s/draft", "s/old", "_drafts/idea", "a/draft"):
        assert not (site / missing).exists(), missing
    build(project, drafts=True)
    assert (site / "s" / "draft" / "index.html").exists()
    assert (site / "_drafts" / "idea" / "index.html").exists()
    assert not (site / "s" / "old").exists()
    assert "Черновик" in parse(site / "s" / "draft" / "index.html").classes["admonition-title"]


@pytest.mark.parametrize("breakage", [
    ("kb/s/a.md", "---\nid: a\ntitle: [oops\n---\n"),
    ("kb/s/a.md", b"---\nid: a\ntitle: \xd2\xe5\xf1\xf2\n---\n"),
    ("kb/s/a.md", ""),
    ("kb/s/a.md", article("a", "A", "x " * 600_000)),
    ("kb/s/a.md", article("a", "A", aliases="[[список, в списке]]")),
    ("kb/s/a.md", article("ok", "Дубликат")),
])
def test_a_failing_build_leaves_the_previous_site_untouched(tmp_path, breakage):
    project = write_kb(tmp_path / "p", {"kb/s/ok.md": article("ok", "Хорошая")})
    build(project)
    before = {p.relative_to(project / "site"): p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    rel, content = breakage
    write_kb(project, {rel: content}, config=None)
    with pytest.raises(ContentError) as caught:
        build(project)
    assert caught.value.problems and all(p.location.path.startswith("kb/") for p in caught.value.problems)
    after = {p.relative_to(project / "site"): p.read_bytes() for p in (project / "site").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in (project / ".kb").iterdir() if p.name.startswith("site-")]


def test_builder_failure_keeps_the_site_and_cleans_up(tmp_path):
    project = write_kb(tmp_path / "p", {"kb/s/ok.md": article("ok", "Хорошая")})
    build(project)
    index = (project / "site" / "index.html").read_bytes()
    (project / "mkdocs.yml").write_text("site_name: X\nnot_a_mkdocs_option: [\n", encoding="utf-8")
    with pytest.raises(ContentError):
        build(project)
    assert (project / "site" / "index.html").read_bytes() == index


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "kb", project / "kb")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    result = build(project, strict=True)
    assert result.warnings == []
    return project


def test_sample_has_enough_real_content(sample_site):
    manifest = json.loads((sample_site / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    articles = manifest["articles"]
    assert len(articles) >= 40
    assert len({a["section_id"].split("/")[0] for a in articles}) >= 6
    assert all(a["summary"] and len(a["aliases"]) >= 3 for a in articles)
    assert sum(1 for a in articles if a["videos"]) >= 8
    assert len(manifest["synonyms"]) >= 10


def test_sample_every_article_at_its_url_and_no_broken_internal_link(sample_site):
    site = sample_site / "site"
    manifest = json.loads((sample_site / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    for record in manifest["articles"]:
        page = parse(site / record["url"] / "index.html")
        assert page.h1 == [record["title"]]
        assert page.classes["kb-summary"] == [" ".join(record["summary"].split())]
        assert (site / "a" / record["id"] / "index.html").exists()
    broken = []
    for html_file in site.rglob("*.html"):
        page = parse(html_file)
        for href in page.links + page.images:
            target = resolve(site, html_file, href)
            if target is None:
                continue
            path, anchor = target
            if not path.exists():
                broken.append(f"{html_file.relative_to(site)} -> {href}")
            elif anchor and path.suffix == ".html" and anchor not in parse(path).ids:
                broken.append(f"{html_file.relative_to(site)} -> {href} (anchor)")
    assert broken == []


def test_sample_section_pages_list_their_articles(sample_site):
    site = sample_site / "site"
    manifest = json.loads((sample_site / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    by_section: dict[str, set[str]] = {}
    for record in manifest["articles"]:
        by_section.setdefault(record["section_id"], set()).add(record["title"])
    for section_id, titles in by_section.items():
        page = parse(site / section_id / "index.html")
        assert set(page.classes["kb-list__link"]) == titles


def test_site_hosted_apart_from_the_api_points_at_it(tmp_path):
    from conftest import MKDOCS_YML

    config = MKDOCS_YML + "    api_url: https://api.help.example/\n"
    project = write_kb(tmp_path / "p", {"kb/s/a.md": article("a", "A")}, config=config)
    build(project)
    assert parse(project / "site" / "s" / "a" / "index.html").meta["kb-api"] == "https://api.help.example/"
    (project / "mkdocs.yml").write_text(MKDOCS_YML + "    api_url: ftp://x\n", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        build(project)
    assert caught.value.problems[0].format().startswith("mkdocs.yml: extra.kb.api_url: expected the service's address")


def _many(n: int) -> dict[str, str]:
    return {f"kb/s{i % 5}/a{i}.md": article(f"a{i}", f"Статья номер {i}", "## Раздел\n\nТекст статьи. " * 40 + "\n")
            for i in range(n)}


def _kill_mid_build(project: Path, sig: int) -> subprocess.CompletedProcess | int:
    """Start `kb build`, wait until its generation folder has a site in it, send ``sig``; the exit status."""
    proc = subprocess.Popen([KB, "build", "-C", str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((project / ".kb" / "generations").glob(f"*-{proc.pid}/site/*")):
        assert proc.poll() is None, "the build finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    proc.send_signal(sig)
    return proc.wait(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_build_ended_by_a_signal_leaves_nothing_behind(tmp_path, sig):
    project = write_kb(tmp_path / "p", _many(300))
    build(project)
    before = sorted(p.relative_to(project / "site") for p in (project / "site").rglob("*"))
    generations = sorted((project / ".kb" / "generations").iterdir())
    assert _kill_mid_build(project, sig) == 128 + sig
    assert not [p.name for p in (project / ".kb").iterdir() if p.name.startswith("site-")]
    assert sorted((project / ".kb" / "generations").iterdir()) == generations  # its own went
    assert sorted(p.relative_to(project / "site") for p in (project / "site").rglob("*")) == before


def test_the_next_build_removes_what_a_killed_one_left(tmp_path):
    project = write_kb(tmp_path / "p", _many(300))
    assert _kill_mid_build(project, signal.SIGKILL) == -signal.SIGKILL
    left = list((project / ".kb" / "generations").iterdir())
    assert left and not (project / ".kb" / "current").exists()  # kill -9 cannot be caught; nothing current
    done = subprocess.run([KB, "build", "-C", str(project)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (project / ".kb" / "generations").iterdir()] == [(project / ".kb" / "current").resolve().name]
    assert not [p.name for p in (project / ".kb").iterdir() if p.name.startswith("site-")]
    assert (project / "site" / "index.html").is_file()


def test_site_index_and_manifest_switch_together(tmp_path, serve):
    """Pages and search answers never come from two builds: a client that has seen build N in
    one never gets build N-1 from the other afterwards, and a build killed at any point leaves
    the previous one current and whole."""
    import httpx

    def write(version: int) -> None:
        write_kb(project, {"kb/s/page.md": article("page", f"Версия {version} статьи", f"Текст версии {version}.\n")},
                 config=None)

    project = write_kb(tmp_path / "p", _many(150))
    write(1)
    build(project)
    base = serve(project)
    seen: list[tuple[str, int]] = []
    failures: list[str] = []
    stop = threading.Event()

    def version_of(text: str) -> int:
        match = re.search(r"Версия (\d+) статьи", text)
        return int(match.group(1)) if match else -1

    def watch() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                page = client.get(base + "/s/page/")
                found = client.get(base + "/api/search", params={"q": "версия статьи"})
                if page.status_code != 200 or found.status_code != 200:
                    failures.append(f"{page.status_code} {found.status_code}")
                    continue
                seen.append(("page", version_of(page.text)))
                hit = next((h for h in found.json()["hits"] if h["id"] == "page"), None)
                seen.append(("search", version_of(hit["title"]) if hit else -1))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for version in (2, 3, 4):
            write(version)
            done = subprocess.run([KB, "build", "-C", str(project)], capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
        write(5)
        assert _kill_mid_build(project, signal.SIGKILL) == -signal.SIGKILL  # version 5 never becomes current
        time.sleep(0.5)
    finally:
        stop.set()
        watcher.join(timeout=60)
    assert failures == []
    versions = [v for _, v in seen]
    assert -1 not in versions and versions == sorted(versions), versions  # never back, never a mix
    assert versions[0] == 1 and versions[-1] == 4
    assert set(versions) <= {1, 2, 3, 4}


def test_the_generation_before_the_current_one_is_kept(tmp_path):
    # a request that started on the previous build may still be reading it
    project = write_kb(tmp_path / "p", {"kb/s/ok.md": article("ok", "Хорошая")})
    for _ in range(3):
        done = subprocess.run([KB, "build", "-C", str(project)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    generations = sorted(p.name for p in (project / ".kb" / "generations").iterdir())
    assert len(generations) == 2 and (project / ".kb" / "current").resolve().name == generations[-1]
