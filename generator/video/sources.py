"""Recognising video links: YouTube, Rutube, VK Video, Vimeo and direct video files.

:func:`parse_video_url` turns what a writer pastes into a :class:`VideoSource`: the provider,
the video id, a link to watch it at the provider, and the privacy-friendly player URL that the
page loads only when the reader presses play (YouTube through youtube-nocookie.com).

>>> s = parse_video_url("https://youtu.be/dQw4w9WgXcQ?t=1m30s")
>>> (s.provider, s.video_id, s.start, s.embed)
('youtube', 'dQw4w9WgXcQ', 90, 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start={start}')
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from kb_helpcenter.generator.model import VideoSource

SUPPORTED = (
    "YouTube (youtube.com/watch?v=…, youtu.be/…, youtube.com/shorts/…, youtube.com/embed/…)",
    "Rutube (rutube.ru/video/…)",
    "VK Video (vk.com/video…, vkvideo.ru/video…)",
    "Vimeo (vimeo.com/…)",
    "a direct .mp4 or .webm file",
)

_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VK_ID = re.compile(r"video(-?\d+)_(\d+)")
_HMS = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


def _seconds(value: str | None) -> int:
    """``90``, ``90s``, ``1m30s``, ``1h2m3s`` or ``1:30`` as seconds (0 when absent or odd)."""
    if not value:
        return 0
    value = value.strip().lower()
    if ":" in value:
        parts = value.split(":")
        if all(p.isdigit() for p in parts) and len(parts) <= 3:
            total = 0
            for part in parts:
                total = total * 60 + int(part)
            return total
        return 0
    match = _HMS.match(value)
    if not match or not any(match.groups()):
        return 0
    h, m, s = (int(g or 0) for g in match.groups())
    return h * 3600 + m * 60 + s


def _youtube(host: str, path: str, query: dict[str, list[str]], fragment: str) -> VideoSource | None:
    video_id = ""
    if host == "youtu.be":
        video_id = path.strip("/").split("/")[0]
    elif path == "/watch":
        video_id = (query.get("v") or [""])[0]
    else:
        match = re.match(r"^/(?:shorts|embed|live|v)/([^/?#]+)", path)
        video_id = match.group(1) if match else ""
    if not _YT_ID.match(video_id):
        return None
    start = _seconds((query.get("t") or query.get("start") or [""])[0]) or _seconds(fragment.removeprefix("t="))
    return VideoSource(
        "youtube", "YouTube", video_id, f"https://www.youtube.com/watch?v={video_id}",
        f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1&start={{start}}", start=start,
    )


def _rutube(path: str, query: dict[str, list[str]]) -> VideoSource | None:
    match = re.match(r"^/(?:video|play/embed|shorts)/([0-9a-f]{32})/?$", path)
    if not match:
        return None
    video_id = match.group(1)
    return VideoSource(
        "rutube", "Rutube", video_id, f"https://rutube.ru/video/{video_id}/",
        f"https://rutube.ru/play/embed/{video_id}/?autoplay=1&t={{start}}",
        start=_seconds((query.get("t") or [""])[0]),
    )


def _vk(path: str, query: dict[str, list[str]]) -> VideoSource | None:
    if path.startswith("/video_ext.php"):
        oid, vid = (query.get("oid") or [""])[0], (query.get("id") or [""])[0]
        if not (re.match(r"^-?\d+$", oid) and vid.isdigit()):
            return None
    else:
        match = _VK_ID.search(path + "?" + "&".join(f"{k}={v[0]}" for k, v in query.items()))
        if not match:
            return None
        oid, vid = match.groups()
    video_id = f"{oid}_{vid}"
    return VideoSource(
        "vk", "VK Видео", video_id, f"https://vkvideo.ru/video{video_id}",
        f"https://vkvideo.ru/video_ext.php?oid={oid}&id={vid}&hd=2&autoplay=1&t={{start}}s",
        start=_seconds((query.get("t") or [""])[0]),
    )


def _vimeo(host: str, path: str, fragment: str) -> VideoSource | None:
    match = re.match(r"^/(?:video/)?(\d+)(?:/[0-9a-f]+)?/?$", path)
    if not match:
        return None
    video_id = match.group(1)
    return VideoSource(
        "vimeo", "Vimeo", video_id, f"https://vimeo.com/{video_id}",
        f"https://player.vimeo.com/video/{video_id}?autoplay=1#t={{start}}s",
        start=_seconds(fragment.removeprefix("t=")),
    )


def parse_video_url(url: str) -> VideoSource | None:
    """Recognise ``url`` as a supported video; None when it is not one (see :data:`SUPPORTED`)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.hostname or ""
    host = host.removeprefix("www.").removeprefix("m.")
    query = parse_qs(parts.query)
    if host in ("youtube.com", "youtu.be", "youtube-nocookie.com", "music.youtube.com"):
        return _youtube(host, parts.path, query, parts.fragment)
    if host == "rutube.ru":
        return _rutube(parts.path, query)
    if host in ("vk.com", "vk.ru", "vkvideo.ru"):
        return _vk(parts.path, query)
    if host in ("vimeo.com", "player.vimeo.com"):
        return _vimeo(host, parts.path, parts.fragment)
    if parts.path.lower().endswith((".mp4", ".webm")):
        name = parts.path.rsplit("/", 1)[-1]
        start = _seconds(parts.fragment.removeprefix("t=").split(",")[0])
        base = url.split("#", 1)[0]
        return VideoSource("file", "файл", name, base, base + "#t={start}", kind="file", start=start)
    return None
