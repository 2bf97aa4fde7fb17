"""The architecture in the folders: who may import whom, no import cycles, no dead bench code.

The rules are those of ``../shared/DESIGN.md`` and of each sub-package's ``__init__.py``
docstring. Modules are named here by their folders (``search.engine.scoring``); they install
and are imported under ``kb_helpcenter`` (``kb_helpcenter.search.engine.scoring``). Imports are read from the source (every ``import``, also inside functions and under
``TYPE_CHECKING``), so a lazy import cannot hide a cycle or a forbidden dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PACKAGES = ("generator", "search", "site_theme")
PREFIX = "kb_helpcenter."

#: Each sub-package (or module) of kb and the other parts of kb it may import. A module belongs
#: to the longest prefix listed here; its own part is always allowed.
ALLOWED: dict[str, tuple[str, ...]] = {
    "search": (),  # the package itself; every module of search is in one of the parts below
    "search.manifest": (),
    "search.privacy": (),
    "search.meaning": ("search.manifest",),
    "search.engine": ("search.manifest", "search.meaning"),
    "search.events": ("search.privacy",),
    "search.service": ("search.engine", "search.events", "search.manifest"),
    "search.gaps": ("search.engine", "search.meaning", "search.events", "search.manifest", "search.privacy"),
    "search.gaps.report": ("search.gaps.model", "search.privacy", "search.gaps.method", "search.events.export",
                           "search.events.learned"),
    "generator.importer": ("generator.slugs", "generator.markdown_config", "generator.sanitize"),
    "generator.video": ("generator.model", "generator.files"),
    "generator": ("generator", "search", "site_theme"),
    "site_theme": (),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((REPO / package).rglob("*.py"))}


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The kb modules ``path`` imports (``from a.b import c`` counts ``a.b.c`` when it is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        names = [name.removeprefix(PREFIX) for name in names]
        found.update(name for name in names if name in known)
        found.update(name for name in names if name.split(".")[0] == "mkdocs")
    return found


def _part(module: str) -> str:
    return max((p for p in ALLOWED if module == p or module.startswith(p + ".")), key=len)


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imports(path, known) for module, path in known.items()}


def test_every_package_says_what_it_owns_and_may_import():
    for package in (p.parent for name in PACKAGES for p in (REPO / name).rglob("__init__.py")):
        if "starter" in package.parts:
            continue
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"{package.relative_to(REPO)}/__init__.py: no docstring"
        if package.name not in PACKAGES and package.name != "site_theme":
            assert "May import" in doc and "Must not import" in doc, f"{package.relative_to(REPO)}: say what it may import"


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import in ``graph`` that :data:`ALLOWED` forbids, worded for the reader."""
    broken = []
    for module, imported in sorted(graph.items()):
        part = _part(module)
        allowed = (part, *ALLOWED[part])
        for target in sorted(imported):
            if target.split(".")[0] == "mkdocs":
                if module != "generator.builder":
                    broken.append(f"{module} imports {target}: only generator.builder may import mkdocs")
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                broken.append(f"{module} imports {target}: {part} may import only {', '.join(ALLOWED[part]) or 'itself'}")
    return broken


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``, each as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if target in graph and state.get(target) == 1:
                found.append(path[path.index(target):] + [target])
            elif target in graph and target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_kb_is_imported_only_under_its_own_name():
    # "search" and "generator" are names other packages use: kb imports itself as kb_helpcenter.*
    bare = []
    sources = [*(REPO / name for name in PACKAGES), REPO / "tests", REPO / "bench"]
    for path in sorted(p for folder in sources for p in folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                     else [])
            bare += [f"{path.relative_to(REPO)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in PACKAGES]
    assert bare == []


def test_the_package_list_names_every_package():
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = {p.parent for name in PACKAGES for p in (REPO / name).rglob("__init__.py")}
    expected = {PREFIX + _module_name(p / "__init__.py") for p in packages if "starter" not in p.parts}
    # folders of shipped files (the starter project, the theme's assets and partials) are data
    # packages: each must be listed too, or setuptools warns and a new folder is not installed
    data = [REPO / "generator" / "starter", REPO / "site_theme" / "assets", REPO / "site_theme" / "partials"]
    expected |= {PREFIX + ".".join(d.relative_to(REPO).parts) for top in data for d in [top, *top.rglob("*")]
                 if d.is_dir() and "__pycache__" not in d.parts}
    assert set(config["packages"]) == expected
    assert config["package-dir"] == {PREFIX + name: name for name in PACKAGES}


def test_each_part_imports_only_what_it_may():
    assert violations(_graph()) == []


def test_there_are_no_import_cycles():
    assert cycles(_graph()) == []


def test_the_checks_catch_a_forbidden_import_and_a_cycle(tmp_path):
    # A module of the engine that imports the gap analysis, read from a real file.
    module = tmp_path / "bad.py"
    module.write_text("def late():\n    from search.gaps.find import find_gaps\n", encoding="utf-8")
    imported = _imports(module, _modules())
    assert imported == {"search.gaps.find"}
    assert violations({"search.engine.bad": imported}) == [
        "search.engine.bad imports search.gaps.find: search.engine may import only search.manifest, search.meaning",
    ]
    assert violations({"search.events.store": {"mkdocs.config"}}) == [
        "search.events.store imports mkdocs.config: only generator.builder may import mkdocs"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


BENCH = REPO / "bench"


def _bench_scripts() -> list[Path]:
    return sorted(p for p in BENCH.rglob("*.py") if "out" not in p.relative_to(BENCH).parts)


def test_every_bench_script_is_reached_by_a_command():
    run = (BENCH / "run.py").read_text(encoding="utf-8")
    experiments = (BENCH / "experiments" / "README.md").read_text(encoding="utf-8")
    helpers = {"common.py", "search_corpora.py", "run.py"}
    for script in _bench_scripts():
        rel = script.relative_to(BENCH).as_posix()
        if script.parent == BENCH:
            assert script.name in helpers or f'"{script.name}"' in run, f"bench/{rel}: not run by make bench"
        else:
            assert f"`{script.name}`" in experiments, f"bench/{rel}: not in bench/experiments/README.md"
    # the helpers are imported by a benchmark
    sources = "".join(p.read_text(encoding="utf-8") for p in _bench_scripts())
    for helper in ("common", "search_corpora"):
        assert f"from {helper} import" in sources


@pytest.mark.parametrize("script", [p.relative_to(BENCH).as_posix() for p in _bench_scripts()
                                    if p.name not in {"common.py", "search_corpora.py"}])
def test_bench_script_starts(script):
    # --help imports everything the script needs: a moved module cannot leave it broken.
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
