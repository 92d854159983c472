"""Storing and loading the task heads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from classify.heads import HeadsError, HeadsMeta, TaskHeads, load_heads, save_heads


def _save(tmp_path: Path, dim: int = 8) -> Path:
    torch.manual_seed(1)
    heads = TaskHeads(dim)
    meta = HeadsMeta(version="test-1", encoder="some/encoder", embedding_dim=dim, preprocessing="x")
    save_heads(heads, meta, tmp_path)
    return tmp_path


def test_saved_heads_load_back_with_the_same_outputs(tmp_path: Path) -> None:
    torch.manual_seed(1)
    original = TaskHeads(8)
    meta = HeadsMeta(version="v", encoder="e", embedding_dim=8, preprocessing="x")
    save_heads(original, meta, tmp_path)
    loaded, loaded_meta = load_heads(tmp_path, embedding_dim=8)
    vectors = torch.randn(4, 8)
    assert torch.equal(loaded(vectors).sentiment, original(vectors).sentiment)
    assert loaded_meta == meta


def test_heads_for_another_embedding_size_are_refused_clearly(tmp_path: Path) -> None:
    _save(tmp_path, dim=8)
    with pytest.raises(HeadsError, match=r"expect 8-dim vectors .* produces 384-dim"):
        load_heads(tmp_path, embedding_dim=384)


def test_missing_heads_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(HeadsError, match="classify train"):
        load_heads(tmp_path, embedding_dim=8)


def test_heads_with_unknown_labels_are_refused(tmp_path: Path) -> None:
    _save(tmp_path)
    meta_path = tmp_path / "heads.json"
    meta = json.loads(meta_path.read_text())
    meta["sentiment_labels"] = ["neg", "pos", "neu"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(HeadsError, match="labels"):
        load_heads(tmp_path, embedding_dim=8)


def test_probabilities_are_in_range_and_sentiment_sums_to_one() -> None:
    outputs = TaskHeads(8)(torch.randn(5, 8))
    assert torch.allclose(outputs.sentiment.sum(dim=1), torch.ones(5))
    for probs in outputs.safety.values():
        assert probs.shape == (5,)
        assert bool(((probs >= 0) & (probs <= 1)).all())


def test_tuned_encoder_layers_are_stored_as_fp16_and_patched_into_the_encoder(
    tmp_path: Path,
) -> None:
    torch.manual_seed(2)
    first, second = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)
    model = torch.nn.Sequential(first, second)
    tuned = {"1.weight": torch.randn(8, 8), "1.bias": torch.randn(8)}
    meta = HeadsMeta(version="v", encoder="e", embedding_dim=8, preprocessing="x")
    save_heads(TaskHeads(8), meta, tmp_path, encoder_tensors=tuned)
    untouched = first.weight.detach().clone()
    load_heads(tmp_path, embedding_dim=8, model=model)
    assert torch.equal(second.weight, tuned["1.weight"].half().float())
    assert torch.equal(first.weight, untouched)


def test_tuned_layers_for_another_encoder_are_refused(tmp_path: Path) -> None:
    meta = HeadsMeta(version="v", encoder="e", embedding_dim=8, preprocessing="x")
    save_heads(TaskHeads(8), meta, tmp_path, encoder_tensors={"9.weight": torch.zeros(8, 8)})
    with pytest.raises(HeadsError, match="does not have"):
        load_heads(tmp_path, embedding_dim=8, model=torch.nn.Sequential(torch.nn.Linear(8, 8)))
    with pytest.raises(HeadsError, match="pass the encoder"):
        load_heads(tmp_path, embedding_dim=8)
