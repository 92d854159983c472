"""``classify`` commands: train the heads, score posts from a file, evaluate the configured models.
The worker joins this group."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

import click
import torch

from classify.evaluate import evaluate, format_splits
from classify.garm_eval import format_garm_report
from classify.heads import DEFAULT_HEADS_DIR
from classify.scoring import Scorer, TextScores
from classify.settings import ClassifySettings
from classify.train import DEFAULT_ENCODER_LAYERS, DEFAULT_MAX_TRAIN_PER_TASK, train

# Posts scored per chunk: output appears as it is ready while memory stays flat on big inputs.
SCORE_CHUNK = 256


@click.group(name="classify")
def classify() -> None:
    """Sentiment and brand-safety scoring of posts."""


@classify.command(name="train")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_HEADS_DIR,
    show_default=True,
    help="Where heads.safetensors and heads.json are written.",
)
@click.option("--seed", type=int, default=13, show_default=True)
@click.option(
    "--max-per-task",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_TRAIN_PER_TASK,
    show_default=True,
    help="Training rows per task at most (a seeded sample beyond that).",
)
@click.option(
    "--encoder",
    default=None,
    help="Encoder id or path (default: UGC_MODEL_ENCODER, else the packaged MiniLM).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the frozen layers' output here so that re-runs skip that part of the encoder.",
)
@click.option(
    "--tuned-layers",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help=(
        "Top encoder layers trained with the heads (the committed model tunes 2); 0 trains "
        "heads alone on a frozen encoder (logistic regression), for encoders that cannot split."
    ),
)
@click.option(
    "--encoder-layers",
    type=click.IntRange(min=0),
    default=None,
    help=(
        "Keep only the encoder's bottom N layers (0: all): a faster model on the same base "
        "weights; the heads record N and the encoder is cut to it wherever they are loaded. "
        "Default: 4 of the packaged MiniLM's 6 (the committed model), all of any other encoder."
    ),
)
@click.option("--epochs", type=click.IntRange(min=0), default=3, show_default=True)
@click.option(
    "--max-length",
    type=click.IntRange(min=8),
    default=64,
    show_default=True,
    help="Tokens per training post (the committed model trained on 64; serving reads 128).",
)
def train_command(
    data_dir: Path,
    out: Path,
    seed: int,
    max_per_task: int,
    encoder: str | None,
    cache_dir: Path | None,
    tuned_layers: int,
    encoder_layers: int | None,
    epochs: int,
    max_length: int,
) -> None:
    """Train the task heads (and the encoder's top layers) on the labeled data in DATA_DIR."""
    settings = ClassifySettings()
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    encoder = settings.model_encoder if encoder is None else encoder
    if encoder_layers is None:
        encoder_layers = 0 if encoder else DEFAULT_ENCODER_LAYERS
    report = train(
        data_dir,
        out,
        encoder=encoder,
        seed=seed,
        max_train_per_task=max_per_task,
        max_length=max_length,
        tuned_layers=tuned_layers,
        encoder_layers=encoder_layers,
        epochs=epochs,
        cache_dir=cache_dir,
    )
    click.echo(json.dumps(report.meta.metrics, indent=2))
    timings = ", ".join(f"{k} {v:.0f}s" for k, v in report.seconds.items())
    click.echo(f"heads {report.meta.version} written to {out} ({timings})")


@classify.command(name="score")
@click.option(
    "--input",
    "source",
    type=click.File("r", encoding="utf-8"),
    default="-",
    show_default=True,
    help="One post per line: plain text, or JSON objects with `text` and an optional `id`.",
)
def score_command(source: TextIO) -> None:
    """Score posts and write one JSON object per input line, in order, to standard output."""
    scorer = Scorer.from_settings(
        ClassifySettings(), progress=lambda step: click.echo(f"classify: {step}", err=True)
    )
    lines = (line.rstrip("\r\n") for line in source)
    for chunk in _chunks(enumerate(lines, start=1), SCORE_CHUNK):
        posts = [parse_post_line(line, number) for number, line in chunk]
        scores = scorer.score_texts([text for _, text in posts])
        for (post_id, _), result in zip(posts, scores, strict=True):
            click.echo(json.dumps(score_record(post_id, result), ensure_ascii=False))


def parse_post_line(line: str, number: int) -> tuple[Any, str]:
    """``(id, text)`` from a plain-text or JSONL line; a line that is not a JSON object is text."""
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            return None, line
        if isinstance(data, dict):
            if not isinstance(data.get("text"), str):
                raise click.ClickException(f"line {number}: a JSON object needs a string `text`")
            return data.get("id"), data["text"]
    return None, line


def score_record(post_id: Any, scores: TextScores) -> dict[str, Any]:
    """The JSON written for one post; ``id`` only when the input gave one."""
    record: dict[str, Any] = {} if post_id is None else {"id": post_id}
    record["sentiment"] = scores.sentiment.model_dump(mode="json")
    record["safety"] = scores.safety.model_dump(mode="json")
    record["language"] = scores.language.model_dump(mode="json")
    record["low_confidence"] = scores.low_confidence
    return record


@classify.command(name="eval")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Score at most this many rows per split (a seeded sample), for a quick run.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
def eval_command(data_dir: Path, max_rows: int | None, as_json: bool) -> None:
    """Macro-recall and macro-F1 per task and split on DATA_DIR, and the GARM evaluation set,
    for the models the settings configure."""
    settings = ClassifySettings()
    scorer = Scorer.from_settings(
        settings, progress=lambda step: click.echo(f"classify: {step}", err=True)
    )
    report = evaluate(
        scorer.score_texts,
        data_dir,
        max_rows=max_rows,
        on_split=lambda what: click.echo(f"classify: scoring {what}", err=True),
    )
    report["model"] = scorer.model_info.model_dump(mode="json")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"model {report['model']['name']} {report['model']['version']}")
    for line in [*format_splits(report["splits"]), "", *format_garm_report(report["garm"])]:
        click.echo(line)


def _chunks(items: Iterator[tuple[int, str]], size: int) -> Iterator[list[tuple[int, str]]]:
    while chunk := list(islice(items, size)):
        yield chunk


def _add_worker_command() -> None:
    # Imported here so that the module reads top-down: train and score above, the worker from
    # its own module (it brings in faust).
    from classify.worker import worker_command

    classify.add_command(worker_command)


_add_worker_command()
