"""Training on a tiny data directory with a tiny random encoder, then scoring with the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
import torch
from safetensors.torch import load_file

from classify.encoder import Encoder, truncate_layers
from classify.garm_terms import GARM_IDS
from classify.heads import ENCODER_PREFIX, SENTIMENT_LABELS, load_heads
from classify.scoring import Scorer
from classify.settings import ClassifySettings
from classify.train import train
from classify.tuning import PartialTuner
from contract import RiskLevel, Sentiment

TEXTS = ["love great thanks", "worst broken sad", "", "stupid idiot jerk", "the table report"]


def _scorer(encoder: Path, heads: Path) -> Scorer:
    settings = ClassifySettings(model_encoder=str(encoder), model_heads=str(heads), batch_size=2)
    return Scorer.from_settings(settings)


def test_any_model_directory_trains_heads_that_the_scorer_loads(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    scores = _scorer(tiny_encoder_dir, tiny_heads_dir).score_texts(TEXTS)
    assert len(scores) == len(TEXTS)
    for result in scores:
        assert result.sentiment.label in set(Sentiment)
        assert set(result.sentiment.scores) == set(SENTIMENT_LABELS)
        assert abs(sum(result.sentiment.scores.values()) - 1.0) < 1e-5
        assert result.sentiment.label == max(
            result.sentiment.scores, key=result.sentiment.scores.__getitem__
        )
        assert set(result.safety.scores) == {"offensive", "hate"}
        assert all(0.0 <= p <= 1.0 for p in result.safety.scores.values())
        assert result.safety.risk in set(RiskLevel)


def test_scorer_reports_progress_and_the_heads_version(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    steps: list[str] = []
    settings = ClassifySettings(
        model_encoder=str(tiny_encoder_dir), model_heads=str(tiny_heads_dir)
    )
    scorer = Scorer.from_settings(settings, progress=steps.append)
    assert steps == [
        "loading tokenizer",
        "loading encoder weights",
        "loading heads",
        "preparing the encoder",
        "warm-up",
    ]
    meta = json.loads((tiny_heads_dir / "heads.json").read_text())
    assert scorer.model_info.version == meta["version"]
    assert scorer.model_info.name.endswith("+heads")
    assert scorer.score_texts([]) == []


def test_heads_json_records_encoder_dimension_metrics_and_thresholds(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    meta = json.loads((tiny_heads_dir / "heads.json").read_text())
    assert meta["encoder"] == str(tiny_encoder_dir)
    assert meta["embedding_dim"] == 32
    assert set(meta["metrics"]["sentiment"]) == {"macro_recall", "macro_f1"}
    assert "macro_f1" in meta["metrics"]["offensive"]
    assert "macro_f1" in meta["metrics"]["hate"]
    assert set(meta["thresholds"]) == {"offensive", "hate"}
    assert meta["thresholds"]["offensive"]["floor"] is None
    # GARM prototypes are calibrated on ordinary posts for this very encoder.
    assert set(meta["garm_calibration"]) == set(GARM_IDS)
    assert all(floor < ceiling for floor, ceiling in meta["garm_calibration"].values())


def test_validation_tweets_republished_in_the_training_file_are_not_trained_on(
    tiny_heads_dir: Path,
) -> None:
    sentiment = json.loads((tiny_heads_dir / "heads.json").read_text())["training"]["sentiment"]
    assert sentiment["dropped_as_duplicates_of_val"] == 1
    assert sum(sentiment["train_rows"].values()) == 60


def test_same_seed_gives_identical_heads_and_scores(
    tmp_path: Path, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> None:
    runs = []
    for name in ("a", "b"):
        train(
            tiny_data_dir,
            tmp_path / name,
            encoder=str(tiny_encoder_dir),
            seed=7,
            max_train_per_task=30,
            tuned_layers=1,
            epochs=1,
            progress=False,
        )
        runs.append(_scorer(tiny_encoder_dir, tmp_path / name).score_texts(TEXTS))
    a, b = (tmp_path / n / "heads.safetensors" for n in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()
    assert runs[0] == runs[1]


def test_training_with_a_cache_reuses_embeddings(
    tmp_path: Path, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> None:
    cache = tmp_path / "cache"
    for name in ("first", "second"):
        train(
            tiny_data_dir,
            tmp_path / name,
            encoder=str(tiny_encoder_dir),
            cache_dir=cache,
            epochs=1,
            progress=False,
        )
    assert list(cache.glob("*.safetensors"))
    first, second = ((tmp_path / n / "heads.safetensors").read_bytes() for n in ("first", "second"))
    assert first == second


def test_only_the_top_layer_is_stored_and_it_changes_what_the_encoder_says(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    meta = json.loads((tiny_heads_dir / "heads.json").read_text())
    assert (meta["training"]["tuned_layers"], meta["training"]["frozen_layers"]) == (1, 1)
    tensors = load_file(str(tiny_heads_dir / "heads.safetensors"))
    tuned = [k for k in tensors if k.startswith(ENCODER_PREFIX)]
    assert tuned
    assert all(k.startswith(f"{ENCODER_PREFIX}encoder.layer.1.") for k in tuned)
    assert all(tensors[k].dtype == torch.float16 for k in tuned)
    base = Encoder.load(str(tiny_encoder_dir)).embed(TEXTS)
    served = _scorer(tiny_encoder_dir, tiny_heads_dir).encoder.embed(TEXTS)
    assert not torch.allclose(base, served)


def test_training_forward_pass_equals_the_served_encoder(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    # Training runs the top layers on cached states in unpadded same-length batches; serving
    # runs the whole model on padded batches. Both must give the same sentence vectors.
    encoder = Encoder.load(str(tiny_encoder_dir), batch_size=3)
    load_heads(tiny_heads_dir, embedding_dim=encoder.dim, model=encoder.model)
    texts = ["love great thanks the happy lovely amazing", "sad", "", "stupid jerk the 3"]
    tuner = PartialTuner(encoder, tuned_layers=1)
    trained_path = tuner.vectors(tuner.lower_states(texts))
    assert torch.allclose(trained_path, encoder.embed(texts), atol=1e-5)


def test_heads_alone_train_on_a_frozen_encoder(
    tmp_path: Path, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> None:
    train(tiny_data_dir, tmp_path, encoder=str(tiny_encoder_dir), tuned_layers=0, progress=False)
    assert not any(
        k.startswith(ENCODER_PREFIX) for k in load_file(str(tmp_path / "heads.safetensors"))
    )
    assert len(_scorer(tiny_encoder_dir, tmp_path).score_texts(TEXTS)) == len(TEXTS)


def test_a_truncated_encoder_trains_and_loads_cut_to_the_same_layers(
    tmp_path: Path, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> None:
    out = tmp_path / "heads"
    train(
        tiny_data_dir,
        out,
        encoder=str(tiny_encoder_dir),
        tuned_layers=1,
        encoder_layers=1,
        epochs=1,
        progress=False,
    )
    meta = json.loads((out / "heads.json").read_text())
    assert meta["encoder_layers"] == 1
    assert meta["version"].startswith("l1-tuned1-")
    tuned = {k for k in load_file(str(out / "heads.safetensors")) if k.startswith(ENCODER_PREFIX)}
    assert tuned
    assert all(".layer.0." in k for k in tuned)

    encoder = Encoder.load(str(tiny_encoder_dir))
    full = Encoder.load(str(tiny_encoder_dir)).embed(TEXTS)
    load_heads(out, embedding_dim=encoder.dim, model=encoder.model)
    assert len(_layers(encoder)) == 1
    assert cast(Any, encoder.model).config.num_hidden_layers == 1
    cut = encoder.embed(TEXTS)
    assert not torch.allclose(cut, full, atol=1e-3)  # a different (shallower) encoder

    settings = ClassifySettings(
        model_encoder=str(tiny_encoder_dir), model_heads=str(out), model_precision="fp32"
    )
    served = Scorer.from_settings(settings).encoder.embed(TEXTS)
    assert torch.allclose(served, cut, atol=1e-5)


def test_an_encoder_cannot_keep_more_layers_than_it_has(tiny_encoder_dir: Path) -> None:
    encoder = Encoder.load(str(tiny_encoder_dir))
    with pytest.raises(ValueError, match="has 2 layers; it cannot keep 3"):
        truncate_layers(encoder.model, 3)
    truncate_layers(encoder.model, 0)  # 0 keeps them all
    assert len(_layers(encoder)) == 2


def _layers(encoder: Encoder) -> torch.nn.ModuleList:
    """The encoder's stack of transformer layers."""
    return cast(torch.nn.ModuleList, encoder.model.get_submodule("encoder.layer"))
