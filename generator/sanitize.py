"""The raw-HTML policy: article bodies may carry HTML, but never anything that runs.

Markdown lets writers put raw HTML in a body, and a help center also publishes text it did not
write (``kb import``, drafts from tickets). By default (``extra.kb.raw_html: sanitize`` in
``mkdocs.yml``) every article body is cleaned to an allow-list by ammonia (the ``nh3`` binding):
scripts, styles, event-handler attributes, ``javascript:``/``data:``/``vbscript:`` URLs,
``<iframe>`` (kb's own video facades are not iframes until the reader presses play),
``<form>``, ``<object>``, ``<embed>`` and other unknown elements are removed; headings, lists,
tables, links, images, code, admonitions, tabs, details and kb's video facades stay as they are.
``raw_html: trusted`` turns this off for teams that trust every writer; imported pages and
drafts are cleaned whatever the setting, when they are written.

Three uses, one allow-list:

- :func:`html_problems` — what would be removed from a body's raw HTML, located by line, for
  ``kb check`` (warnings: the site still builds, without those parts);
- :func:`sanitize_markdown` — a Markdown text with its raw HTML cleaned, code left alone, for
  ``kb import`` and gap drafts;
- :func:`sanitize_html` — rendered HTML, cleaned; ``kb build`` applies it to each article's
  body in the built page (between markers only the build knows), so nothing the Markdown
  parser let through escapes the policy.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import nh3

#: Elements a body may hold: ammonia's safe set, plus what kb's Markdown dialect and its video
#: facades produce (figures, buttons, content tabs, inline SVG icons, noscript links).
TAGS = frozenset(nh3.ALLOWED_TAGS) | {
    "figure", "figcaption", "button", "input", "label", "section", "noscript", "svg", "path", "rect",
    "circle", "g", "time", "mark", "details", "summary", "span", "div", "sup", "sub", "kbd",
}
#: Attributes any element may carry; ``data-*`` and ``aria-*`` are allowed by prefix.
GENERIC = {"class", "id", "title", "lang", "dir", "role", "tabindex", "hidden"}
ATTRIBUTES = {
    "*": GENERIC,
    "a": {"href", "target", "rel", "name"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "scope", "style"},
    "col": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    "button": {"type"},
    "input": {"type", "name", "checked", "disabled"},
    "label": {"for"},
    "svg": {"xmlns", "viewbox", "width", "height", "focusable", "fill"},
    "path": {"d", "fill", "fill-rule", "clip-rule"},
    "rect": {"x", "y", "width", "height", "rx", "ry", "fill"},
    "circle": {"cx", "cy", "r", "fill"},
    "g": {"fill"},
}
#: Markdown tables align cells with ``style="text-align: ..."``; nothing else may style.
_TEXT_ALIGN = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")
#: Inputs: only the radio buttons of content tabs and the checkboxes of task lists.
_INPUT_TYPES = {"radio", "checkbox"}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
#: Elements removed together with everything inside them (a script's text is not prose).
_WITH_CONTENT = ("script", "style", "iframe", "object", "embed", "template", "textarea", "select", "noembed",
                 "noframes", "xmp", "plaintext", "frameset", "math")


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "style":
        return value if _TEXT_ALIGN.match(value) else None
    if tag == "input" and attribute == "type":
        return value if value.lower() in _INPUT_TYPES else None
    if tag == "button" and attribute == "type":
        return "button"  # never a submit
    return value


_UNTYPED_INPUT = re.compile(r'<input(?![^>]*\btype="(?:radio|checkbox)")[^>]*>', re.I)


def sanitize_html(html: str) -> str:
    """``html`` cleaned to the allow-list (see the module docstring)."""
    return _UNTYPED_INPUT.sub("", _clean(html))


def _clean(html: str) -> str:
    return nh3.clean(
        html, tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        clean_content_tags=set(_WITH_CONTENT), url_schemes=set(URL_SCHEMES), link_rel=None,
        strip_comments=True, generic_attribute_prefixes={"data-", "aria-"}, attribute_filter=_filter,
    )


@dataclass(frozen=True)
class HtmlProblem:
    """Something the policy removes from a body: where (line in the body, from 1) and what."""

    line: int
    tag: str
    message: str


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# A tag, its attributes (quoted values may hold < and >) and a self-closing slash.
_TAG = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=`]+))?)*)"""
                  r"""\s*(/?)>""", re.S)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): (value or "").strip("\"'") for name, value in _ATTR.findall(text)}


