"""What the test suite needs from the machine, found or installed before it starts.

    python tests/ensure.py chromium nginx openssl   # what `make test` runs before pytest

The browser tests drive Chromium; the deployment test runs nginx over TLS (a certificate made
with openssl). Each is looked for first
(``KB_CHROMIUM`` / ``KB_NGINX``, then ``PATH``, then Playwright's own browser); when missing it
is installed where this user may install packages (root, or password-less sudo, with apt-get:
Debian's ``chromium`` and ``nginx``), and Chromium otherwise from Playwright
(``playwright install chromium``, where that download is reachable). Only when all of that is
impossible does it stop, with one line that says what to run. Exit status 0 when everything is
there, 1 when something could not be had.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

APT_PACKAGES = {"chromium": "chromium", "nginx": "nginx", "openssl": "openssl"}
NGINX_DIRS = ("/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")


def playwright_chromium() -> str | None:
    """Playwright's own Chromium (``playwright install chromium``), when it has been downloaded."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:  # noqa: BLE001 - no driver, no browser: nothing to use
        return None
    return path if path and Path(path).is_file() else None


def find_chromium(*, playwright: bool = True) -> str | None:
    """A Chromium to drive: ``KB_CHROMIUM``, the system's, or Playwright's own."""
    configured = os.environ.get("KB_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return playwright_chromium() if playwright else None


def find_nginx() -> str | None:
    """The nginx binary: ``KB_NGINX``, ``PATH``, or the usual sbin folders (not on a user's PATH)."""
    configured = os.environ.get("KB_NGINX")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("nginx") or shutil.which("nginx", path=os.pathsep.join(NGINX_DIRS))


def _apt_prefix() -> list[str] | None:
    """How this user runs apt-get as root, or ``None`` when it cannot."""
    if not shutil.which("apt-get"):
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def _say(line: str) -> None:
    print(f"ensure: {line}", file=sys.stderr, flush=True)


def apt_install(package: str) -> bool:
    """``apt-get install package`` as root (after one ``apt-get update``); ``False`` when impossible."""
    prefix = _apt_prefix()
    if prefix is None:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _say(f"installing Debian's {package} (apt-get)")
    steps = ([*prefix, "apt-get", "update", "-qq"],
             [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", package])
    for step in steps:
        done = subprocess.run(step, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            _say(f"{' '.join(step)} failed: {done.stderr.strip().splitlines()[-1:] or ['?']}")
            return False
    return True


def playwright_install() -> bool:
    """Playwright's own Chromium download; ``False`` when it cannot be reached or installed."""
    _say("installing Playwright's Chromium (python -m playwright install chromium)")
    done = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=900)
    if done.returncode != 0:
        _say(f"playwright install failed: {done.stderr.strip().splitlines()[-1:] or ['?']}")
    return done.returncode == 0


def ensure_chromium() -> str | None:
    """A Chromium, found or installed (Debian's first, then Playwright's); ``None`` when impossible."""
    path = find_chromium()
    if path is None and apt_install(APT_PACKAGES["chromium"]):
        path = find_chromium(playwright=False)
    if path is None and playwright_install():
        path = playwright_chromium()
    return path


def ensure_nginx() -> str | None:
    """nginx, found or installed from Debian's packages; ``None`` when impossible."""
    path = find_nginx()
    if path is None and apt_install(APT_PACKAGES["nginx"]):
        path = find_nginx()
    return path


def ensure_openssl() -> str | None:
    """The openssl command (the deployment test makes its TLS certificate with it)."""
    path = shutil.which("openssl")
    if path is None and apt_install(APT_PACKAGES["openssl"]):
        path = shutil.which("openssl")
    return path


WHAT_TO_RUN = {
    "chromium": "browser tests need Chromium: run `sudo apt-get install chromium` (Debian, Ubuntu) or "
                "`.venv/bin/python -m playwright install chromium`, or set KB_CHROMIUM=/path/to/chromium",
    "nginx": "the deployment test needs nginx: run `sudo apt-get install nginx`, or set KB_NGINX=/path/to/nginx",
    "openssl": "the deployment test needs openssl: run `sudo apt-get install openssl`",
}
ENSURE: dict[str, Callable[[], str | None]] = {"chromium": ensure_chromium, "nginx": ensure_nginx,
                                               "openssl": ensure_openssl}


def main(argv: list[str]) -> int:
    """Ensure each named part (``chromium``, ``nginx``); one line per part on stderr."""
    names = argv or list(ENSURE)
    unknown = [n for n in names if n not in ENSURE]
    if unknown:
        print(f"ensure: unknown part {', '.join(unknown)}; expected some of {', '.join(ENSURE)}", file=sys.stderr)
        return 2
    missing = []
    for name in names:
        path = ENSURE[name]()
        if path:
            _say(f"{name}: {path}")
        else:
            missing.append(name)
    for name in missing:
        print(f"ensure: {WHAT_TO_RUN[name]}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
