"""Train the task heads on frozen sentence vectors and write ``heads.safetensors`` + ``heads.json``.

Each head is a class-weighted ("balanced") logistic regression fitted full-batch with L-BFGS; the
L2 strength (and, for hate, whether Davidson's hate tweets join the training set) is chosen on the
validation split. Everything is deterministic for a given seed: zero-initialised weights, seeded
subsampling, no shuffling.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from classify.datasets import (
    DAVIDSON,
    HATE,
    OFFENSIVE,
    davidson_hate,
    load_binary,
    load_sentiment,
    with_extra_positives,
)
from classify.encoder import PREPROCESSING, Encoder
from classify.heads import SAFETY_TASKS, HeadsMeta, TaskHeads, save_heads
from classify.risk import LEVELS, pick_thresholds

L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
DEFAULT_MAX_TRAIN_PER_TASK = 25_000
# Hate speech is the only task that can put a post on the GARM floor (never monetise).
FLOOR_PRECISION = {"hate": 0.9}


@dataclass(frozen=True)
class TrainingReport:
    """What :func:`train` produced: the metadata it wrote and how long each stage took."""

    meta: HeadsMeta
    seconds: dict[str, float]


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    encoder: str = "",
    seed: int = 13,
    max_train_per_task: int | None = DEFAULT_MAX_TRAIN_PER_TASK,
    max_length: int = 128,
    batch_size: int = 64,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> TrainingReport:
    """Embed the labeled data with ``encoder`` (empty: packaged MiniLM), fit every head, choose
    L2 and risk thresholds on validation, and write the heads into ``out_dir``.

    ``cache_dir`` keeps embeddings keyed by encoder weights and texts, so a re-run with the same
    encoder and data skips the encoder entirely.
    """
    started = time.monotonic()
    seconds: dict[str, float] = {}
    enc = Encoder.load(encoder, max_length=max_length, batch_size=batch_size)
    cache = _EmbeddingCache(enc, cache_dir, progress)

    sentiment = load_sentiment(data_dir, limit=max_train_per_task, seed=seed)
    offensive = load_binary(data_dir, OFFENSIVE, "offensive", limit=max_train_per_task, seed=seed)
    hate = load_binary(data_dir, HATE, "hate", limit=max_train_per_task, seed=seed)
    hate_plus = with_extra_positives(hate, davidson_hate(data_dir), f"{DAVIDSON} (class=0)")

    mark = time.monotonic()
    vectors = {
        name: (
            cache.embed(task.train.texts, f"{name} train"),
            cache.embed(task.val.texts, f"{name} val"),
        )
        for name, task in (("sentiment", sentiment), ("offensive", offensive), ("hate", hate_plus))
    }
    seconds["embedding"] = time.monotonic() - mark

    mark = time.monotonic()
    heads = TaskHeads(enc.dim)
    metrics: dict[str, Any] = {}
    training: dict[str, Any] = {"seed": seed, "max_train_per_task": max_train_per_task}
    thresholds: dict[str, dict[str, float | None]] = {}

    x, x_val = vectors["sentiment"]
    fit = _best_fit(x, sentiment.train.labels, x_val, sentiment.val.labels, n_classes=3)
    heads.set_linear("sentiment", fit.weight, fit.bias)
    metrics["sentiment"] = fit.metrics
    training["sentiment"] = {**sentiment.summary, "l2": fit.l2}

    for task in SAFETY_TASKS:
        data = offensive if task == "offensive" else hate
        x, x_val = vectors[task]
        candidates = {"tweeteval": (data, x[: len(data.train.texts)])}
        if task == "hate":
            # Davidson's extra positives come after the TweetEval rows in the same matrix.
            candidates["tweeteval+davidson_hate"] = (hate_plus, x)
        fits = {
            name: (_best_fit(cx, cd.train.labels, x_val, cd.val.labels, n_classes=2), cd)
            for name, (cd, cx) in candidates.items()
        }
        fit, chosen = max(fits.values(), key=lambda pair: pair[0].score)
        heads.set_linear(task, fit.weight, fit.bias)
        thresholds[task] = pick_thresholds(
            fit.val_probs,
            [y == 1 for y in chosen.val.labels],
            floor_precision=FLOOR_PRECISION.get(task),
        )
        metrics[task] = {
            **fit.metrics,
            "at_thresholds": _threshold_stats(fit.val_probs, chosen.val.labels, thresholds[task]),
        }
        training[task] = {**chosen.summary, "l2": fit.l2}
        if len(fits) > 1:
            training[task]["compared_on_val"] = {n: f.metrics for n, (f, _) in fits.items()}
    seconds["fitting"] = time.monotonic() - mark

    meta = HeadsMeta(
        version=f"linear-{_digest(heads)[:12]}",
        encoder=enc.name,
        embedding_dim=enc.dim,
        preprocessing=PREPROCESSING,
        thresholds=thresholds,
        training={"encoder_max_length": max_length, **training},
        metrics={"split": "val", **metrics},
    )
    save_heads(heads, meta, out_dir)
    seconds["total"] = time.monotonic() - started
    return TrainingReport(meta=meta, seconds=seconds)


@dataclass(frozen=True)
class _Fit:
    weight: torch.Tensor
    bias: torch.Tensor
    l2: float
    score: float
    metrics: dict[str, float]
    val_probs: list[float]


def _best_fit(
    x: torch.Tensor, y: Sequence[int], x_val: torch.Tensor, y_val: Sequence[int], *, n_classes: int
) -> _Fit:
    """Fit over the L2 grid and keep the best on validation (macro-recall for sentiment, the
    SemEval convention; macro-F1 for the binary tasks, the TweetEval one)."""
    best: _Fit | None = None
    labels, val_labels = torch.tensor(list(y)), np.asarray(y_val)
    for l2 in L2_GRID:
        weight, bias = fit_logistic(x, labels, n_classes=n_classes, l2=l2)
        logits = x_val @ weight.T + bias
        if n_classes == 2:
            probs = torch.sigmoid(logits.squeeze(-1))
            predicted = (probs >= 0.5).long().numpy()
        else:
            probs = torch.softmax(logits, dim=-1)
            predicted = probs.argmax(dim=-1).numpy()
        recall, f1 = macro_recall_f1(val_labels, predicted, n_classes)
        metrics = {"macro_recall": recall, "macro_f1": f1} if n_classes > 2 else {"macro_f1": f1}
        score = recall if n_classes > 2 else f1
        if best is None or score > best.score:
            val_probs = probs.tolist() if n_classes == 2 else []
            best = _Fit(
                weight, bias, l2, score, {k: round(v, 4) for k, v in metrics.items()}, val_probs
            )
    assert best is not None
    return best


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, *, n_classes: int, l2: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Class-balanced logistic regression; returns ``(weight, bias)`` acting on raw vectors.

    Features are standardised for the optimiser (unit-length vectors have tiny coordinates and
    make L-BFGS crawl), then the scaling is folded back into the weights so that the stored
    head is one plain linear layer. Binary tasks get a single logit (sigmoid).
    """
    mean, std = x.mean(dim=0), x.std(dim=0).clamp_min(1e-6)
    z = (x - mean) / std
    counts = torch.bincount(y, minlength=n_classes).clamp_min(1).double()
    class_weight = (len(y) / (n_classes * counts)).float()
    outputs = 1 if n_classes == 2 else n_classes
    weight = torch.zeros(outputs, x.shape[1], requires_grad=True)
    bias = torch.zeros(outputs, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=500,
        history_size=20,
        tolerance_grad=1e-7,
        tolerance_change=1e-10,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = z @ weight.T + bias
        if n_classes == 2:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits.squeeze(-1), y.float(), weight=class_weight[y]
            )
        else:
            loss = torch.nn.functional.cross_entropy(logits, y, weight=class_weight)
        loss = loss + 0.5 * l2 * weight.pow(2).sum()
        loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch's stubs
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]  # torch's LBFGS.step is untyped
    with torch.no_grad():
        folded = weight / std
        return folded.detach().clone(), (bias - (folded * mean).sum(dim=1)).detach().clone()