def _tag_problem(tag: str, attrs: str) -> str | None:
    """What the policy does to one opening tag (``None``: it stays as it is)."""
    name = tag.lower()
    if name == "input" and _attributes(attrs).get("type", "").lower() not in _INPUT_TYPES:
        return "<input> is removed (only the radio buttons of tabs and task-list checkboxes stay)"
    if name not in TAGS:
        return f"<{name}> is removed" + (" with its content" if name in _WITH_CONTENT else "")
    before = _attributes(attrs)
    after = _attributes(_TAG.match(_rebuild(name, attrs)).group(3) or "")  # the rule sanitize_markdown applies
    removed = [a for a in before if a not in after and a != "rel"]
    if not removed:
        return None
    urls = [a for a in removed if a in ("href", "src")]
    if urls:
        return f'<{name} {urls[0]}="{before[urls[0]][:40]}">: the link is removed (only http, https, mailto, tel ' \
               "and relative links are allowed)"
    return f"<{name}>: attribute{'s' if len(removed) > 1 else ''} {', '.join(removed)} removed"


def html_problems(body: str) -> list[HtmlProblem]:
    """What the policy takes from a Markdown ``body``: its raw HTML, and Markdown links to
    ``javascript:``/``data:``/``vbscript:``, by line."""
    problems = []
    for number, line in enumerate(_masked(body).splitlines(), 1):
        urls = [m.group(1) if m.group(1) is not None else m.group(2) for m in _MD_LINK.finditer(line)]
        urls += [m.group(1) for m in _MD_REFERENCE.finditer(line)]
        for url in urls:
            if not safe_url(url):
                problems.append(HtmlProblem(number, "a", f"link to {url[:40]!s} is removed (only http, https, "
                                                         "mailto, tel and relative links are allowed)"))
        for match in _ATTR_LIST.finditer(line):
            if _ATTR_LIST_BAD.search(match.group(0)):
                problems.append(HtmlProblem(number, "attr_list", f"attribute list {match.group(0)[:40]} is removed "
                                                                 "(it sets a handler or an address)"))
        for match in _TAG.finditer(line):
            closing, tag, attrs = match.group(1), match.group(2), match.group(3)
            if closing:
                continue
            message = _tag_problem(tag, attrs or "")
            if message:
                problems.append(HtmlProblem(number, tag.lower(), message))
    return problems


def _masked(text: str) -> str:
    """``text`` with fenced and inline code blanked out (same length, newlines kept), so that
    positions in it are positions in ``text`` and nothing inside code looks like a tag. A fence
    that is never closed is not code (Python-Markdown renders what follows it), and an escaped
    backtick opens no inline code."""
    lines = text.splitlines(keepends=True)
    code = [False] * len(lines)
    fence, opened = None, 0
    for number, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is not None:
            code[number] = True
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence, opened = match.group(1), number
            code[number] = True
    if fence is not None:
        for number in range(opened, len(lines)):
            code[number] = False
    out = []
    for line, is_code in zip(lines, code, strict=True):
        if is_code:
            out.append(re.sub(r"[^\n]", " ", line))
        else:
            plain = line.replace("\\`", "  ")
            out.append(_INLINE_CODE.sub(lambda m: " " * len(m.group(0)), plain))
    return "".join(out)


_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def safe_url(value: str) -> bool:
    """Whether a link or image address may stay: relative, or one of :data:`URL_SCHEMES`
    (read as a browser does: entities decoded, spaces and control characters ignored)."""
    plain = _CONTROL.sub("", html.unescape(value)).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", plain)
    return scheme is None or scheme.group(1) in URL_SCHEMES


def _rebuild(tag: str, attrs: str) -> str:
    """An allowed opening tag, rebuilt from the attributes the policy keeps (values escaped)."""
    allowed = ATTRIBUTES.get(tag, set()) | GENERIC
    kept = []
    for name, raw in _ATTR.findall(attrs):
        name = name.lower()
        value = html.unescape(raw[1:-1] if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) > 1 else raw)
        if name.startswith("on") or not (name in allowed or name.startswith(("data-", "aria-"))):
            continue
        if name in ("href", "src") and not safe_url(value):
            continue
        if name == "srcset" and not all(safe_url(part.split()[0]) for part in value.split(",") if part.strip()):
            continue
        filtered = _filter(tag, name, value) if raw else ""
        if filtered is None:
            continue
        kept.append(f' {name}="{html.escape(filtered, quote=True)}"' if raw else f" {name}")
    return f"<{tag}{''.join(kept)}>"


