"""Shared helpers: little knowledge bases written into ``tmp_path``."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent

MKDOCS_YML = """\
site_name: Тестовая справка
site_url: https://help.example/
theme:
  language: ru
extra:
  kb:
    contact_url: https://example.com/support
"""

SECTION = "title: {title}\ndescription: Раздел {title}.\norder: 1\n"


def article(article_id: str, title: str, body: str = "Текст статьи.\n", **fields: str) -> str:
    """The text of an article with a full, valid front matter unless ``fields`` override it."""
    meta = {
        "id": article_id,
        "title": title,
        "summary": f'"Кратко о том, {title.lower()}."',
        "aliases": "\n  - первый вопрос\n  - второй вопрос",
        "updated": "2026-11-01",
    }
    meta.update(fields)
    lines = ["---"]
    for key, value in meta.items():
        if value is None:
            continue
        lines.append(f"{key}:{value}" if str(value).startswith("\n") else f"{key}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + textwrap.dedent(body)


def write_kb(root: Path, files: dict[str, str | bytes], *, config: str = MKDOCS_YML) -> Path:
    """Write ``mkdocs.yml`` and ``files`` (paths relative to ``root``) and return ``root``.

    Section folders get a ``_section.yml`` automatically unless one is given.
    """
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for rel in files:
        parts = Path(rel).parts
        if parts[0] == "kb" and len(parts) >= 3 and not parts[1].startswith("_"):
            for depth in range(2, len(parts)):
                section_file = root.joinpath(*parts[:depth], "_section.yml")
                if not section_file.exists():
                    section_file.write_text(SECTION.format(title=parts[depth - 1].capitalize()),
                                            encoding="utf-8")
    return root


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """A valid two-section knowledge base."""
    return write_kb(tmp_path / "help", {
        "kb/payment/terminal.md": article(
            "terminal-payment", "Оплатили через терминал, а деньги не пришли",
            "Деньги зачисляются до 24 часов.\n\n## Что проверить {#check}\n\n1. Чек.\n\n"
            "Смотрите также [возврат](../returns/refund.md#timing).\n",
            related="[refund]",
        ),
        "kb/returns/refund.md": article(
            "refund", "Когда вернутся деньги",
            "## Сроки возврата {#timing}\n\nДо 10 дней.\n\n![Схема](images/scheme.svg)\n",
        ),
        "kb/returns/images/scheme.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>',
    })


KB = str(Path(sys.executable).with_name("kb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read()}")
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not answer")


@pytest.fixture
def serve(tmp_path):
    """Start `kb serve` for a project in a subprocess; returns its base URL. Stopped after the test."""
    procs = []

    def start(project: Path, *args: str) -> str:
        port = free_port()
        proc = subprocess.Popen([KB, "serve", "--port", str(port), "-C", str(project), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        return base

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


