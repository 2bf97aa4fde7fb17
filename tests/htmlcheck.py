"""Reading built pages in tests: links, titles and text from HTML, with the standard library."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path


class Page(HTMLParser):
    """Collects what the tests look at: links, images, the title, h1, meta tags, text by class."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.meta: dict[str, str] = {}
        self.title = ""
        self.h1: list[str] = []
        self.classes: dict[str, list[str]] = {}
        self._stack: list[tuple[str, str | None]] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "link" and a.get("rel") == "canonical":
            self.meta["canonical"] = a.get("href", "")
        if tag == "meta" and (a.get("name") or a.get("http-equiv")):
            self.meta[a.get("name") or a["http-equiv"]] = a.get("content", "")
        if tag not in ("meta", "link", "img", "br", "hr", "input"):
            self._stack.append((tag, a.get("class")))
            self._text.append("")

    def handle_endtag(self, tag):
        if not self._stack:
            return
        open_tag, cls = self._stack.pop()
        text = " ".join(self._text.pop().split())
        if self._text:
            self._text[-1] += " " + text
        if open_tag == "title":
            self.title = text
        if open_tag == "h1":
            self.h1.append(text)
        for name in (cls or "").split():
            self.classes.setdefault(name, []).append(text)

    def handle_data(self, data):
        if self._text:
            self._text[-1] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def resolve(site: Path, page_path: Path, href: str) -> tuple[Path, str] | None:
    """The file an internal link of ``page_path`` leads to, and its anchor; None for external."""
    if href.startswith(("http:", "https:", "mailto:", "tel:", "//", "javascript:")):
        return None
    target, _, anchor = href.partition("#")
    target = target.split("?", 1)[0]
    base = page_path.parent.relative_to(site).as_posix()
    if target.startswith("/"):  # the 404 page links from the site root (it is served anywhere)
        base, target = "", target.lstrip("/") or "."
    rel = posixpath.normpath(posixpath.join(base, target)) if target else page_path.relative_to(site).as_posix()
    path = site / rel
    if path.is_dir():
        path = path / "index.html"
    return path, anchor
