"""tests/ensure.py: what `make test` does on a machine without a browser it may install."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_without_a_browser_or_a_way_to_install_one_it_stops_with_what_to_run(tmp_path):
    # no chromium on PATH, no apt-get, no Playwright browser, and its download host unreachable
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "pw"),
           "PLAYWRIGHT_DOWNLOAD_HOST": "http://127.0.0.1:9", "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")}
    done = subprocess.run([sys.executable, str(REPO / "tests" / "ensure.py"), "chromium"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("ensure: browser tests need Chromium: run `sudo apt-get install chromium` (Debian, Ubuntu) "
                    "or `.venv/bin/python -m playwright install chromium`, or set KB_CHROMIUM=/path/to/chromium")
    assert not (tmp_path / "pw").exists() or not any((tmp_path / "pw").rglob("chrome"))


def test_a_configured_browser_is_used_as_it_is(tmp_path):
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "KB_CHROMIUM": str(fake)}
    done = subprocess.run([sys.executable, str(REPO / "tests" / "ensure.py"), "chromium"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == f"ensure: chromium: {fake}"


def test_unknown_parts_are_a_usage_error():
    done = subprocess.run([sys.executable, str(REPO / "tests" / "ensure.py"), "firefox"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "unknown part firefox" in done.stderr
