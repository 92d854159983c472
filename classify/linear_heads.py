"""Linear heads on frozen sentence vectors: class-balanced logistic regression per task.

Used when the encoder is not tuned (``tuned_layers=0``, or an encoder whose layers cannot be
split): L2 strength and, for hate, whether Davidson's hate tweets join training are chosen on
validation. Deterministic: zero-initialised weights, full-batch L-BFGS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from classify.datasets import TaskData
from classify.heads import TaskHeads

L2_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def fit_linear_heads(
    heads: TaskHeads,
    vectors: dict[str, tuple[torch.Tensor, torch.Tensor]],
    tasks: dict[str, TaskData],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Logistic-regression heads on the untuned encoder's vectors, installed into ``heads``."""
    training: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    for name, data in tasks.items():
        x, x_val = vectors[name]
        n_classes = len(data.label_names)
        candidates = {"tweeteval": len(data.train.texts)}
        if name == "hate":
            # Davidson's extra positives come after the TweetEval rows in the same matrix.
            base = len(data.train.texts) - data.summary["extra_positives"]["rows"]  # type: ignore[index]
            candidates = {"tweeteval": base, "tweeteval+davidson_hate": len(data.train.texts)}
        fits = {
            c: _best_fit(x[:n], data.train.labels[:n], x_val, data.val.labels, n_classes=n_classes)
            for c, n in candidates.items()
        }
        chosen = max(fits, key=lambda c: fits[c].score)
        fit = fits[chosen]
        heads.set_linear(name, fit.weight, fit.bias)
        metrics[name] = fit.metrics
        summary = dict(data.summary)
        if chosen == "tweeteval" and name == "hate":
            summary.pop("extra_positives")
            labels = data.train.labels[: candidates[chosen]]
            summary["train_rows"] = {n: labels.count(i) for i, n in enumerate(data.label_names)}
        training[name] = {**summary, "rows": candidates[chosen], "linear_l2": fit.l2}
        if len(fits) > 1:
            training[name]["compared_on_val"] = {c: f.metrics for c, f in fits.items()}
    return training, metrics


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
