"""Videos: every provider and time format, facades with no third-party request, transcripts."""

from __future__ import annotations

import json
import re

import pytest

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.video.sources import parse_video_url
from kb_helpcenter.generator.video.transcripts import parse_transcript

from conftest import article, write_kb
from htmlcheck import parse

YT = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start={start}"


@pytest.mark.parametrize(("url", "provider", "video_id", "start", "embed"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ", 0, YT),
    ("https://youtube.com/watch?v=dQw4w9WgXcQ&t=90", "youtube", "dQw4w9WgXcQ", 90, YT),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=1m30s", "youtube", "dQw4w9WgXcQ", 90, YT),
    ("https://youtu.be/dQw4w9WgXcQ?t=1h2m3s", "youtube", "dQw4w9WgXcQ", 3723, YT),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ", 0, YT),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?start=45", "youtube", "dQw4w9WgXcQ", 45, YT),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ#t=2m", "youtube", "dQw4w9WgXcQ", 120, YT),
    ("https://rutube.ru/video/0123456789abcdef0123456789abcdef/", "rutube", "0123456789abcdef0123456789abcdef", 0,
     "https://rutube.ru/play/embed/0123456789abcdef0123456789abcdef/?autoplay=1&t={start}"),
    ("https://rutube.ru/video/0123456789abcdef0123456789abcdef/?t=75", "rutube", "0123456789abcdef0123456789abcdef", 75,
     "https://rutube.ru/play/embed/0123456789abcdef0123456789abcdef/?autoplay=1&t={start}"),
    ("https://vk.com/video-12345678_456239017", "vk", "-12345678_456239017", 0,
     "https://vkvideo.ru/video_ext.php?oid=-12345678&id=456239017&hd=2&autoplay=1&t={start}s"),
    ("https://vkvideo.ru/video-12345678_456239017?t=1m5s", "vk", "-12345678_456239017", 65,
     "https://vkvideo.ru/video_ext.php?oid=-12345678&id=456239017&hd=2&autoplay=1&t={start}s"),
    ("https://vk.com/video_ext.php?oid=-1&id=2&hash=abc", "vk", "-1_2", 0,
     "https://vkvideo.ru/video_ext.php?oid=-1&id=2&hd=2&autoplay=1&t={start}s"),
    ("https://vimeo.com/76979871", "vimeo", "76979871", 0, "https://player.vimeo.com/video/76979871?autoplay=1#t={start}s"),
    ("https://vimeo.com/76979871#t=30s", "vimeo", "76979871", 30, "https://player.vimeo.com/video/76979871?autoplay=1#t={start}s"),
    ("https://player.vimeo.com/video/76979871", "vimeo", "76979871", 0, "https://player.vimeo.com/video/76979871?autoplay=1#t={start}s"),
    ("https://cdn.example.com/help/fridge.mp4", "file", "fridge.mp4", 0, "https://cdn.example.com/help/fridge.mp4#t={start}"),
    ("https://cdn.example.com/help/fridge.webm#t=12", "file", "fridge.webm", 12, "https://cdn.example.com/help/fridge.webm#t={start}"),
])
def test_supported_links(url, provider, video_id, start, embed):
    source = parse_video_url(url)
    assert (source.provider, source.video_id, source.start, source.embed) == (provider, video_id, start, embed)


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=short", "https://example.com/page", "https://rutube.ru/video/xyz/",
    "https://vk.com/club123", "ftp://cdn.example.com/a.mp4", "youtube.com/watch?v=dQw4w9WgXcQ", "https://vimeo.com/channels/x",
])
def test_unsupported_links(url):
    assert parse_video_url(url) is None


def test_unsupported_video_is_a_located_error_listing_providers(tmp_path):
    from kb_helpcenter.generator.build import check

    project = write_kb(tmp_path / "p", {"kb/s/a.md": article(
        "a", "A", videos="\n  - url: https://example.com/watch/1\n    title: Ролик\n  - url: https://youtu.be/dQw4w9WgXcQ\n    start: 1:75")})
    problems = [(p.location.line, p.field, p.message, p.hint) for p in check(project).errors]
    assert problems[0][:3] == (9, "videos[1].url", "not a supported video link: 'https://example.com/watch/1'")
    assert problems[0][3].startswith("supported: YouTube (youtube.com/watch?v=…, youtu.be/…")
    assert problems[1][:3] == (9, "videos[2].start", "bad time '1:75'")


