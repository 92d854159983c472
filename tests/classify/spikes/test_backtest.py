"""``ugc alerts backtest``: every row back with its score, clear errors on bad files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from classify.spikes.cli import backtest_command
from tests.classify.spikes.factories import START, STEP


def write_counts(path: Path, rows: int, burst_at: int | None = None) -> None:
    with path.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["timestamp", "value", "negative", "total", "engagement", "note"])
        for index in range(rows):
            negative = 25 if index == burst_at else 1
            stamp = (START + index * STEP).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([stamp, negative, negative, 10 + negative, negative * 1.5, f"n{index}"])


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_row_comes_back_in_order_with_score_and_alert(tmp_path: Path) -> None:
    source = tmp_path / "series.csv"
    write_counts(source, 400, burst_at=350)
    result = CliRunner().invoke(backtest_command, ["--input", str(source)])
    assert result.exit_code == 0, result.output
    rows = read(result.output)
    originals = read(source.read_text())
    assert len(rows) == len(originals)
    assert list(rows[0]) == [*originals[0], "score", "alert"]
    assert [row["note"] for row in rows] == [row["note"] for row in originals]
    assert [i for i, row in enumerate(rows) if row["alert"] == "1"] == [350]
    assert all(0.0 <= float(row["score"]) <= 1.0 for row in rows)
    assert all(len(row["score"].split(".")[1]) == 4 for row in rows)


def test_output_file_and_settings(tmp_path: Path) -> None:
    source, target = tmp_path / "series.csv", tmp_path / "scored.csv"
    write_counts(source, 400, burst_at=350)
    result = CliRunner().invoke(
        backtest_command,
        [
            "--input",
            str(source),
            "--output",
            str(target),
            "--min-volume",
            "40",
            "--sensitivity",
            "more",
            "--cooldown-minutes",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read(target.read_text())
    assert len(rows) == 400
    assert not any(row["alert"] == "1" for row in rows)


def test_a_generic_series_with_repeated_timestamps_keeps_every_row(tmp_path: Path) -> None:
    source = tmp_path / "values.csv"
    lines = ["timestamp,value"]
    for index in range(500):
        lines.append(f"{(START + index * STEP).isoformat()},{100 + index % 5}")
    lines.insert(200, lines[199])
    source.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(backtest_command, ["--input", str(source)])
    assert result.exit_code == 0, result.output
    assert len(read(result.output)) == 501


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,value\n2026-01-01 00:00:00,1\n", "needs the columns timestamp and value"),
        ("timestamp,value\n2026-01-01 00:00:00,1\nyesterday,2\n", "line 3: timestamp 'yesterday'"),
        ("timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,lots\n", "line 3: value"),
        ("timestamp,value,negative\n2026-01-01 00:00:00,1,-2\n", "line 2: negative '-2'"),
        ("timestamp,value\n2026-01-01 00:00:00\n", "line 2: 1 fields"),
        ("", "the file is empty"),
        ("timestamp,value\n", "no rows"),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    result = CliRunner().invoke(backtest_command, ["--input", str(source)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
