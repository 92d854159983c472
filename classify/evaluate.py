"""``classify eval``: macro-recall and macro-F1 of the configured models on every labeled split.

Sentiment on TweetEval's validation split and on XLM-T per language (``val`` and ``test``);
offensive and hate on their ``val`` splits; the GARM categories on the project's own set. A
binary task is decided at probability 0.5, the same for the default heads and any replacement
model, so that two configurations are compared on equal terms.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classify.datasets import HATE, OFFENSIVE, SENTIMENT_VAL, read_tsv
from classify.garm_eval import EVAL_SET, garm_report, load_eval_set
from classify.scoring import TextScores

XLMT = Path("sentiment/xlmt_multilingual.tsv")
XLMT_SPLITS = ("val", "test")
SENTIMENT_NAMES = ("negative", "neutral", "positive")
DECISION_THRESHOLD = 0.5

ScoreTexts = Callable[[Sequence[str]], list[TextScores]]


@dataclass(frozen=True)
class Labeled:
    """One split to evaluate: texts, their gold labels, and the label names."""

    task: str
    split: str
    texts: list[str]
    labels: list[str]
    names: tuple[str, ...]


def macro_scores(
    gold: Sequence[str], predicted: Sequence[str], names: Sequence[str]
) -> dict[str, float]:
    """Macro-averaged recall and F1 over ``names`` (a class absent from gold counts as 0)."""
    recalls, f1s = [], []
    for name in names:
        tp = sum(g == name and p == name for g, p in zip(gold, predicted, strict=True))
        support = sum(g == name for g in gold)
        flagged = sum(p == name for p in predicted)
        recall = tp / support if support else 0.0
        precision = tp / flagged if flagged else 0.0
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {"macro_recall": sum(recalls) / len(names), "macro_f1": sum(f1s) / len(names)}


def _sample(
    texts: list[str], labels: list[str], max_rows: int | None
) -> tuple[list[str], list[str]]:
    # A seeded sample, not the first rows: some files are grouped by label.
    if max_rows is None or len(texts) <= max_rows:
        return texts, labels
    chosen = sorted(random.Random(0).sample(range(len(texts)), max_rows))
    return [texts[i] for i in chosen], [labels[i] for i in chosen]


def labeled_splits(data_dir: Path, *, max_rows: int | None = None) -> list[Labeled]:
    """Every split the data directory has, in report order; missing files are skipped."""
    splits: list[Labeled] = []

    def add(
        task: str, split: str, texts: list[str], labels: list[str], names: tuple[str, ...]
    ) -> None:
        if texts:
            texts, labels = _sample(texts, labels, max_rows)
            splits.append(Labeled(task, split, texts, labels, names))

    if (data_dir / SENTIMENT_VAL).is_file():
        rows = read_tsv(data_dir / SENTIMENT_VAL, ["label", "text"])
        add(
            "sentiment",
            "tweeteval val (en)",
            [r[1] for r in rows],
            [r[0] for r in rows],
            SENTIMENT_NAMES,
        )
    if (data_dir / XLMT).is_file():
        rows = read_tsv(data_dir / XLMT, ["language", "split", "label", "text"])
        for language in sorted({r[0] for r in rows}):
            for split in XLMT_SPLITS:
                chosen = [r for r in rows if r[0] == language and r[1] == split]
                add(
                    "sentiment",
                    f"xlmt {split} ({language})",
                    [r[3] for r in chosen],
                    [r[2] for r in chosen],
                    SENTIMENT_NAMES,
                )
    for task, file in (("offensive", OFFENSIVE), ("hate", HATE)):
        if (data_dir / file).is_file():
            rows = [
                r for r in read_tsv(data_dir / file, ["split", "label", "text"]) if r[0] == "val"
            ]
            add(task, "val", [r[2] for r in rows], [r[1] for r in rows], (f"not_{task}", task))
    return splits


def predict(split: Labeled, scores: Sequence[TextScores]) -> list[str]:
    """The label each score says, in the split's vocabulary."""
    if split.task == "sentiment":
        return [s.sentiment.label.value for s in scores]
    positive, negative = split.names[1], split.names[0]
    return [
        positive if s.safety.scores.get(split.task, 0.0) >= DECISION_THRESHOLD else negative
        for s in scores
    ]


def evaluate(
    score_texts: ScoreTexts,
    data_dir: Path,
    *,
    max_rows: int | None = None,
    garm_set: Path = EVAL_SET,
    on_split: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Metrics per task and split, plus the GARM report; ``score_texts`` is the scorer's."""
    results: list[dict[str, Any]] = []
    for split in labeled_splits(data_dir, max_rows=max_rows):
        if on_split:
            on_split(f"{split.task} {split.split} ({len(split.texts)} rows)")
        predicted = predict(split, score_texts(split.texts))
        results.append(
            {"task": split.task, "split": split.split, "rows": len(split.texts)}
            | macro_scores(split.labels, predicted, split.names)
        )
    # Never sampled: the set is small, and a sample would drop whole categories.
    examples = load_eval_set(garm_set)
    if on_split:
        on_split(f"garm eval set ({len(examples)} rows)")
    garm = garm_report(examples, [s.safety for s in score_texts([e.text for e in examples])])
    return {"splits": results, "garm": garm, "decision_threshold": DECISION_THRESHOLD}


def format_splits(results: Sequence[dict[str, Any]]) -> list[str]:
    """A table: task, split, rows, macro-recall, macro-F1 (in percent)."""
    lines = [f"{'task':<10} {'split':<26} {'rows':>6} {'macro-R':>8} {'macro-F1':>9}"]
    for r in results:
        lines.append(
            f"{r['task']:<10} {r['split']:<26} {r['rows']:>6} "
            f"{100 * r['macro_recall']:8.1f} {100 * r['macro_f1']:9.1f}"
        )
    return lines