#: Markdown link destinations: [x](dest), [x](<dest>), and reference definitions anywhere
#: (also inside quotes and list items).
_MD_LINK = re.compile(r"\]\(\s*<([^>\n]*)>|\]\(\s*((?:[^()\s<>]|\([^()\s]*\))*)")
_MD_REFERENCE = re.compile(r"^(?:\s*>)*\s*(?:[-*+]\s+|\d{1,9}[.)]\s+)?\[[^\]\n]+\]:\s*<?([^\s>]+)", re.M)
#: attr_list blocks (``{: .class #id key=value }``): dropped when they carry a handler or a URL
_ATTR_LIST = re.compile(r"\{:?[^{}\n]*\}")
_ATTR_LIST_BAD = re.compile(r"\bon\w+\s*=|\b(?:href|src|srcset|style)\s*=", re.I)
#: What may stay of a "<" that no rule above took: autolinks to the web and e-mail addresses.
_AUTOLINK = re.compile(r"<(?:(?:https?|ftp)://[^\s<>]*|mailto:[^\s<>]+|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>", re.I)
_LEFTOVER = re.compile(r"<(?=[A-Za-z/!?])")
_ELEMENT_WITH_CONTENT = re.compile(rf"<({'|'.join(_WITH_CONTENT)})\b[^>]*>.*?</\1\s*>", re.I | re.S)


def sanitize_markdown(text: str) -> str:
    """A Markdown text with its raw HTML cleaned to the policy, failing closed: allowed tags are
    rebuilt from the attributes the policy keeps, elements such as ``<script>`` go with their
    content, other tags go, and any other ``<`` that could open markup is written ``&lt;``.
    Links and images to other schemes than http(s), mailto and tel point at ``#`` (entities and
    control characters read as a browser reads them), and attribute lists (``{: ...}``) that set
    handlers or addresses go. Code blocks and inline code are left alone."""
    masked = _masked(text)
    edits: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(a < end and start < b for a, b in taken)

    def edit(start: int, end: int, replacement: str) -> None:
        if free(start, end):
            taken.append((start, end))
            if replacement != text[start:end]:
                edits.append((start, end, replacement))

    tags = list(_TAG.finditer(masked))
    inside = [(m.start() + 1, m.end()) for m in tags]  # a "<script>" within a tag's attribute
    for match in _ELEMENT_WITH_CONTENT.finditer(masked):
        if not any(a <= match.start() < b for a, b in inside):
            edit(match.start(), match.end(), "")
    for match in tags:
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in TAGS:
            replacement = ""
        elif closing:
            replacement = f"</{tag}>"
        elif tag == "input" and _attributes(match.group(3) or "").get("type", "").lower() not in _INPUT_TYPES:
            replacement = ""
        else:
            replacement = _rebuild(tag, match.group(3) or "")
        edit(match.start(), match.end(), replacement)
    for match in _AUTOLINK.finditer(masked):
        edit(match.start(), match.end(), match.group(0))  # kept as it is
    for match in _MD_LINK.finditer(masked):
        if match.group(1) is not None:
            if not safe_url(match.group(1)):
                edit(match.start(1) - 1, match.end(1) + 1, "<#>")
        elif not safe_url(match.group(2)):
            edit(match.start(2), match.end(2), "#")
    for match in _MD_REFERENCE.finditer(masked):
        if not safe_url(match.group(1)):
            edit(match.start(1), match.end(1), "#")
    for match in _ATTR_LIST.finditer(masked):
        if _ATTR_LIST_BAD.search(match.group(0)):
            edit(match.start(), match.end(), "")
    for match in _LEFTOVER.finditer(masked):  # fail closed: markup no rule recognised is text
        edit(match.start(), match.end(), "&lt;")
    out, position = [], 0
    for start, end, replacement in sorted(edits):
        out += [text[position:start], replacement]
        position = end
    return "".join(out) + text[position:]


def clean_pages(site_dir: Path, marker: str, *, sanitize: bool, language: str = "ru") -> list[str]:
    """Clean each built page's article body, found between the build's marks (the first start
    mark and the last end mark: a body that copies a mark stays inside them), and drop the
    marks; with ``sanitize=False`` (``raw_html: trusted``) only the marks go. The same pass
    points each page's skip link at its title (:func:`generator.skiplink.skip_to_title`).
    Returns the pages that still carry an executable inline script (relative paths)."""
    from kb_helpcenter.generator.csp import inline_scripts
    from kb_helpcenter.generator.skiplink import skip_to_title

    start, end = f"<!--kb-body-{marker}-->", f"<!--/kb-body-{marker}-->"
    scripted = []
    for page in sorted(site_dir.rglob("*.html")):
        original = html = page.read_text(encoding="utf-8")
        first = html.find(start)
        last = html.rfind(end)
        if first >= 0 and last >= first:
            body = html[first + len(start):last]
            html = html[:first] + (sanitize_html(body) if sanitize else body) + html[last + len(end):]
        html = skip_to_title(html, language=language)
        if html != original:
            page.write_text(html, encoding="utf-8")
        if "<script" in html and inline_scripts(html):
            scripted.append(page.relative_to(site_dir).as_posix())
    return scripted
