"""Score posts: one encoder pass gives the sentiment and every brand-safety score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from classify.encoder import DEFAULT_ENCODER_ID, Encoder, Progress
from classify.heads import SENTIMENT_LABELS, HeadsMeta, TaskHeads, load_heads, resolve_heads_dir
from classify.risk import assess_safety
from classify.settings import ClassifySettings
from ugc.contract import ModelInfo, SafetyScores, SentimentScores


@dataclass(frozen=True)
class TextScores:
    """What the model says about one text."""

    sentiment: SentimentScores
    safety: SafetyScores


class Scorer:
    """An encoder and its heads, loaded once per process."""

    def __init__(self, encoder: Encoder, heads: TaskHeads, meta: HeadsMeta) -> None:
        self.encoder = encoder
        self.heads = heads
        self.meta = meta

    @classmethod
    def from_settings(
        cls, settings: ClassifySettings, *, progress: Progress | None = None
    ) -> Scorer:
        """Load the encoder and heads the settings name, then warm up with one tiny batch.

        ``progress`` is told each step ("loading tokenizer", "loading encoder weights",
        "loading heads", "warm-up") so that a supervisor can show what a slow start is doing.
        """
        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        encoder = Encoder.load(
            settings.model_encoder,
            max_length=settings.max_length,
            batch_size=settings.batch_size,
            progress=progress,
        )
        if progress:
            progress("loading heads")
        heads, meta = load_heads(
            resolve_heads_dir(settings.model_heads),
            embedding_dim=encoder.dim,
            encoder=encoder.name,
        )
        scorer = cls(encoder, heads, meta)
        if progress:
            progress("warm-up")
        # The first forward pass allocates and picks kernels; pay for it before the first post.
        scorer.score_texts(["warm-up"])
        return scorer

    @property
    def model_info(self) -> ModelInfo:
        """Name of the encoder plus heads, and the heads' version from heads.json."""
        return ModelInfo(name=f"{_short_name(self.encoder.name)}+heads", version=self.meta.version)

    def score_texts(self, texts: Sequence[str]) -> list[TextScores]:
        """Scores for each text, in order. Empty or blank texts are scored like any other."""
        if not texts:
            return []
        vectors = self.encoder.embed(texts)
        with torch.inference_mode():
            outputs = self.heads(vectors)
        sentiment_rows = outputs.sentiment.tolist()
        safety_columns = {task: probs.tolist() for task, probs in outputs.safety.items()}
        results = []
        for i, row in enumerate(sentiment_rows):
            probs = dict(zip(SENTIMENT_LABELS, row, strict=True))
            best = max(SENTIMENT_LABELS, key=probs.__getitem__)
            safety = {task: column[i] for task, column in safety_columns.items()}
            results.append(
                TextScores(
                    sentiment=SentimentScores(label=best, scores=probs),
                    safety=assess_safety(safety, self.meta.thresholds),
                )
            )
        return results


def _short_name(encoder: str) -> str:
    if encoder == DEFAULT_ENCODER_ID:
        return "minilm-l6-v2"
    return Path(encoder.rstrip("/")).name.lower() or encoder
