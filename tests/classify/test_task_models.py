"""Any sequence-classification model can replace a default head, by setting.

The models are tiny random BERTs that the tests create and save, so that the real loading path
(``AutoTokenizer`` / ``AutoModelForSequenceClassification`` from a directory) runs offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from classify.scoring import Scorer
from classify.settings import ClassifySettings
from classify.task_models import SENTIMENT_TARGETS, TOXICITY_TARGETS, TaskModel, TaskModelError
from tests.classify.conftest import WORDS, save_word_tokenizer

ProblemType = Literal["regression", "single_label_classification", "multi_label_classification"]

TEXTS = ["love great happy", "stupid idiot jerk", "table report monday"]
SENTIMENT_MAP = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}


def save_tiny_classifier(
    path: Path, id2label: dict[int, str], *, problem_type: ProblemType | None = None
) -> Path:
    """A 1-layer, 16-wide random BERT classifier with a word-level vocabulary."""
    path.mkdir(parents=True, exist_ok=True)
    save_word_tokenizer(path)
    torch.manual_seed(1)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label=id2label,
        label2id={label: i for i, label in id2label.items()},
        problem_type=problem_type,
    )
    model = BertForSequenceClassification(config)  # type: ignore[no-untyped-call]
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def sentiment_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sentiment-model")
    return save_tiny_classifier(path, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})


@pytest.fixture(scope="module")
def toxicity_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toxicity-model")
    return save_tiny_classifier(path, {0: "neither", 1: "offensive", 2: "hate"})


def _settings(encoder: Path, heads: Path, **overrides: object) -> ClassifySettings:
    return ClassifySettings.model_validate(
        {"model_encoder": str(encoder), "model_heads": str(heads), **overrides}
    )


def test_a_sentiment_model_replaces_the_sentiment_head(
    sentiment_dir: Path, tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    settings = _settings(
        tiny_encoder_dir,
        tiny_heads_dir,
        model_sentiment=str(sentiment_dir),
        sentiment_label_map=SENTIMENT_MAP,
    )
    scorer = Scorer.from_settings(settings)
    expected = TaskModel.load(
        str(sentiment_dir), label_map=SENTIMENT_MAP, targets=SENTIMENT_TARGETS
    ).predict(TEXTS)
    for result, probs in zip(scorer.score_texts(TEXTS), expected, strict=True):
        scores = {label.value: p for label, p in result.sentiment.scores.items()}
        assert scores == pytest.approx(probs)
        assert sum(scores.values()) == pytest.approx(1.0)
        assert result.sentiment.label.value == max(probs, key=probs.__getitem__)
    assert f"sentiment:{sentiment_dir.name}" in scorer.model_info.name


def test_a_softmax_toxicity_model_feeds_offensive_and_hate(
    toxicity_dir: Path, tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    label_map = {"neither": "none", "offensive": "offensive", "hate": "hate"}
    settings = _settings(
        tiny_encoder_dir,
        tiny_heads_dir,
        model_toxicity=str(toxicity_dir),
        toxicity_label_map=label_map,
    )
    scorer = Scorer.from_settings(settings)
    model = TaskModel.load(str(toxicity_dir), label_map=label_map, targets=TOXICITY_TARGETS)
    assert model.activation == "softmax"
    for result, probs in zip(scorer.score_texts(TEXTS), model.predict(TEXTS), strict=True):
        # Exclusive labels: hate is also offensive, so their probabilities add up.
        assert result.safety.scores["hate"] == pytest.approx(probs["hate"])
        assert result.safety.scores["offensive"] == pytest.approx(
            probs["offensive"] + probs["hate"]
        )


def test_a_multi_label_model_uses_sigmoid_and_the_larger_of_overlapping_labels(
    tmp_path: Path,
) -> None:
    path = save_tiny_classifier(
        tmp_path / "multi",
        {0: "toxic", 1: "insult", 2: "identity_hate"},
        problem_type="multi_label_classification",
    )
    label_map = {"toxic": "offensive", "insult": "offensive", "identity_hate": "hate"}
    model = TaskModel.load(str(path), label_map=label_map, targets=TOXICITY_TARGETS)
    assert model.activation == "sigmoid"
    probs = model.predict(TEXTS)
    assert all(0 < p["offensive"] < 1 and 0 < p["hate"] < 1 for p in probs)
    forced = TaskModel.load(
        str(path), label_map=label_map, targets=TOXICITY_TARGETS, activation="softmax"
    )
    assert sum(forced.predict(TEXTS[:1])[0].values()) == pytest.approx(1.0)


def test_without_a_label_map_the_model_labels_are_used_lower_cased(tmp_path: Path) -> None:
    path = save_tiny_classifier(tmp_path / "named", {0: "Negative", 1: "Neutral", 2: "Positive"})
    model = TaskModel.load(str(path), label_map={}, targets=SENTIMENT_TARGETS)
    assert set(model.predict(TEXTS[:1])[0]) == set(SENTIMENT_TARGETS)


def test_a_label_map_that_misses_a_sentiment_label_is_refused(sentiment_dir: Path) -> None:
    with pytest.raises(TaskModelError, match="label map"):
        TaskModel.load(
            str(sentiment_dir),
            label_map={"LABEL_0": "negative", "LABEL_2": "positive"},
            targets=SENTIMENT_TARGETS,
        )


def test_a_label_map_onto_unknown_labels_is_refused(sentiment_dir: Path) -> None:
    with pytest.raises(TaskModelError, match="angry"):
        TaskModel.load(
            str(sentiment_dir), label_map={"LABEL_0": "angry"}, targets=SENTIMENT_TARGETS
        )


def test_label_maps_are_read_as_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_SENTIMENT_LABEL_MAP", json.dumps(SENTIMENT_MAP))
    monkeypatch.setenv("UGC_MODEL_SENTIMENT", "some/model")
    settings = ClassifySettings()
    assert settings.sentiment_label_map == SENTIMENT_MAP
    assert settings.model_sentiment == "some/model"
