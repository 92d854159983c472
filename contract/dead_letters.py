"""Dead letters, the same way in every stage: how one is built, the key it is produced under, and
the cap every consumer applies.

A message that will never be processed (poison) goes to :data:`~contract.wire.DLQ_TOPIC` with the
reason and its exact bytes (:func:`dead_letter_for`), keyed like the message it replaces so that
it lands in the same partition of the dead-letter topic as its neighbours.

A trickle of poison is normal; a flood means a producer or the consumer itself is broken, and
draining the whole topic into the dead-letter queue would turn one bad deploy into a replay job.
So past ``max_ratio`` a consumer stops instead (:class:`DeadLetterBudget`). Every consumer reads
its cap from the same two settings, ``UGC_<CONSUMER>_DLQ_MAX_RATIO`` and
``UGC_<CONSUMER>_DLQ_WINDOW`` (:func:`dlq_max_ratio_field`, :func:`dlq_window_field`).
"""

from __future__ import annotations

import base64
from collections import deque
from typing import Any, NamedTuple

from pydantic import AliasChoices, Field

from contract.settings import ENV_PREFIX
from contract.wire import DeadLetter, encode


class DeadLetterMessage(NamedTuple):
    """A dead letter as it is produced: under the original key bytes of the message it replaces
    (``None`` when that had none), with the letter as the value."""

    key: bytes | None
    letter: DeadLetter

    @property
    def value(self) -> bytes:
        return encode(self.letter)

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterMessage:
        """The message of a letter built earlier: its key is the one the letter carries."""
        key = base64.b64decode(letter.key_b64) if letter.key_b64 is not None else None
        return cls(key, letter)


def dead_letter_for(
    original: bytes | None,
    key: bytes | None,
    *,
    reason: str,
    stage: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> DeadLetterMessage:
    """The dead letter of one message that cannot be processed, and the key to produce it under.

    ``original`` and ``key`` are the message's bytes exactly as received (a record without a
    value is kept as empty bytes); ``topic``, ``partition`` and ``offset`` say where it was
    consumed, when it was (an item fetched from a network was not).
    """
    letter = DeadLetter.for_message(
        reason=reason,
        stage=stage,
        original=original or b"",
        key=key,
        source_topic=topic,
        partition=partition,
        offset=offset,
    )
    return DeadLetterMessage(key, letter)


class DeadLetterRatioExceeded(RuntimeError):
    """Too many recent messages were poison: more likely a bad deploy than bad data."""


class DeadLetterBudget:
    """Share of dead-lettered messages among the last ``window`` ones, capped at ``max_ratio``
    once at least ``min_sample`` messages were seen (default: a full window)."""

    def __init__(self, max_ratio: float, *, window: int, min_sample: int | None = None) -> None:
        self.max_ratio = max_ratio
        self.min_sample = window if min_sample is None else min_sample
        self._outcomes: deque[bool] = deque(maxlen=window)

    def record(self, *, total: int, poisoned: int) -> None:
        """Account for a batch; raise :class:`DeadLetterRatioExceeded` past the cap."""
        self._outcomes.extend([True] * poisoned + [False] * (total - poisoned))
        seen, bad = len(self._outcomes), sum(self._outcomes)
        if seen >= self.min_sample and bad / seen > self.max_ratio:
            raise DeadLetterRatioExceeded(
                f"{bad} of the last {seen} messages were dead-lettered "
                f"(cap {self.max_ratio:.0%}): stopping instead of draining the topic"
            )


def dlq_max_ratio_field(consumer: str, *, who: str, formerly: str | None = None) -> Any:
    """The setting ``<consumer>_dlq_max_ratio`` (``UGC_<CONSUMER>_DLQ_MAX_RATIO``) of a
    consumer's :class:`DeadLetterBudget`; ``formerly`` is a deprecated variable still read."""
    return Field(
        default=0.5,
        gt=0,
        le=1,
        validation_alias=_variables(f"{consumer}_dlq_max_ratio", formerly),
        description=(
            f"{who} stops when more than this share of its last "
            f"`{ENV_PREFIX}{consumer.upper()}_DLQ_WINDOW` messages went to the dead-letter "
            "topic, so that a bad deploy halts the pipeline instead of draining it."
        ),
    )


def dlq_window_field(consumer: str, *, default: int, formerly: str | None = None) -> Any:
    """The setting ``<consumer>_dlq_window`` (``UGC_<CONSUMER>_DLQ_WINDOW``): how many recent
    messages a consumer's :class:`DeadLetterBudget` judges."""
    return Field(
        default=default,
        ge=1,
        validation_alias=_variables(f"{consumer}_dlq_window", formerly),
        description="Messages over which the dead-letter ratio is measured.",
    )


def _variables(name: str, formerly: str | None) -> AliasChoices:
    # An alias replaces the prefixed name, so the prefix is spelled out; the first choice wins
    # when both variables are set.
    current = f"{ENV_PREFIX}{name}".lower()
    return AliasChoices(current, formerly.lower()) if formerly else AliasChoices(current)
