"""Inline scripts in the built site: there should be none, because the CSP allows none.

kb's pages run only scripts from files (Material's few inline scripts are served as files by
``site_theme/partials/javascripts/``), so the service's Content-Security-Policy is
``script-src 'self'`` with no hash and no ``'unsafe-inline'``: a ``<script>`` that reached a
page through content never runs under ``kb serve``. A build that finds an executable inline
script anyway (a team's own template override, raw HTML from trusted writers) says where, as a
warning: under ``kb serve`` it will not run; on a plain static host, which sends no CSP, it
will.
"""

from __future__ import annotations

import re

_INLINE = re.compile(r"<script(?![^>]*\bsrc\s*=)([^>]*)>(.*?)</script>", re.S | re.I)
_DATA_TYPES = ("application/json", "application/ld+json", "text/template")


def inline_scripts(html: str) -> int:
    """How many executable inline scripts ``html`` holds (data blocks such as JSON do not count)."""
    count = 0
    for match in _INLINE.finditer(html):
        attrs, body = match.group(1), match.group(2)
        if any(t in attrs for t in _DATA_TYPES) or not body.strip():
            continue
        count += 1
    return count
