"""One build, one generation: the site, the search index and the manifest switch together.

``kb build`` writes everything into a new folder ``.kb/generations/<id>/`` (``site/``,
``index/``, ``manifest.json``) and then makes it current with one rename of the symlink
``.kb/current``. ``kb serve`` reads all three through ``current`` (``.kb/index`` and
``.kb/manifest.json`` are fixed links into it), so a running service goes from one build to the
next at one instant, never showing pages of one build with search results of another, and a
build killed at any point leaves the previous generation current and whole.

The project's ``site/`` folder, for static hosts, is a copy of the current generation's site
made of hard links (no second copy on disk), swapped in whole after the switch.

    >>> generation = new_generation(state)       # .kb/generations/<ns>-<pid>/
    >>> ...                                        # write site/, index/, manifest.json into it
    >>> make_current(state, generation)            # one rename; older generations pruned
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

GENERATIONS = "generations"
#: A file in every generation that became current (so a later build keeps the previous one).
SERVED = ".served"
CURRENT = "current"
#: Fixed links into the current generation, where older code and tools look.
LINKS = {"index": f"{CURRENT}/index", "manifest.json": f"{CURRENT}/manifest.json"}
_OWNED = re.compile(r"^(?:site-|\d+-)(\d+)(?:-|$)")


def new_generation(state: Path) -> Path:
    """A new, empty generation folder named by the time and this process (so a later build can
    tell one whose builder was killed)."""
    folder = state / GENERATIONS / f"{time.time_ns()}-{os.getpid()}"
    folder.mkdir(parents=True)
    return folder


def current(state: Path) -> Path | None:
    """The current generation's folder, if a build made one."""
    link = state / CURRENT
    return link.resolve() if link.is_symlink() and link.exists() else None


def _link(path: Path, target: str) -> None:
    """Point the symlink ``path`` at ``target`` in one rename (whatever ``path`` was before)."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)  # an older layout's plain folder
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, path)


def make_current(state: Path, generation: Path) -> Path | None:
    """Make ``generation`` current (one rename), keep the fixed links, prune all but this one and
    the one before it (a request that started on it may still be reading). Returns the previous."""
    previous = current(state)
    (generation / SERVED).touch()  # it was current once: never taken for a killed build's leftover
    _link(state / CURRENT, f"{GENERATIONS}/{generation.name}")
    for name, target in LINKS.items():
        _link(state / name, target)
    keep = {generation.name, previous.name if previous else None}
    for old in (state / GENERATIONS).iterdir():
        if old.is_dir() and old.name not in keep and not _building_elsewhere(old.name):
            shutil.rmtree(old, ignore_errors=True)
    for old in state.glob("index-*"):  # the older layout's index folders
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    (state / "csp.json").unlink(missing_ok=True)  # hashes of inline scripts: there are none any more
    return previous


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


def _owner(name: str) -> int | None:
    owner = _OWNED.match(name)
    return int(owner.group(1)) if owner else None


def _building_elsewhere(name: str) -> bool:
    """Whether the folder belongs to another build that is still running."""
    pid = _owner(name)
    return pid is not None and pid != os.getpid() and _alive(pid)


def remove_stale_work(state: Path) -> int:
    """Remove what killed builds left: generations that never became current and temporary
    site folders, whose builder process is gone. Returns how many folders went."""
    removed = 0
    now = current(state)
    generations = state / GENERATIONS
    for path in [*state.glob("site-*"), *(generations.iterdir() if generations.is_dir() else ())]:
        if not path.is_dir() or path.name.startswith("site-old-") or path == now or (path / SERVED).exists():
            continue  # the current generation, and the one before it (make_current prunes older ones)
        pid = _owner(path.name)
        if pid is None:  # an older kb's folder, without an owner in its name
            stale = time.time() - path.stat().st_mtime > 3600
        else:
            stale = pid != os.getpid() and not _alive(pid)
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def export_site(generation_site: Path, site: Path, *, state: Path) -> None:
    """Make ``site`` (the project's ``site/``) a copy of the generation's site, of hard links,
    swapped in whole: two renames, the old tree removed only afterwards."""
    staging = state / f"site-{os.getpid()}-export"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(generation_site, staging, copy_function=os.link)
    except OSError:  # another file system: a plain copy
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(generation_site, staging)
    old = None
    if site.exists():
        old = state / f"site-old-{time.time_ns()}"
        site.rename(old)
    staging.rename(site)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    for stale in state.glob("site-old-*"):  # left by a build that was killed mid-swap
        shutil.rmtree(stale, ignore_errors=True)
