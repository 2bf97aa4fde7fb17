"""No inline script anywhere: Material's run from files, and the CSP blocks any that content brings."""

from __future__ import annotations

import re
from pathlib import Path

import material
import pytest

from kb_helpcenter.generator.build import build
from kb_helpcenter.generator.csp import inline_scripts
from kb_helpcenter.site_theme import THEME_DIR

MATERIAL = Path(material.__file__).parent / "templates" / "partials" / "javascripts"


def _material_script(name: str, index: int) -> str:
    return re.findall(r"<script>(.*?)</script>", (MATERIAL / name).read_text(encoding="utf-8"), re.S)[index]


def _ours(name: str) -> str:
    lines = (THEME_DIR / "assets" / "kb" / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


@pytest.mark.parametrize(("ours", "partial", "index", "template_value"), [
    ("md-scope.js", "base.html", -1, ('"{{ config.extra.scope | d(base_url) }}"', "document.currentScript.dataset.scope")),
    ("md-palette.js", "palette.html", -1, None),
    ("md-tabs.js", "content.html", -1, None),
    ("md-tabs-link.js", "content.html", 0, None),
])
def test_our_script_files_are_materials_inline_scripts(ours, partial, index, template_value):
    # When Material changes one of its inline scripts, this fails: copy the new one over.
    expected = _material_script(partial, index)
    if template_value:
        expected = expected.replace(*template_value)
    assert _ours(ours) == expected
    # and Material still has exactly the inline scripts we replace in that partial
    assert len(re.findall(r"<script>", (MATERIAL / partial).read_text(encoding="utf-8"))) == (2 if partial == "content.html" else 1)


def test_built_pages_carry_no_inline_script(small_kb):
    build(small_kb)
    pages = sorted((small_kb / "site").rglob("*.html"))
    assert len(pages) > 5
    assert [p for p in pages if inline_scripts(p.read_text(encoding="utf-8"))] == []
    home = (small_kb / "site" / "index.html").read_text(encoding="utf-8")
    assert 'src="assets/kb/md-scope.js" data-scope="."' in home