def macro_recall_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> tuple[float, float]:
    """Macro-averaged recall and F1 over ``n_classes`` (a class never predicted scores 0 F1)."""
    recalls, f1s = [], []
    for c in range(n_classes):
        tp = float(np.sum((y_pred == c) & (y_true == c)))
        support, predicted = float(np.sum(y_true == c)), float(np.sum(y_pred == c))
        recall = tp / support if support else 0.0
        precision = tp / predicted if predicted else 0.0
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return float(np.mean(recalls)), float(np.mean(f1s))


def _threshold_stats(
    probs: Sequence[float], labels: Sequence[int], thresholds: dict[str, float | None]
) -> dict[str, dict[str, float]]:
    p, y = np.asarray(probs), np.asarray(labels) == 1
    stats = {}
    for level in LEVELS:
        t = thresholds.get(level.value)
        if t is None:
            continue
        flagged = p >= t
        stats[level.value] = {
            "threshold": t,
            "precision": round(float((flagged & y).sum() / max(flagged.sum(), 1)), 4),
            "recall": round(float((flagged & y).sum() / max(y.sum(), 1)), 4),
            "flagged_share": round(float(flagged.mean()), 4),
        }
    return stats


def _digest(heads: TaskHeads) -> str:
    digest = hashlib.sha256()
    for key, tensor in sorted(heads.state_dict().items()):
        digest.update(key.encode())
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


class _EmbeddingCache:
    """Embeddings on disk, keyed by the encoder's weights and the exact texts."""

    def __init__(self, encoder: Encoder, cache_dir: Path | None, progress: bool) -> None:
        self.encoder = encoder
        self.cache_dir = cache_dir
        self.progress = progress
        self.fingerprint = encoder.fingerprint() if cache_dir else ""

    def embed(self, texts: list[str], what: str) -> torch.Tensor:
        path = None
        if self.cache_dir:
            key = hashlib.sha256(self.fingerprint.encode())
            key.update("\x00".join(texts).encode())
            path = self.cache_dir / f"{key.hexdigest()[:32]}.safetensors"
            if path.is_file():
                return load_file(str(path))["vectors"]
        with tqdm(
            total=len(texts), desc=f"embedding {what}", unit="post", disable=not self.progress
        ) as bar:
            vectors = self.encoder.embed(texts, on_batch=bar.update)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_file({"vectors": vectors.contiguous()}, str(path))
        return vectors
