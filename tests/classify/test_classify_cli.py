"""The ``classify`` command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classify.cli import classify


def _env(encoder: Path, heads: Path) -> dict[str, str]:
    return {"UGC_MODEL_ENCODER": str(encoder), "UGC_MODEL_HEADS": str(heads)}


def test_score_writes_one_json_object_per_plain_line_in_order() -> None:
    lines = ["I love this brand so much!", "", "Terrible, never again."]
    result = CliRunner().invoke(classify, ["score"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    assert [r["sentiment"]["label"] for r in (records[0], records[2])] == ["positive", "negative"]
    for record in records:
        assert "id" not in record
        assert set(record["sentiment"]) == {"label", "scores"}
        assert set(record["safety"]) == {"scores", "garm", "risk", "reasons"}
        assert len(record["safety"]["garm"]) == 11
        assert set(record["language"]) == {"code", "confidence", "supported"}
    assert records[0]["language"] == {
        "code": "en",
        "confidence": pytest.approx(records[0]["language"]["confidence"]),
        "supported": True,
    }
    assert records[1]["language"]["code"] is None
    assert records[1]["low_confidence"] is True


def test_score_keeps_ids_from_jsonl_and_reads_a_file(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    source = tmp_path / "posts.jsonl"
    posts = [{"id": "a", "text": "love great"}, {"text": "sad"}, {"id": 3, "text": ""}]
    source.write_text("\n".join(json.dumps(p) for p in posts) + "\n{not json, just text\n")
    result = CliRunner().invoke(
        classify, ["score", "--input", str(source)], env=_env(tiny_encoder_dir, tiny_heads_dir)
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in records] == ["a", None, 3, None]
    for record in records:
        assert isinstance(record["low_confidence"], bool)
        assert record["safety"]["risk"] in {"floor", "high", "medium", "low", "none"}


def test_score_marks_a_post_in_an_unsupported_language_low_confidence(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    env = {**_env(tiny_encoder_dir, tiny_heads_dir), "UGC_LANGUAGES_SENTIMENT": '["en"]'}
    result = CliRunner().invoke(
        classify, ["score"], input="Me encanta esta marca, el servicio es genial\n", env=env
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["language"]["code"] == "es"
    assert record["language"]["supported"] is False
    assert record["low_confidence"] is True
    assert any("low confidence" in reason for reason in record["safety"]["reasons"])


def test_score_refuses_a_json_object_without_text(
    tiny_encoder_dir: Path, tiny_heads_dir: Path
) -> None:
    result = CliRunner().invoke(
        classify,
        ["score"],
        input='{"id": 1, "body": "x"}\n',
        env=_env(tiny_encoder_dir, tiny_heads_dir),
    )
    assert result.exit_code != 0
    assert "line 1" in result.output


def test_train_writes_heads_into_the_out_directory(
    tmp_path: Path, tiny_data_dir: Path, tiny_encoder_dir: Path
) -> None:
    out = tmp_path / "heads"
    result = CliRunner().invoke(
        classify,
        ["train", str(tiny_data_dir), "--out", str(out), "--encoder", str(tiny_encoder_dir)],
    )
    assert result.exit_code == 0, result.output
    assert (out / "heads.safetensors").is_file()
    assert json.loads((out / "heads.json").read_text())["embedding_dim"] == 32


@pytest.mark.parametrize(
    "args", [["--help"], ["score", "--help"], ["train", "--help"], ["eval", "--help"]]
)
def test_commands_document_themselves(args: list[str]) -> None:
    result = CliRunner().invoke(classify, args)
    assert result.exit_code == 0
    assert "Usage" in result.output
