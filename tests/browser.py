"""Headless Chromium for tests, driven by Playwright: the browser :mod:`ensure` found or installed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

from ensure import WHAT_TO_RUN, find_chromium

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str:
    """The Chromium to drive; a clear failure (not a skip) when there is none
    (``make test`` runs ``tests/ensure.py`` first, which installs one where it can)."""
    path = find_chromium()
    if not path:
        raise RuntimeError(WHAT_TO_RUN["chromium"])
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
