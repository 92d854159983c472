"""Training on a tiny data directory with a tiny random encoder, then scoring with the result."""

from __future__ import annotations

import json
from pathlib import Path

from classify.heads import SENTIMENT_LABELS
from classify.scoring import Scorer
from classify.settings import ClassifySettings
from classify.train import train
from ugc.contract import RiskLevel, Sentiment

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
    assert steps == ["loading tokenizer", "loading encoder weights", "loading heads", "warm-up"]
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
            progress=False,
        )
    assert list(cache.glob("*.safetensors"))
    first, second = ((tmp_path / n / "heads.safetensors").read_bytes() for n in ("first", "second"))
    assert first == second
