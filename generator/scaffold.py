"""``kb init``: a new help-center project from the starter shipped in the package."""

from __future__ import annotations

import shutil
from pathlib import Path

STARTER = Path(__file__).resolve().parent / "starter"


class ProjectExistsError(ValueError):
    """The target folder is not empty; kb init never mixes with existing files."""


def init_project(target: Path) -> list[Path]:
    """Create a project in ``target`` (missing or empty); return the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectExistsError(f"{target} is not empty; choose a new folder")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(STARTER.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        rel = source.relative_to(STARTER)
        name = ".gitignore" if rel.as_posix() == "gitignore" else rel.as_posix()
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        written.append(dest)
    return written
