"""Any Hugging Face sequence-classification model in place of a default head, by setting.

A model's own labels ("LABEL_0", "toxic", "hate", ...) are mapped onto the project's labels by a
label map from the settings; probabilities of labels mapped to the same target are added for a
softmax model (they are exclusive) and maxed for a sigmoid model (they overlap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from classify.encoder import normalize_post_text

Activation = Literal["auto", "softmax", "sigmoid"]

SENTIMENT_TARGETS = ("negative", "neutral", "positive")
# "none" labels are accepted in a map and ignored: they are the absence of both tasks.
TOXICITY_TARGETS = ("offensive", "hate", "none")


class TaskModelError(ValueError):
    """A model or label map that cannot serve the task it was configured for."""


class TaskModel:
    """One sequence-classification model and the map from its labels to a task's labels."""

    def __init__(
        self,
        tokenizer: Any,
        model: torch.nn.Module,
        *,
        label_map: Mapping[str, str],
        targets: Sequence[str],
        activation: Activation = "auto",
        max_length: int = 128,
        batch_size: int = 32,
        name: str = "",
    ) -> None:
        self.name = name
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.max_length = max_length
        self.batch_size = batch_size
        config: Any = model.config
        id2label = {int(i): str(label) for i, label in config.id2label.items()}
        mapping = dict(label_map) or {label: label.lower() for label in id2label.values()}
        unknown = set(mapping.values()) - set(targets)
        if unknown:
            raise TaskModelError(f"label map targets {sorted(unknown)} are not in {list(targets)}")
        # Column index -> target, for the model's labels the map covers.
        self.columns = {i: mapping[label] for i, label in id2label.items() if label in mapping}
        mapped = set(self.columns.values())
        # Sentiment needs all three labels; a toxicity model may know only one of its tasks.
        ok = mapped >= set(targets) if "none" not in targets else bool(mapped - {"none"})
        if not ok:
            raise TaskModelError(
                f"model labels {sorted(id2label.values())} do not cover {list(targets)}: "
                "set the label map"
            )
        if activation == "auto":
            multi = config.problem_type == "multi_label_classification"
            activation = "sigmoid" if multi else "softmax"
        self.activation = activation

    @classmethod
    def load(
        cls,
        name_or_path: str,
        *,
        label_map: Mapping[str, str],
        targets: Sequence[str],
        activation: Activation = "auto",
        max_length: int = 128,
        batch_size: int = 32,
    ) -> TaskModel:
        """Load a model id or directory (a directory never triggers a hub lookup)."""
        kwargs: dict[str, Any] = {"local_files_only": True} if Path(name_or_path).is_dir() else {}
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, **kwargs)
        model = AutoModelForSequenceClassification.from_pretrained(name_or_path, **kwargs)
        return cls(
            tokenizer,
            model,
            label_map=label_map,
            targets=targets,
            activation=activation,
            max_length=max_length,
            batch_size=batch_size,
            name=name_or_path,
        )

    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Probability per mapped target for each text, in order."""
        prepared = [normalize_post_text(t) for t in texts]
        rows: list[list[float]] = []
        with torch.inference_mode():
            for start in range(0, len(prepared), self.batch_size):
                inputs = self.tokenizer(
                    prepared[start : start + self.batch_size],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                logits = self.model(**inputs).logits.float()
                probs = (
                    torch.sigmoid(logits)
                    if self.activation == "sigmoid"
                    else torch.softmax(logits, dim=-1)
                )
                rows.extend(probs.tolist())
        return [self._to_targets(row) for row in rows]

    def _to_targets(self, row: Sequence[float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for column, target in self.columns.items():
            if self.activation == "softmax":
                out[target] = out.get(target, 0.0) + row[column]
            else:
                out[target] = max(out.get(target, 0.0), row[column])
        return out


def toxicity_probabilities(predicted: Mapping[str, float], *, exclusive: bool) -> dict[str, float]:
    """``offensive`` and ``hate`` from a toxicity model's mapped output.

    Hate speech is offensive too (the OffensEval definition), so ``offensive`` includes hate:
    added when the model's labels are exclusive (softmax: "hate" / "offensive" / "neither"),
    the larger of the two when they overlap (sigmoid). A model that only knows "hate" vs "none"
    still feeds both tasks.
    """
    hate = predicted.get("hate", 0.0)
    offensive = predicted.get("offensive", 0.0)
    combined = offensive + hate if exclusive else max(offensive, hate)
    return {"offensive": min(1.0, combined), "hate": hate}
