"""Score posts: one encoder pass gives the sentiment and every brand-safety score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from classify.encoder import DEFAULT_ENCODER_ID, Encoder, Progress
from classify.garm import GarmScorer
from classify.graph import compile_encoder
from classify.heads import SENTIMENT_LABELS, HeadsMeta, TaskHeads, load_heads, resolve_heads_dir
from classify.language import LanguageDetector
from classify.risk import assess_safety
from classify.settings import ClassifySettings
from classify.task_models import (
    SENTIMENT_TARGETS,
    TOXICITY_TARGETS,
    Activation,
    TaskModel,
    toxicity_probabilities,
)
from contract import DetectedLanguage, ModelInfo, SafetyScores, SentimentScores

UNKNOWN_LANGUAGE = DetectedLanguage(code=None, confidence=0.0, supported=False)

# The thresholds in heads.json were picked on the default heads' own probabilities and mean
# nothing for another model; a replacement toxicity model gets these generic ones instead.
REPLACEMENT_THRESHOLDS: dict[str, dict[str, float | None]] = {
    task: {"floor": None, "high": 0.9, "medium": 0.7, "low": 0.5} for task in ("offensive", "hate")
}


@dataclass(frozen=True)
class TextScores:
    """What the model says about one text."""

    sentiment: SentimentScores
    safety: SafetyScores
    language: DetectedLanguage = field(default=UNKNOWN_LANGUAGE)
    low_confidence: bool = False


@dataclass(frozen=True)
class Extras:
    """What the scorer adds around the encoder and heads: all optional, all loaded once."""

    garm: GarmScorer | None = None
    language: LanguageDetector | None = None
    sentiment_model: TaskModel | None = None
    toxicity_model: TaskModel | None = None
    safety_languages: frozenset[str] = frozenset({"en"})


class Scorer:
    """An encoder and its heads, loaded once per process."""

    def __init__(
        self, encoder: Encoder, heads: TaskHeads, meta: HeadsMeta, extras: Extras | None = None
    ) -> None:
        self.encoder = encoder
        self.heads = heads
        self.meta = meta
        self.extras = extras or Extras()

    @classmethod
    def from_settings(
        cls, settings: ClassifySettings, *, progress: Progress | None = None
    ) -> Scorer:
        """Load the encoder and heads the settings name (with the GARM prototypes, the language
        detector and any per-task replacement model), then warm up with one tiny batch.

        ``progress`` is told each step ("loading tokenizer", "loading encoder weights",
        "loading heads", "preparing the encoder", "warm-up") so that a supervisor can show what
        a slow start is doing.
        """
        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        encoder = Encoder.load(
            settings.model_encoder,
            max_length=settings.max_length,
            batch_size=settings.encoder_batch_size,
            batch_tokens=settings.encoder_batch_tokens,
            progress=progress,
        )
        if progress:
            progress("loading heads")
        heads, meta = load_heads(
            resolve_heads_dir(settings.model_heads),
            embedding_dim=encoder.dim,
            encoder=encoder.name,
            model=encoder.model,
        )
        # Precision last, once the tuned layers are in; prototypes then embed as posts will.
        if progress:
            progress("preparing the encoder")  # tracing or exporting and quantizing: seconds
        encoder.model = compile_encoder(encoder.model, settings)
        # After the heads: tuned encoder layers stored with them change what prototypes embed to.
        extras = _load_extras(settings, encoder, meta, progress)
        scorer = cls(encoder, heads, meta, extras)
        if progress:
            progress("warm-up")
        # The first forward pass allocates and picks kernels; pay for it before the first post.
        scorer.score_texts(["warm-up"])
        return scorer

    @property
    def model_info(self) -> ModelInfo:
        """Name of the encoder plus heads (and any per-task model), and the heads' version."""
        name = f"{_short_name(self.encoder.name)}+heads"
        for task, model in (
            ("sentiment", self.extras.sentiment_model),
            ("toxicity", self.extras.toxicity_model),
        ):
            if model is not None:
                name += f"+{task}:{_short_name(model.name)}"
        return ModelInfo(name=name, version=self.meta.version)

    def score_texts(self, texts: Sequence[str]) -> list[TextScores]:
        """Scores for each text, in order. Empty or blank texts are scored like any other."""
        if not texts:
            return []
        vectors = self.encoder.embed(texts)
        with torch.inference_mode():
            outputs = self.heads(vectors)
        sentiments = self._sentiments(texts, outputs.sentiment.tolist())
        safety_rows = self._safety_probabilities(
            texts, {task: probs.tolist() for task, probs in outputs.safety.items()}
        )
        extras = self.extras
        thresholds = REPLACEMENT_THRESHOLDS if extras.toxicity_model else self.meta.thresholds
        garm = extras.garm.assess(texts, vectors, safety_rows) if extras.garm else None
        languages = (
            extras.language.detect_all(texts)
            if extras.language
            else [UNKNOWN_LANGUAGE] * len(texts)
        )
        results = []
        for i, (sentiment, safety, language) in enumerate(
            zip(sentiments, safety_rows, languages, strict=True)
        ):
            results.append(
                TextScores(
                    sentiment=sentiment,
                    safety=assess_safety(
                        safety,
                        thresholds,
                        garm=garm[i] if garm else None,
                        notes=self._language_notes(language),
                    ),
                    language=language,
                    low_confidence=(
                        extras.language.is_low_confidence(language) if extras.language else False
                    ),
                )
            )
        return results

    def _sentiments(
        self, texts: Sequence[str], head_rows: list[list[float]]
    ) -> list[SentimentScores]:
        model = self.extras.sentiment_model
        if model is not None:
            rows = [
                [p.get(label, 0.0) for label in SENTIMENT_TARGETS] for p in model.predict(texts)
            ]
        else:
            rows = head_rows
        results = []
        for row in rows:
            probs = dict(zip(SENTIMENT_LABELS, row, strict=True))
            best = max(SENTIMENT_LABELS, key=probs.__getitem__)
            results.append(SentimentScores(label=best, scores=probs))
        return results

    def _safety_probabilities(
        self, texts: Sequence[str], head_columns: dict[str, list[float]]
    ) -> list[dict[str, float]]:
        model = self.extras.toxicity_model
        if model is not None:
            exclusive = model.activation == "softmax"
            return [toxicity_probabilities(p, exclusive=exclusive) for p in model.predict(texts)]
        count = len(texts)
        return [{task: column[i] for task, column in head_columns.items()} for i in range(count)]

    def _language_notes(self, language: DetectedLanguage) -> list[str]:
        if self.extras.language is None or language.code in self.extras.safety_languages:
            return []
        if language.code is None:
            return ["language unknown: safety scores are low confidence"]
        return [
            f"language '{language.code}' is not one the safety model was trained on: "
            "scores are low confidence"
        ]


