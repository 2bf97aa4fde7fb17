"""The hashes of the inline scripts the built site needs, for the service's CSP.

Material's pages carry a few small inline scripts (palette and base-URL setup); they differ
only by page depth. ``kb build`` lists their SHA-256 hashes in ``.kb/csp.json``; the service
allows exactly those, so an injected ``<script>`` in content cannot run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

_INLINE = re.compile(r"<script(?![^>]*\bsrc\s*=)([^>]*)>(.*?)</script>", re.S | re.I)
_DATA_TYPES = ("application/json", "application/ld+json", "text/template")


def inline_script_hashes(html: str) -> set[str]:
    """``sha256-…`` sources of the executable inline scripts in ``html``."""
    found = set()
    for match in _INLINE.finditer(html):
        attrs, body = match.group(1), match.group(2)
        if any(t in attrs for t in _DATA_TYPES) or not body.strip():
            continue
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        found.add("sha256-" + base64.b64encode(digest).decode("ascii"))
    return found


def write_csp_hashes(site_dir: Path, target: Path) -> int:
    """Scan every page of ``site_dir`` and write the hash list to ``target``; return its size."""
    hashes: set[str] = set()
    for page in site_dir.rglob("*.html"):
        hashes |= inline_script_hashes(page.read_text(encoding="utf-8", errors="replace"))
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"script_hashes": sorted(hashes)}, indent=1), encoding="utf-8")
    tmp.replace(target)
    return len(hashes)
