"""``classify eval``: metrics per task and split on a tiny data directory written by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classify.cli import classify
from classify.evaluate import labeled_splits, macro_scores
from tests.classify.conftest import write_tiny_data


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tiny_data(tmp_path_factory.mktemp("eval-data"))
    rows = ["language\tsplit\tlabel\ttext"]
    for language in ("english", "spanish"):
        for split in ("train", "val", "test"):
            for label, text in (("positive", "love great"), ("negative", "sad awful")):
                rows += [f"{language}\t{split}\t{label}\t{text} {i}" for i in range(4)]
            rows.append(f"{language}\t{split}\tneutral\ttable report")
    (root / "sentiment/xlmt_multilingual.tsv").write_text("\n".join(rows) + "\n")
    return root


def test_macro_scores_average_over_classes() -> None:
    gold = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "b"]
    scores = macro_scores(gold, predicted, ["a", "b", "c"])
    assert scores["macro_recall"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 0) / 3)


def test_splits_cover_every_task_and_xlmt_language_but_never_train(data_dir: Path) -> None:
    names = [(s.task, s.split) for s in labeled_splits(data_dir)]
    assert ("sentiment", "tweeteval val (en)") in names
    assert ("sentiment", "xlmt val (spanish)") in names
    assert ("sentiment", "xlmt test (english)") in names
    assert ("offensive", "val") in names
    assert ("hate", "val") in names
    assert not any("train" in split for _, split in names)


def test_max_rows_caps_every_split(data_dir: Path) -> None:
    assert all(len(s.texts) <= 3 for s in labeled_splits(data_dir, max_rows=3))


def test_eval_command_prints_metrics_per_split_and_the_garm_report(
    data_dir: Path, tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    env = {"UGC_MODEL_ENCODER": str(tiny_encoder_dir), "UGC_MODEL_HEADS": str(tiny_heads_dir)}
    result = CliRunner().invoke(
        classify, ["eval", str(data_dir), "--max-rows", "4", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    splits = {(r["task"], r["split"]): r for r in report["splits"]}
    assert splits[("sentiment", "xlmt test (spanish)")]["rows"] == 4
    for row in report["splits"]:
        assert 0 <= row["macro_recall"] <= 1
        assert 0 <= row["macro_f1"] <= 1
    assert report["garm"]["rows"] >= 150
    assert set(report["garm"]["categories"]["terrorism"]) == {
        "precision",
        "recall",
        "f1",
        "support",
    }
    assert 0 <= report["garm"]["risk_accuracy"] <= 1

    table = CliRunner().invoke(classify, ["eval", str(data_dir), "--max-rows", "2"], env=env)
    assert table.exit_code == 0, table.output
    assert "macro-F1" in table.stdout
    assert "risk accuracy" in table.stdout