def _load_extras(
    settings: ClassifySettings, encoder: Encoder, meta: HeadsMeta, progress: Progress | None
) -> Extras:
    def task_model(
        name: str, label_map: dict[str, str], targets: Sequence[str], act: Activation
    ) -> TaskModel | None:
        if not name:
            return None
        if progress:
            progress(f"loading {name}")
        return TaskModel.load(
            name,
            label_map=label_map,
            targets=targets,
            activation=act,
            max_length=settings.max_length,
            batch_size=settings.encoder_batch_size,
        )

    # Reported under "loading heads" (the caller's step): the GARM prototypes and term lists
    # are heads of a kind, and the language model loads in well under a second.
    return Extras(
        garm=GarmScorer.load(encoder.embed, calibration=meta.garm_calibration),
        language=LanguageDetector(
            candidates=settings.language_candidates,
            supported=settings.languages_sentiment,
            min_confidence=settings.language_min_confidence,
        ),
        sentiment_model=task_model(
            settings.model_sentiment,
            settings.sentiment_label_map,
            SENTIMENT_TARGETS,
            settings.sentiment_activation,
        ),
        toxicity_model=task_model(
            settings.model_toxicity,
            settings.toxicity_label_map,
            TOXICITY_TARGETS,
            settings.toxicity_activation,
        ),
        safety_languages=frozenset(settings.languages_safety),
    )


def _short_name(encoder: str) -> str:
    if encoder == DEFAULT_ENCODER_ID:
        return "minilm-l6-v2"
    return Path(encoder.rstrip("/")).name.lower() or encoder