VTT = """WEBVTT

1
00:00:05.000 --> 00:00:09.500
Откройте приложение <b>«Вольта Дом»</b>.

00:01:10.000 --> 00:01:15.000
Если на дисплее код E7 — пароль Wi-Fi введён неверно.
"""


def test_transcript_formats():
    cues, problems = parse_transcript(VTT, suffix=".vtt", rel="t.vtt")
    assert problems == []
    assert [(c.start, c.text) for c in cues] == [
        (5.0, "Откройте приложение «Вольта Дом»."), (70.0, "Если на дисплее код E7 — пароль Wi-Fi введён неверно.")]
    srt = "1\n00:00:01,000 --> 00:00:02,000\nПривет\n\n2\n00:00:03,500 --> 00:00:04,000\nМир\n"
    assert [(c.start, c.text) for c in parse_transcript(srt, suffix=".srt", rel="t.srt")[0]] == [(1.0, "Привет"), (3.5, "Мир")]
    txt = "0:00 Вступление\n[1:30] Настройка\nбез времени\n"
    assert [(c.start, c.text) for c in parse_transcript(txt, suffix=".txt", rel="t.txt")[0]] == [
        (0.0, "Вступление"), (90.0, "Настройка"), (90.0, "без времени")]


@pytest.mark.parametrize(("text", "expected"), [
    ("00:00:01.000 --> 00:00:02.000\nнет заголовка\n", "t.vtt:1: a WebVTT file must start with the line WEBVTT\n    hint: add WEBVTT and an empty line at the top"),
    ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nстрелка\n", "t.vtt:3: expected a cue timing like 00:00:05.000 --> 00:00:09.000, found '00:00:01.000 -> 00:00:02.000'"),
    ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nназад\n", "t.vtt:3: the cue ends before it starts"),
    ("WEBVTT\n\n", "t.vtt:1: the transcript has no cues"),
])
def test_malformed_transcripts_are_located(text, expected):
    _, problems = parse_transcript(text, suffix=".vtt", rel="t.vtt")
    assert [p.format() for p in problems] == [expected]


def test_malformed_transcript_fails_the_check_at_its_line(tmp_path):
    from kb_helpcenter.generator.build import check

    project = write_kb(tmp_path / "p", {
        "kb/s/a.md": article("a", "A", videos="\n  - url: https://youtu.be/dQw4w9WgXcQ\n    transcript: a.vtt"),
        "kb/s/a.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\nне время\nтекст\n",
    })
    assert [p.format() for p in check(project).errors] == [
        "kb/s/a.vtt:6: expected a cue timing like 00:00:05.000 --> 00:00:09.000, found 'не время'"]


@pytest.fixture
def video_site(tmp_path):
    project = write_kb(tmp_path / "p", {
        "kb/s/fridge.md": article(
            "fridge", "Как подключить холодильник",
            "Сначала посмотрите видео.\n\nhttps://vimeo.com/76979871\n\n```\nhttps://youtu.be/dQw4w9WgXcQ\n```\n",
            videos=("\n  - url: https://youtu.be/dQw4w9WgXcQ?t=15\n    title: Подключение за 3 минуты"
                    "\n    chapters:\n      - {t: \"0:45\", title: Режим подключения}\n      - {t: 90, title: Пароль}"
                    "\n    transcript: fridge.vtt\n    poster: images/poster.svg"
                    "\n  - url: https://rutube.ru/video/0123456789abcdef0123456789abcdef/")),
        "kb/s/fridge.vtt": VTT,
        "kb/s/images/poster.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 9"/>',
        "kb/t/other.md": article("other", "Другая статья"),
    })
    build(project)
    return project


THIRD_PARTY = re.compile(r"""\b(?:src|href)\s*=\s*["']https?://(?!help\.example)[^"']*""")


