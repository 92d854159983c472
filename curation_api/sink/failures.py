"""How the sink tells failures apart: transient ones are retried, poison is dead-lettered,
and too much poison stops the sink."""

from __future__ import annotations

from collections import deque

from kafka.errors import KafkaError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

DEAD_LETTER_WINDOW = 1000
DEAD_LETTER_MIN_SAMPLE = 100


class DeadLetterRatioExceeded(RuntimeError):
    """Too many recent messages were poison: more likely a bad deploy than bad data."""


class DeadLetterBudget:
    """Share of dead-lettered messages among the last ``window`` ones, capped at ``max_ratio``
    once at least ``min_sample`` messages were seen."""

    def __init__(
        self,
        max_ratio: float,
        *,
        window: int = DEAD_LETTER_WINDOW,
        min_sample: int = DEAD_LETTER_MIN_SAMPLE,
    ) -> None:
        self.max_ratio = max_ratio
        self.min_sample = min_sample
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


def is_transient(exc: BaseException) -> bool:
    """Worth retrying the same step: the broker or the database is away, locked, or not
    migrated yet.

    Only a row the database refuses (``DataError``, ``IntegrityError``) is the message's fault;
    retrying every other database error keeps a broken database from draining the topic into
    the dead-letter topic.
    """
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    if isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and not isinstance(exc, DataError | IntegrityError)
