"""``ugc alerts backtest``: score a CSV series with the spike detector, for analysts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from classify.spikes.backtest import (
    BacktestInputError,
    configure,
    read_series,
    run_backtest,
    write_scored,
)
from classify.spikes.model import DetectorConfig, Direction, Sensitivity


@click.command(name="backtest")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with timestamp,value (optional negative,total,engagement), one row per bucket.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the scored rows (default: stdout).",
)
@click.option(
    "--sensitivity",
    type=click.Choice(["fewer", "balanced", "more"]),
    default="balanced",
    show_default=True,
)
@click.option(
    "--min-volume",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Negative posts in the alert window before an alert may fire.",
)
@click.option(
    "--cooldown-minutes",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="No new alert this long after a burst ended.",
)
@click.option(
    "--direction",
    type=click.Choice(["up", "both"]),
    default="up",
    show_default=True,
    help="both: drops of a generic series alert too.",
)
def backtest_command(
    input_path: Path,
    output_path: Path | None,
    sensitivity: Sensitivity,
    min_volume: int,
    cooldown_minutes: float,
    direction: Direction,
) -> None:
    """Score every row of a series with the spike detector (causal: as if streamed)."""
    try:
        with input_path.open(newline="", encoding="utf-8") as source:
            series = read_series(source)
    except BacktestInputError as error:
        raise click.UsageError(f"{input_path}: {error}") from None
    except UnicodeDecodeError:
        raise click.UsageError(f"{input_path}: not a UTF-8 text file") from None
    config = configure(
        series.buckets,
        DetectorConfig(
            sensitivity=sensitivity,
            min_volume=min_volume,
            cooldown_s=cooldown_minutes * 60.0,
            direction=direction,
        ),
    )
    verdicts = run_backtest(series.buckets, config)
    if output_path is None:
        write_scored(series, verdicts, sys.stdout)
        return
    with output_path.open("w", newline="", encoding="utf-8") as target:
        write_scored(series, verdicts, target)
