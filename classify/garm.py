"""Scores for the 11 GARM brand-safety categories, from three kinds of evidence.

There is no labeled data for most categories, so each score fuses what is available:

- curated multilingual term lists (``garm/terms.json``), matched case-insensitively on word
  boundaries after accent folding, once brand idioms ("killer deal", "shot of espresso") are
  masked;
- embedding prototypes (``garm/prototypes.json``): a few descriptive sentences per category,
  embedded once with the serving encoder; a post's best cosine similarity is calibrated to [0, 1];
- the learned heads where one exists (hate, offensive).

The fusion is a noisy-or: independent pieces of evidence each remove part of the doubt. The
levels they lead to are decided in :mod:`classify.risk`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from classify.garm_terms import GARM_IDS, TermHits, TermMatcher

GARM_DIR = Path(__file__).resolve().parent / "garm"
PROTOTYPES_FILE = GARM_DIR / "prototypes.json"


# The learned head that speaks for a category, where one exists.
HEAD_FOR_CATEGORY: dict[str, str] = {
    "hate_speech_aggression": "hate",
    "obscenity_profanity": "offensive",
}

# Prototype similarity is fuzzy, so it never counts as certain on its own.
PROTOTYPE_WEIGHT = 0.8
# The heads were trained on neighbouring definitions (OffensEval "offensive" includes insults
# without profanity; HatEval targets two groups only), so a head alone moves a category part of
# the way; its own thresholds still set the task's risk level.
HEAD_WEIGHT = 0.6


# Calibration from ordinary posts (see :func:`calibrate`): a category's score starts where only
# 1 % of ordinary posts reach and is full this many (median-to-99th-percentile) spreads above.
# With the frozen MiniLM these give floors near 0.3 and ceilings near 0.65, the values first
# chosen by hand; with tuned layers, whose vector space is squeezed, they follow the squeeze.
CALIBRATION_QUANTILE = 0.99
CEILING_SPREADS = 1.75


@dataclass(frozen=True)
class Prototypes:
    """Category descriptions embedded with the serving encoder: one unit row per sentence."""

    vectors: torch.Tensor
    owners: torch.Tensor  # category index (into GARM_IDS) of each row
    floor: torch.Tensor  # (11,) per category
    ceiling: torch.Tensor  # (11,) per category

    @classmethod
    def embed(
        cls,
        embed: Callable[[Sequence[str]], torch.Tensor],
        path: Path = PROTOTYPES_FILE,
        calibration: Mapping[str, Sequence[float]] | None = None,
    ) -> Prototypes:
        """Embed every prototype sentence once (at load time; a few dozen sentences).

        ``calibration`` (category -> [floor, ceiling]) is what :func:`calibrate` measured for
        this encoder; categories it lacks get the fixed values of ``prototypes.json``.
        """
        data = json.loads(path.read_text(encoding="utf-8"))
        sentences: list[str] = []
        owners: list[int] = []
        for index, category in enumerate(GARM_IDS):
            for sentence in data["categories"].get(category, []):
                sentences.append(sentence)
                owners.append(index)
        fixed = data.get("calibration", {})
        default = (float(fixed.get("floor", 0.3)), float(fixed.get("ceiling", 0.65)))
        bounds = [tuple((calibration or {}).get(c, default)) for c in GARM_IDS]
        return cls(
            vectors=embed(sentences).detach().float(),
            owners=torch.tensor(owners, dtype=torch.long),
            floor=torch.tensor([b[0] for b in bounds], dtype=torch.float32),
            ceiling=torch.tensor([b[1] for b in bounds], dtype=torch.float32),
        )

    def similarities(self, vectors: torch.Tensor) -> torch.Tensor:
        """(n, 11) best cosine similarity of each post to each category's sentences."""
        similarity = vectors.float() @ self.vectors.T
        best = torch.full((vectors.shape[0], len(GARM_IDS)), -1.0)
        return best.scatter_reduce(
            1, self.owners.expand(vectors.shape[0], -1), similarity, reduce="amax"
        )

    def scores(self, vectors: torch.Tensor) -> torch.Tensor:
        """(n, 11) calibrated scores: best similarity per category, mapped to [0, 1]."""
        best = self.similarities(vectors)
        return ((best - self.floor) / (self.ceiling - self.floor)).clamp(0.0, 1.0)


