"""The dead-letter cap every consumer applies.

A trickle of poison is normal and goes to the dead-letter topic; a flood means a producer or
the consumer itself is broken, and draining the whole topic into the dead-letter queue would
turn one bad deploy into a replay job. So past ``max_ratio`` a consumer stops instead.
"""

from __future__ import annotations

from collections import deque


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
