"""search.engine.index: build into a new directory, switch atomically, version, rebuild."""

from __future__ import annotations

import json
import os

import pytest
from search_fixtures import ARTICLES, build_sample, sample_manifest

from kb_helpcenter.search.engine.index import (
    META_FILE,
    IndexMissingError,
    IndexVersionError,
    build_index,
    ensure_index,
    index_version,
    resolve_index,
)
from kb_helpcenter.search.manifest import Manifest


def test_build_writes_a_versioned_directory_behind_a_symlink(tmp_path):
    index_dir = tmp_path / ".kb" / "index"
    info = build_index(sample_manifest(), index_dir)
    assert index_dir.is_symlink()
    assert info.path == resolve_index(index_dir)
    assert info.path.name.startswith(f"index-{index_version()}-")
    assert info.articles == len(ARTICLES)
    meta = json.loads((info.path / META_FILE).read_text(encoding="utf-8"))
    assert meta["version"] == index_version()
    assert ["лк", "личный кабинет"] in meta["synonyms"]


def test_rebuild_switches_and_keeps_only_the_previous_directory(tmp_path):
    index_dir = tmp_path / ".kb" / "index"
    first = build_index(sample_manifest(), index_dir).path
    second = build_index(sample_manifest(), index_dir).path
    third = build_index(Manifest(articles=ARTICLES[:2]), index_dir).path
    assert resolve_index(index_dir) == third
    assert not first.exists()  # pruned
    assert second.exists()  # an engine may still be reading it
    assert sorted(p.name for p in (tmp_path / ".kb").iterdir()) == sorted(
        ["index", second.name, third.name]
    )


def test_a_failed_build_leaves_the_current_index_untouched(tmp_path):
    index_dir = build_sample(tmp_path)
    before = resolve_index(index_dir)
    broken = Manifest(articles=(ARTICLES[0].__class__(id="x", url="x/", title=None),))  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - whatever the analyzer raises on a None title
        build_index(broken, index_dir)
    assert resolve_index(index_dir) == before
    assert [p.name for p in (tmp_path / ".kb").iterdir() if p.name.startswith("index-")] == [
        before.name
    ]


def test_missing_index_says_run_kb_build(tmp_path):
    with pytest.raises(IndexMissingError, match="run `kb build` first"):
        resolve_index(tmp_path / ".kb" / "index")


def test_an_index_of_another_version_is_never_read(tmp_path):
    index_dir = build_sample(tmp_path)
    meta_path = resolve_index(index_dir) / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["version"] = "0.old"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IndexVersionError, match="run `kb build` again"):
        resolve_index(index_dir)


def test_ensure_index_rebuilds_an_outdated_index_from_the_manifest(tmp_path):
    index_dir = build_sample(tmp_path)
    meta_path = resolve_index(index_dir) / META_FILE
    meta_path.write_text(json.dumps({"version": "0.old"}), encoding="utf-8")
    manifest_path = tmp_path / ".kb" / "manifest.json"
    manifest_path.write_text(
        json.dumps(
            {
                "format": 1,
                "articles": [{"id": "a", "url": "a/", "title": "Заявка висит"}],
                "synonyms": [],
            }
        ),
        encoding="utf-8",
    )
    target = ensure_index(index_dir, manifest_path)
    assert json.loads((target / META_FILE).read_text(encoding="utf-8"))["articles"] == 1


def test_a_plain_directory_in_the_way_is_replaced(tmp_path):
    index_dir = tmp_path / ".kb" / "index"
    index_dir.mkdir(parents=True)
    (index_dir / "junk").write_text("x")
    build_index(sample_manifest(), index_dir)
    assert index_dir.is_symlink()
    assert os.readlink(index_dir).startswith("index-")
