"""Video transcripts: WebVTT, SubRip (.srt) and plain text, read into timed cues.

A transcript makes a video searchable: a question answered only in the video still finds the
article. A malformed file is a located problem (``file:line``), never silently skipped.

>>> cues, problems = parse_transcript("WEBVTT\\n\\n00:01.000 --> 00:04.000\\nПривет\\n", suffix=".vtt", rel="x.vtt")
>>> cues, problems
((Cue(start=1.0, text='Привет'),), [])
"""

from __future__ import annotations

import re

from kb_helpcenter.generator.model import Cue, Location, Problem

_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_TAG = re.compile(r"<[^>]+>")


def _clock(value: str) -> float:
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _timed(text: str, *, rel: str, vtt: bool) -> tuple[tuple[Cue, ...], list[Problem]]:
    lines = text.splitlines()
    problems: list[Problem] = []
    cues: list[Cue] = []
    first = 0
    if vtt:
        if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            return (), [Problem(Location(rel, 1), "", "a WebVTT file must start with the line WEBVTT",
                                hint="add WEBVTT and an empty line at the top")]
        first = 1
    i = first
    last_start = -1.0
    while i < len(lines):
        line = lines[i].strip()
        if not line or line.startswith(("NOTE", "STYLE", "REGION")) or (line.isdigit() and not vtt):
            if line.startswith(("NOTE", "STYLE", "REGION")):  # skip the whole block
                while i < len(lines) and lines[i].strip():
                    i += 1
            i += 1
            continue
        timing = _TIMING.match(line)
        if not timing:
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if vtt and _TIMING.match(nxt):  # a cue identifier line
                i += 1
                continue
            problems.append(Problem(Location(rel, i + 1), "",
                                    f"expected a cue timing like 00:00:05.000 --> 00:00:09.000, found {line[:40]!r}"))
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        start, end = _clock(timing["start"]), _clock(timing["end"])
        if end < start:
            problems.append(Problem(Location(rel, i + 1), "", "the cue ends before it starts"))
        if start < last_start:
            problems.append(Problem(Location(rel, i + 1), "", "cues must be in time order"))
        last_start = start
        i += 1
        words = []
        while i < len(lines) and lines[i].strip():
            words.append(_TAG.sub("", lines[i]).strip())
            i += 1
        if not words:
            problems.append(Problem(Location(rel, i), "", "a cue without text"))
            continue
        cues.append(Cue(start, " ".join(words)))
    if not cues and not problems:
        problems.append(Problem(Location(rel, 1), "", "the transcript has no cues"))
    return tuple(cues), problems


_PLAIN_TIME = re.compile(r"^\[?(?P<t>(?:\d+:)?\d{1,2}:\d{2})\]?\s+(?P<text>.+)$")


def _plain(text: str, *, rel: str) -> tuple[tuple[Cue, ...], list[Problem]]:
    """Plain text: one paragraph per line; an optional leading ``0:45`` or ``[0:45]`` times it."""
    cues = []
    last = 0.0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _PLAIN_TIME.match(line)
        if match:
            last = _clock(match["t"])
            line = match["text"]
        cues.append(Cue(last, line))
    if not cues:
        return (), [Problem(Location(rel, 1), "", "the transcript is empty")]
    return tuple(cues), []


def parse_transcript(text: str, *, suffix: str, rel: str) -> tuple[tuple[Cue, ...], list[Problem]]:
    """Cues of a transcript file (by its ``suffix``), and its problems located in ``rel``."""
    suffix = suffix.lower()
    if suffix == ".vtt":
        return _timed(text, rel=rel, vtt=True)
    if suffix == ".srt":
        return _timed(text, rel=rel, vtt=False)
    return _plain(text, rel=rel)


def clock_text(seconds: float) -> str:
    """``95`` as ``1:35``, ``3725`` as ``1:02:05``."""
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
