"""The labeled files in the shared data directory, read as train and validation splits per task.

Layout and formats are those of ``shared/data/README.md``: TSVs have a header and no quoting (a
line splits on its first N-1 tabs); the Davidson file is a quoted CSV whose tweets span lines.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from classify.heads import SENTIMENT_LABELS

SENTIMENT_TRAIN = Path("sentiment/semeval2013_2016_en.tsv")
SENTIMENT_VAL = Path("sentiment/tweeteval_sentiment_val_en.tsv")
OFFENSIVE = Path("safety/tweeteval_offensive_en.tsv")
HATE = Path("safety/tweeteval_hate_en.tsv")
DAVIDSON = Path("safety/davidson_hate_offensive_en.csv")

_SENTIMENT_INDEX = {label.value: i for i, label in enumerate(SENTIMENT_LABELS)}


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[int]

    def counts(self, names: list[str]) -> dict[str, int]:
        """Rows per label name, for the training summary."""
        counter = Counter(self.labels)
        return {name: counter[i] for i, name in enumerate(names)}


@dataclass(frozen=True)
class TaskData:
    """One task's data: ``labels`` name the classes (index = label id)."""

    name: str
    label_names: list[str]
    train: Split
    val: Split
    summary: dict[str, object]


def read_tsv(path: Path, columns: list[str]) -> list[list[str]]:
    """Rows of a headed, unquoted TSV; the last column keeps any further tabs."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].rstrip("\r").split("\t")
    if header != columns:
        raise ValueError(f"{path}: expected columns {columns}, found {header}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line:
            continue
        row = line.split("\t", len(columns) - 1)
        if len(row) != len(columns):
            raise ValueError(f"{path}:{number}: expected {len(columns)} fields, found {len(row)}")
        rows.append(row)
    return rows


def duplicate_key(text: str) -> str:
    """Texts equal up to case, handles, links and punctuation (TweetEval re-published SemEval
    tweets with users masked, so exact comparison misses the overlap)."""
    text = re.sub(r"https?://\S+", " ", text.casefold())
    text = re.sub(r"@\w+", "@user", text)
    return re.sub(r"\W+", " ", text).strip()


def _drop_seen(split: Split, seen: set[str]) -> tuple[Split, int]:
    kept = [
        (t, y)
        for t, y in zip(split.texts, split.labels, strict=True)
        if duplicate_key(t) not in seen
    ]
    return Split([t for t, _ in kept], [y for _, y in kept]), len(split.texts) - len(kept)


def _subsample(split: Split, limit: int | None, seed: int) -> Split:
    if limit is None or len(split.texts) <= limit:
        return split
    chosen = sorted(random.Random(seed).sample(range(len(split.texts)), limit))
    return Split([split.texts[i] for i in chosen], [split.labels[i] for i in chosen])


def _finish(
    name: str,
    label_names: list[str],
    train: Split,
    val: Split,
    *,
    limit: int | None,
    seed: int,
    sources: dict[str, str],
) -> TaskData:
    # Validation rows must never be trained on, even when re-published under another file.
    train, dropped = _drop_seen(train, {duplicate_key(t) for t in val.texts})
    available = len(train.texts)
    train = _subsample(train, limit, seed)
    summary: dict[str, object] = {
        "sources": sources,
        "train_rows": train.counts(label_names),
        "val_rows": val.counts(label_names),
        "train_available": available,
        "dropped_as_duplicates_of_val": dropped,
    }
    return TaskData(name, label_names, train, val, summary)


def load_sentiment(data_dir: Path, *, limit: int | None, seed: int) -> TaskData:
    """SemEval 2013-2016 (every source split) to train; TweetEval's validation split to choose."""
    rows = read_tsv(data_dir / SENTIMENT_TRAIN, ["id", "label", "source", "text"])
    train = Split([r[3] for r in rows], [_SENTIMENT_INDEX[r[1]] for r in rows])
    val_rows = read_tsv(data_dir / SENTIMENT_VAL, ["label", "text"])
    val = Split([r[1] for r in val_rows], [_SENTIMENT_INDEX[r[0]] for r in val_rows])
    sources = {"train": str(SENTIMENT_TRAIN), "val": str(SENTIMENT_VAL)}
    names = [label.value for label in SENTIMENT_LABELS]
    return _finish("sentiment", names, train, val, limit=limit, seed=seed, sources=sources)


def load_binary(
    data_dir: Path, file: Path, positive: str, *, limit: int | None, seed: int
) -> TaskData:
    """A TweetEval safety file (``split, label, text``): ``positive`` is label 1."""
    rows = read_tsv(data_dir / file, ["split", "label", "text"])
    labels = {r[1] for r in rows}
    if positive not in labels or len(labels) != 2:
        raise ValueError(f"{file}: expected two labels including {positive!r}, found {labels}")
    splits = {
        name: Split(
            [r[2] for r in rows if r[0] == name],
            [int(r[1] == positive) for r in rows if r[0] == name],
        )
        for name in ("train", "val")
    }
    sources = {"train": f"{file} (split=train)", "val": f"{file} (split=val)"}
    return _finish(
        positive,
        [f"not_{positive}", positive],
        splits["train"],
        splits["val"],
        limit=limit,
        seed=seed,
        sources=sources,
    )


def with_extra_positives(task: TaskData, texts: list[str], source: str) -> TaskData:
    """The task with ``texts`` added to training as positives (never to validation)."""
    extra, dropped = _drop_seen(
        Split(texts, [1] * len(texts)), {duplicate_key(t) for t in task.val.texts}
    )
    train = Split(task.train.texts + extra.texts, task.train.labels + extra.labels)
    summary = {
        **task.summary,
        "train_rows": train.counts(task.label_names),
        "extra_positives": {
            "source": source,
            "rows": len(extra.texts),
            "dropped_as_duplicates_of_val": dropped,
        },
    }
    return TaskData(task.name, task.label_names, train, task.val, summary)


def davidson_hate(data_dir: Path) -> list[str]:
    """Tweets the Davidson annotators' majority called hate speech (class 0)."""
    with (data_dir / DAVIDSON).open(encoding="utf-8", newline="") as f:
        return [row["tweet"] for row in csv.DictReader(f) if row["class"] == "0"]