def test_built_page_has_facades_and_no_third_party_src(video_site):
    html = (video_site / "site" / "s" / "fridge" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<(?:iframe|video)\b', html) == []
    assert not re.findall(r"""\bsrc\s*=\s*["']https?://""", html)
    page = parse(video_site / "site" / "s" / "fridge" / "index.html")
    assert {"video-1", "video-2", "video-3"} <= page.ids
    assert page.classes["kb-video__caption"][0].startswith("Подключение за 3 минуты")
    assert page.classes["kb-video__title"] == ["Как подключить холодильник", "Как подключить холодильник"]  # no poster
    assert "../images/poster.svg" in page.images
    assert (video_site / "site" / "s" / "images" / "poster.svg").exists()
    assert "Смотреть на YouTube" in page.classes["kb-video__caption"][0]
    assert [t.split()[0] for t in page.classes["kb-video__chapters"][0].split("  ") if t][:1] == ["0:45"]
    assert "код E7" in page.classes["kb-video__transcript"][0]
    assert "https://youtu.be/dQw4w9WgXcQ" in html.split("<pre")[1]  # the link in a code block stays text
    links = [a for a in page.links if a.startswith("http")]
    assert "https://www.youtube.com/watch?v=dQw4w9WgXcQ" in links and "https://vimeo.com/76979871" in links


def test_videos_page_lists_every_video_by_section(video_site):
    page = parse(video_site / "site" / "videos" / "index.html")
    assert page.h1 == ["Видеоинструкции"]
    assert "../s/fridge/#video-1" in page.links and "../s/fridge/#video-2" in page.links
    assert "videos/" in parse(video_site / "site" / "index.html").links


def test_transcript_goes_to_the_manifest_with_its_anchor(video_site):
    manifest = json.loads((video_site / ".kb" / "manifest.json").read_text(encoding="utf-8"))
    videos = {a["id"]: a for a in manifest["articles"]}["fridge"]["videos"]
    assert videos[0]["anchor"] == "video-1" and videos[0]["title"] == "Подключение за 3 минуты"
    assert videos[0]["transcript"][1] == {"start": 70.0, "text": "Если на дисплее код E7 — пароль Wi-Fi введён неверно."}


def test_click_inserts_the_player_at_the_right_time(video_site, tmp_path):
    import http.server
    import threading
    from functools import partial

    from browser import chromium

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(video_site / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            page.goto(base + "/s/fridge/")
            assert page.locator("iframe").count() == 0
            page.screenshot(path=str(tmp_path / "facade.png"))
            assert [u for u in requests if not u.startswith(base)] == []

            page.locator("#video-1 .kb-video__play").focus()
            page.keyboard.press("Enter")
            frame = page.locator("#video-1 iframe")
            assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=15"
            page.locator("#video-1 .kb-video__chapters button").nth(1).click()
            assert page.locator("#video-1 iframe").get_attribute("src").endswith("start=90")
            page.locator("#video-1 .kb-video__transcript summary").click()
            page.locator("#video-1 .kb-video__transcript button").nth(1).click()
            assert page.locator("#video-1 iframe").get_attribute("src").endswith("start=70")

            page.locator("#video-2 .kb-video__play").click()
            assert page.locator("#video-2 iframe").get_attribute("src") == (
                "https://rutube.ru/play/embed/0123456789abcdef0123456789abcdef/?autoplay=1&t=0")
            page.locator("#video-3 .kb-video__play").click()
            assert page.locator("#video-3 iframe").get_attribute("src") == "https://player.vimeo.com/video/76979871?autoplay=1#t=0s"

            page.goto(base + "/t/other/")
            page.goto(base + "/s/fridge/#video-1-t70")
            page.wait_for_selector("#video-1 .kb-video__from")
            assert page.locator("#video-1 iframe").count() == 0  # a moment link does not load the player
            assert page.locator("#video-1 .kb-video__from").inner_text() == "С 1:10"
            page.locator("#video-1 .kb-video__play").click()
            assert page.locator("#video-1 iframe").get_attribute("src").endswith("start=70")
            page.screenshot(path=str(tmp_path / "player.png"))
    finally:
        server.shutdown()


def test_transcript_words_find_the_article_at_the_moment(video_site):
    from click.testing import CliRunner

    from kb_helpcenter.generator.cli import main

    result = CliRunner().invoke(main, ["search", "код E7 пароль Wi-Fi неверно", "--json", "-C", str(video_site)])
    hit = json.loads(result.stdout)["hits"][0]
    assert hit["id"] == "fridge"
    assert hit["url"] == "s/fridge/#video-1-t70"  # the cue at 1:10 says it
    assert "<mark>E7</mark>" in hit["snippet"]
    plain = json.loads(CliRunner().invoke(main, ["search", "холодильник", "--json", "-C", str(video_site)]).stdout)
    assert plain["hits"][0]["url"] == "s/fridge/"  # the text answers: no jump into the video