def calibrate(prototypes: Prototypes, ordinary: torch.Tensor) -> dict[str, list[float]]:
    """Per-category [floor, ceiling] from the vectors of ordinary posts (the training tweets).

    Fine-tuning the encoder moves every similarity, so fixed thresholds chosen for one encoder
    flag nearly everything with another. Measuring where ordinary posts fall makes a prototype
    score mean the same thing with any encoder: "as close to this category as only the most
    unusual 1 % of ordinary posts get", and beyond.
    """
    best = prototypes.similarities(ordinary)
    median = best.quantile(0.5, dim=0)
    floor = best.quantile(CALIBRATION_QUANTILE, dim=0)
    # A ceiling past a perfect match (a tuned space spreads ordinary posts widely) would leave
    # even a copy of a prototype short of full evidence: halfway to a perfect match at most.
    spread = floor + CEILING_SPREADS * (floor - median).clamp(min=0.05)
    ceiling = torch.minimum(spread, (floor + 1) / 2)
    return {
        category: [round(float(floor[i]), 4), round(float(ceiling[i]), 4)]
        for i, category in enumerate(GARM_IDS)
    }


@dataclass(frozen=True)
class CategoryEvidence:
    """What was found for one category in one post, and the score it adds up to."""

    category: str
    score: float
    hits: TermHits = field(default_factory=TermHits)
    prototype: float = 0.0
    head: float | None = None

    @property
    def fused(self) -> float:
        """Terms and prototype alone, without the head (the head has its own thresholds)."""
        return 1 - (1 - self.hits.score) * (1 - PROTOTYPE_WEIGHT * self.prototype)


def combine(
    hits: Mapping[str, TermHits],
    prototype_row: Sequence[float],
    head_probabilities: Mapping[str, float],
) -> dict[str, CategoryEvidence]:
    """Evidence and score per category for one post (every category, in GARM order)."""
    evidence = {}
    for index, category in enumerate(GARM_IDS):
        head_task = HEAD_FOR_CATEGORY.get(category)
        head = head_probabilities.get(head_task) if head_task else None
        terms = hits.get(category, TermHits())
        prototype = round(float(prototype_row[index]), 4)
        doubt = (1 - terms.score) * (1 - PROTOTYPE_WEIGHT * prototype)
        doubt *= 1 - HEAD_WEIGHT * (head or 0.0)
        evidence[category] = CategoryEvidence(category, round(1 - doubt, 4), terms, prototype, head)
    return evidence


class GarmScorer:
    """Term lists and embedded prototypes, built once per process beside the encoder."""

    def __init__(self, matcher: TermMatcher, prototypes: Prototypes) -> None:
        self.matcher = matcher
        self.prototypes = prototypes

    @classmethod
    def load(
        cls,
        embed: Callable[[Sequence[str]], torch.Tensor],
        calibration: Mapping[str, Sequence[float]] | None = None,
    ) -> GarmScorer:
        return cls(TermMatcher.from_file(), Prototypes.embed(embed, calibration=calibration))

    def assess(
        self,
        texts: Sequence[str],
        vectors: torch.Tensor,
        head_probabilities: Sequence[Mapping[str, float]],
    ) -> list[dict[str, CategoryEvidence]]:
        """Evidence per category for each post; ``vectors`` are the posts' sentence vectors."""
        prototype_rows = self.prototypes.scores(vectors).tolist()
        return [
            combine(self.matcher.match(text), row, heads)
            for text, row, heads in zip(texts, prototype_rows, head_probabilities, strict=True)
        ]
