"""Checkpoint files: one per key, replaced atomically, safe names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.checkpoint import CheckpointStore


def test_saved_position_is_loaded_back_by_a_new_store(tmp_path: Path) -> None:
    CheckpointStore(tmp_path).save(("mastodon", "mastodon.social", "brand"), "111")

    assert CheckpointStore(tmp_path).load(("mastodon", "mastodon.social", "brand")) == "111"
    assert CheckpointStore(tmp_path).load(("mastodon", "mastodon.social", "other")) is None


def test_hosts_and_tags_cannot_escape_the_directory(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")

    path = store.path(("mastodon", "localhost:3000", "../../étoile"))

    assert path.parent == tmp_path / "checkpoints" / "mastodon" / "localhost%3A3000"
    assert path.name == "..%2F..%2F%C3%A9toile.json"


def test_save_replaces_the_file_in_one_rename_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CheckpointStore(tmp_path)
    store.save(("k",), "1")

    def crash(_src: str, _dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save(("k",), "2")

    assert store.load(("k",)) == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]


def test_unreadable_checkpoint_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_text("{half a")

    assert CheckpointStore(tmp_path).load(("k",)) is None
