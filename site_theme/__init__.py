"""kb's mkdocs-material ``custom_dir``: templates, CSS and JS shipped inside the package."""

from __future__ import annotations

from pathlib import Path

THEME_DIR = Path(__file__).resolve().parent
