"""kb as a help-center team installs it: a wheel (and an sdist) in a fresh venv, used in an empty folder.

Nothing may come from this checkout: the test builds the wheel and the sdist, installs the wheel
into a new virtual environment, and runs ``kb init``, ``kb check``, ``kb build`` and ``kb serve``
in a folder outside the repository with a clean environment (no ``PYTHONPATH``). The site it
builds must be the very site the checkout builds from the same starter, file for file.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from conftest import REPO, free_port, wait_until_up


def run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def clean_env(bin_dir: Path) -> dict[str, str]:
    """The environment of a user's shell with only the fresh venv activated."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PATH"] = os.pathsep.join([str(bin_dir), *(p for p in env.get("PATH", "").split(os.pathsep)
                                                   if not p.startswith(str(REPO)))])
    return env


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path | str]:
    """The wheel and the sdist, built as a release would be: from a copy of the files git would
    commit (no ``build/``, ``*.egg-info`` or caches of this checkout can leak into them)."""
    source = tmp_path_factory.mktemp("source")
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for rel in filter(None, listed.split("\0")):
        if (REPO / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, source / rel)
    out = tmp_path_factory.mktemp("dist")
    log = run(sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", out, source, cwd=out)
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz")), "log": log}


def test_packaging_is_quiet(dists):
    # no setuptools deprecation boxes: every folder of shipped files is a listed data package
    assert "Package would be ignored" not in dists["log"]
    assert "is absent from the `packages` configuration" not in dists["log"]
    assert "SetuptoolsDeprecationWarning" not in dists["log"]


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return {n for n in z.namelist() if ".dist-info/" not in n}


def test_the_wheel_holds_the_package_and_nothing_else(dists):
    files = wheel_files(dists["wheel"])
    tops = {name.split("/")[0] for name in files}
    assert tops == {"kb_helpcenter"}  # one import name of kb's own, no top-level "search"
    for needed in ("kb_helpcenter/generator/cli.py", "kb_helpcenter/search/engine/searcher.py",
                   "kb_helpcenter/site_theme/main.html", "kb_helpcenter/site_theme/assets/kb/kb.css",
                   "kb_helpcenter/generator/starter/mkdocs.yml", "kb_helpcenter/generator/starter/gitignore",
                   "kb_helpcenter/generator/starter/kb/start/how-to-use-help.md",
                   "kb_helpcenter/generator/starter/deploy/nginx.conf",
                   "kb_helpcenter/generator/starter/deploy/kb.service",
                   "kb_helpcenter/site_theme/sitemap.xml", "kb_helpcenter/search/engine/loanwords.yml"):
        assert needed in files, needed
    assert not any(part in name for name in files for part in ("tests/", "bench/", "__pycache__"))


def test_the_sdist_builds_the_same_wheel(dists, tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", tmp_path, dists["sdist"], cwd=tmp_path)
    assert wheel_files(next(tmp_path.glob("*.whl"))) == wheel_files(dists["wheel"])


def test_the_installed_wheel_builds_and_serves_the_same_site(dists, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = clean_env(bin_dir)
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", dists["wheel"], cwd=tmp_path, env=env)
    where = run(bin_dir / "python", "-c", "import kb_helpcenter.site_theme as t, kb_helpcenter.generator as g; "
                "print(t.__file__); print(g.__file__)", cwd=tmp_path, env=env)
    assert all(str(env_dir) in line for line in where.split()), where  # nothing from the checkout

    home = tmp_path / "home"
    home.mkdir()
    kb = bin_dir / "kb"
    run(kb, "init", "my-help", cwd=home, env=env)
    project = home / "my-help"
    run(kb, "check", cwd=project, env=env)
    built = run(kb, "build", cwd=project, env=env)
    assert "built 2 articles into site/" in built

    # the checkout's kb builds the same starter into the same site, file for file
    ours = tmp_path / "checkout" / "my-help"
    run(Path(sys.executable).with_name("kb"), "init", ours, cwd=tmp_path)
    run(Path(sys.executable).with_name("kb"), "build", "-C", ours, cwd=tmp_path)
    compared = filecmp.dircmp(project / "site", ours / "site")
    differing: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str = "") -> None:
        differing.extend(prefix + n for n in (*cmp.left_only, *cmp.right_only, *cmp.diff_files, *cmp.funny_files))
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(compared)
    assert differing == []
    assert (project / "site" / "assets" / "kb" / "kb.css").is_file()

    port = free_port()
    server = subprocess.Popen([str(kb), "serve", "--port", str(port)], cwd=project, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, server)
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "md-header" in page.text
        found = httpx.get(base + "/api/search", params={"q": "gfhjkm"}).json()  # "пароль" on the wrong layout
        assert found["corrected"] == "пароль" and found["hits"][0]["id"] == "reset-password"
        assert httpx.get(base + "/healthz").json()["articles"] == 2
    finally:
        server.terminate()
        server.wait(timeout=15)
