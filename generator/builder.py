"""Running the site builder on a stage. The only module that imports MkDocs.

Swapping builders (ProperDocs, Zensical) means changing this module alone: it takes a stage
config file and an output directory and returns the builder's warnings as text.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path


class BuilderError(Exception):
    """The site builder failed; the message says why."""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_builder(config_file: Path, out_dir: Path) -> list[str]:
    """Build the stage described by ``config_file`` into ``out_dir``; return warnings."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    previous = logger.level, logger.propagate
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        config = load_config(config_file=str(config_file), site_dir=str(out_dir))
        build(config)
    except MkDocsException as exc:
        raise BuilderError(str(exc)) from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]
    return handler.messages
