"""The project's own ``mkdocs.yml``: what kb reads from it, read once and typed.

The file belongs to the team (site name, URL, palette, language, links). kb reads the few
settings it needs; the builder inherits the whole file, so anything MkDocs or Material knows
still works. Tags such as ``!!python/name`` or ``!ENV`` are tolerated (MkDocs resolves them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb_helpcenter.generator.model import ContentError, Location, Problem

CONFIG_FILE = "mkdocs.yml"


class _TolerantLoader(yaml.SafeLoader):
    """A safe loader that reads unknown tags as plain values instead of failing."""


def _unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_TolerantLoader.add_multi_constructor("!", _unknown_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _unknown_tag)


RAW_HTML = ("sanitize", "trusted")


@dataclass(frozen=True)
class SiteConfig:
    """The settings kb uses, with the path of the file they came from."""

    path: Path
    site_name: str
    site_url: str
    language: str
    contact_url: str
    contact_text: str
    features: tuple[str, ...]
    cors_origins: tuple[str, ...]
    retention_days: int
    raw_html: str  # "sanitize" (the default) or "trusted": see generator/sanitize.py
    theme: dict[str, Any]
    raw: dict[str, Any]
    #: ``extra.kb.learn``: search learns aliases from operators' links and customers' "yes"
    #: votes (search/events/learned.py); false turns it off.
    learn: bool = True


def load_site_config(project: Path) -> SiteConfig:
    """Read ``project/mkdocs.yml``; a missing or broken file is a :class:`ContentError`."""
    path = project / CONFIG_FILE
    rel = CONFIG_FILE
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    except FileNotFoundError:
        raise ContentError([Problem(Location(rel), "", "no mkdocs.yml in the project",
                                    hint="create one with `kb init`, or point -C at the project")]) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ContentError([Problem(Location(rel, line), "", f"YAML syntax error: {exc.problem}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([Problem(Location(rel), "", f"cannot read the file: {exc}")]) from None
    if not isinstance(data, dict):
        raise ContentError([Problem(Location(rel, 1), "", "expected `key: value` settings")])
    problems = []
    site_name = data.get("site_name")
    if not isinstance(site_name, str) or not site_name.strip():
        problems.append(Problem(Location(rel), "site_name", "required setting is missing",
                                hint="add `site_name: Help center`"))
    theme = data.get("theme") if isinstance(data.get("theme"), dict) else {}
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    kb_extra = extra.get("kb") if isinstance(extra.get("kb"), dict) else {}
    origins = kb_extra.get("cors_origins") or []
    if not isinstance(origins, list) or not all(isinstance(o, str) and o.startswith(("http://", "https://"))
                                                for o in origins):
        problems.append(Problem(
            Location(rel), "extra.kb.cors_origins", f"expected a list of origins, found {origins!r}",
            hint="e.g. cors_origins: [https://www.example.com] — sites allowed to call the API"))
        origins = []
    api_url = kb_extra.get("api_url") or ""
    if api_url and (not isinstance(api_url, str) or not api_url.startswith(("http://", "https://"))):
        problems.append(Problem(
            Location(rel), "extra.kb.api_url", f"expected the service's address, found {api_url!r}",
            hint="e.g. api_url: https://help-api.example.com/ (leave it out when kb serve hosts the site)"))
    events = kb_extra.get("events") if isinstance(kb_extra.get("events"), dict) else {}
    retention = events.get("retention_days", 365)
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
        problems.append(Problem(Location(rel), "extra.kb.events.retention_days",
                                f"expected a positive number of days, found {retention!r}", hint="e.g. 365"))
        retention = 365
    raw_html = kb_extra.get("raw_html", "sanitize")
    if raw_html not in RAW_HTML:
        problems.append(Problem(Location(rel), "extra.kb.raw_html", f"expected one of {', '.join(RAW_HTML)}, "
                                f"found {raw_html!r}", hint="sanitize (the default) removes what could run; "
                                "trusted keeps writers' HTML as written"))
        raw_html = "sanitize"
    learn = kb_extra.get("learn", True)
    if not isinstance(learn, bool):
        problems.append(Problem(Location(rel), "extra.kb.learn", f"expected true or false, found {learn!r}",
                                hint="false stops search from learning aliases from operators and customers"))
        learn = True
    if problems:
        raise ContentError(problems)
    return SiteConfig(
        path=path,
        site_name=str(site_name).strip(),
        site_url=str(data.get("site_url") or ""),
        language=str(theme.get("language") or "ru"),
        contact_url=str(kb_extra.get("contact_url") or ""),
        contact_text=str(kb_extra.get("contact_text") or "Не нашли ответ? Напишите нам"),
        features=tuple(str(f) for f in theme.get("features") or ()),
        cors_origins=tuple(o.rstrip("/") for o in origins),
        retention_days=retention,
        raw_html=raw_html,
        theme=theme,
        raw=data,
        learn=learn,
    )
