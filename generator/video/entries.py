"""Video entries of an article's front matter: times, chapters, transcripts, posters.

Every entry is checked here so a broken one is a located problem: the link must be a supported
video (:mod:`generator.video.sources`), times must be times, files must exist, and a transcript
must parse (:mod:`generator.video.transcripts`). How a video is shown is :mod:`generator.video.render`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kb_helpcenter.generator.files import read_text
from kb_helpcenter.generator.model import Chapter, Cue, Location, Problem, Video
from kb_helpcenter.generator.video.sources import SUPPORTED, parse_video_url
from kb_helpcenter.generator.video.transcripts import parse_transcript

_TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$|^(\d+)$")
_HMS_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
VIDEO_KEYS = ("url", "title", "start", "chapters", "transcript", "poster")
TRANSCRIPT_SUFFIXES = (".vtt", ".srt", ".txt")


def parse_time(value: Any) -> int | None:
    """Seconds from ``90``, ``"90"``, ``"1:30"``, ``"1:02:03"`` or ``"1m30s"``; None if malformed.

    >>> [parse_time(v) for v in (90, "1:30", "1:02:03", "1m30s", "x")]
    [90, 90, 3723, 90, None]
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _TIME_RE.match(text)
    if match:
        if match.group(4):
            return int(match.group(4))
        hours, minutes, seconds = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
        return hours * 3600 + minutes * 60 + seconds if seconds < 60 else None
    match = _HMS_RE.match(text)
    if match and any(match.groups()):
        h, m, s = (int(g or 0) for g in match.groups())
        return h * 3600 + m * 60 + s
    return None


def parse_videos(entries: list[dict], *, path: Path, rel: str, line: int) -> tuple[tuple[Video, ...], list[Problem]]:
    """Turn ``videos:`` entries into :class:`Video` objects; files are looked up next to ``path``."""
    videos: list[Video] = []
    problems: list[Problem] = []
    where = Location(rel, line)
    for i, entry in enumerate(entries, 1):
        field = f"videos[{i}]"
        unknown = [k for k in entry if k not in VIDEO_KEYS]
        for key in unknown:
            problems.append(Problem(where, f"{field}.{key}", "unknown video key",
                                    hint="video keys: " + ", ".join(VIDEO_KEYS)))
        url = str(entry.get("url", "")).strip()
        source = parse_video_url(url)
        if source is None:
            problems.append(Problem(where, f"{field}.url", f"not a supported video link: {url!r}",
                                    hint="supported: " + "; ".join(SUPPORTED)))
            continue
        start = parse_time(entry["start"]) if "start" in entry else source.start
        if start is None:
            problems.append(Problem(where, f"{field}.start", f"bad time {entry.get('start')!r}",
                                    hint="write seconds (90) or minutes:seconds (\"1:30\")"))
            start = 0
        chapters: list[Chapter] = []
        raw_chapters = entry.get("chapters") or []
        if not isinstance(raw_chapters, list):
            problems.append(Problem(where, f"{field}.chapters", "expected a list of {t, title}"))
            raw_chapters = []
        for j, chapter in enumerate(raw_chapters, 1):
            seconds = parse_time(chapter.get("t")) if isinstance(chapter, dict) else None
            title = chapter.get("title") if isinstance(chapter, dict) else None
            if seconds is None or not isinstance(title, str) or not title.strip():
                problems.append(Problem(where, f"{field}.chapters[{j}]", "expected {t: \"0:45\", title: ...}",
                                        hint="each chapter needs a time `t` and a `title`"))
                continue
            chapters.append(Chapter(seconds, title.strip()))
        transcript = entry.get("transcript")
        cues: tuple[Cue, ...] = ()
        if transcript is not None:
            transcript = str(transcript)
            transcript_path = path.parent / transcript
            if not transcript.lower().endswith(TRANSCRIPT_SUFFIXES):
                problems.append(Problem(where, f"{field}.transcript", f"{transcript!r} is not .vtt, .srt or .txt"))
                transcript = None
            elif not transcript_path.is_file():
                problems.append(Problem(where, f"{field}.transcript",
                                        f"file {transcript!r} not found next to the article"))
                transcript = None
            else:
                transcript_rel = f"{rel.rsplit('/', 1)[0]}/{transcript}"
                text = read_text(transcript_path, transcript_rel, problems)
                if text is not None:
                    cues, found = parse_transcript(text, suffix=transcript_path.suffix, rel=transcript_rel)
                    problems.extend(found)
        poster = entry.get("poster")
        if poster is not None:
            poster = str(poster)
            if not (path.parent / poster).is_file():
                problems.append(Problem(where, f"{field}.poster", f"image {poster!r} not found next to the article"))
                poster = None
        title = entry.get("title")
        videos.append(Video(url=url, source=source, title=str(title).strip() if title else "", start=start,
                            chapters=tuple(chapters), transcript=transcript, poster=poster, cues=cues))
    return tuple(videos), problems
