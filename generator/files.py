"""Reading writers' files safely: size limit, UTF-8, emptiness — each a located problem."""

from __future__ import annotations

from pathlib import Path

from kb_helpcenter.generator.model import Location, Problem

MAX_ARTICLE_BYTES = 1_000_000


def read_text(path: Path, rel: str, problems: list[Problem], *, limit: int = MAX_ARTICLE_BYTES) -> str | None:
    """Read a UTF-8 text file; report an empty, oversized, unreadable or non-UTF-8 file."""
    try:
        size = path.stat().st_size
        if size > limit:
            problems.append(Problem(
                Location(rel), "", f"file is {size / 1_000_000:.1f} MB; the limit is {limit // 1_000_000} MB",
                hint="split it into several articles; put large media next to it, not inside",
            ))
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(Location(rel), "", f"cannot read the file: {exc.strerror or exc}"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(Problem(
            Location(rel, line), "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            hint="re-save the file as UTF-8 in your editor",
        ))
        return None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        problems.append(Problem(Location(rel), "", "the file is empty",
                                hint="write the article or delete the file"))
        return None
    return text
