"""The steps of the scoring stream, free of any broker: decode → validate → score.

The faust agent in :mod:`classify.worker` only moves bytes in and out; everything it decides is
here, so that it can be tested without a broker and reused by offline tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from contract import (
    DeadLetter,
    DetectedLanguage,
    ModelInfo,
    PoisonMessage,
    RawPost,
    SafetyScores,
    ScoredPost,
    SentimentScores,
    decode,
    utcnow,
)
from contract.dead_letters import DeadLetterMessage, dead_letter_for

STAGE = "classify"


@dataclass(frozen=True)
class InboundMessage:
    """What the worker needs of one consumed record."""

    value: bytes | None
    key: bytes | None
    topic: str
    partition: int
    offset: int


class TextScoresLike(Protocol):
    @property
    def sentiment(self) -> SentimentScores: ...
    @property
    def safety(self) -> SafetyScores: ...
    @property
    def language(self) -> DetectedLanguage: ...
    @property
    def low_confidence(self) -> bool: ...


class ScorerLike(Protocol):
    """The part of :class:`classify.scoring.Scorer` the stream uses."""

    @property
    def model_info(self) -> ModelInfo: ...

    def score_texts(self, texts: Sequence[str]) -> Sequence[TextScoresLike]: ...


@dataclass
class DecodedBatch:
    posts: list[RawPost] = field(default_factory=list)
    rejected: list[DeadLetterMessage] = field(default_factory=list)

    @property
    def dead_letters(self) -> list[DeadLetter]:
        return [message.letter for message in self.rejected]


def decode_batch(messages: Sequence[InboundMessage]) -> DecodedBatch:
    """Split a batch into valid raw posts and dead letters that say why the rest failed."""
    batch = DecodedBatch()
    for message in messages:
        try:
            batch.posts.append(decode(RawPost, message.value))
        except PoisonMessage as poison:
            batch.rejected.append(
                dead_letter_for(
                    message.value,
                    message.key,
                    reason=poison.reason,
                    stage=STAGE,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                )
            )
    return batch


def score_posts(scorer: ScorerLike, posts: Sequence[RawPost]) -> list[ScoredPost]:
    """Score every post with one encoder pass for the whole batch."""
    if not posts:
        return []
    results = scorer.score_texts([post.text for post in posts])
    if len(results) != len(posts):
        raise RuntimeError(f"scorer returned {len(results)} results for {len(posts)} posts")
    scored_at = utcnow()
    model = scorer.model_info
    return [
        ScoredPost.model_validate(
            {
                **post.model_dump(),
                "sentiment": result.sentiment,
                "safety": result.safety,
                "model": model,
                "scored_at": scored_at,
                "detected_language": result.language,
                "low_confidence": result.low_confidence,
            }
        )
        for post, result in zip(posts, results, strict=True)
    ]
