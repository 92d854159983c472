"""At most N messages per hour from one network account, as a token bucket.

The bucket lives in the process: a restarted worker starts with a full bucket, so a crash loop
could send up to N messages per restart within one hour. The network's own rate limits still
apply above it; a shared budget across processes or restarts would need the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

HOUR_S = 3600.0


class TokenBucket:
    """``per_hour`` tokens, refilled continuously; starts full."""

    def __init__(self, per_hour: int, *, now: Callable[[], datetime]) -> None:
        self.capacity = float(per_hour)
        self._rate_per_s = per_hour / HOUR_S
        self._now = now
        self._tokens = self.capacity
        self._at = now()

    def wait_s(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate_per_s

    def take(self) -> None:
        """Spend a token (call once :meth:`wait_s` said 0)."""
        self._refill()
        self._tokens -= 1

    def _refill(self) -> None:
        now = self._now()
        elapsed = max(0.0, (now - self._at).total_seconds())
        self._tokens = min(self.capacity, self._tokens + elapsed * self._rate_per_s)
        self._at = now


class Pacer:
    """One :class:`TokenBucket` per network account."""

    def __init__(self, per_hour: int, *, now: Callable[[], datetime]) -> None:
        self._per_hour = per_hour
        self._now = now
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, account: str) -> TokenBucket:
        if account not in self._buckets:
            self._buckets[account] = TokenBucket(self._per_hour, now=self._now)
        return self._buckets[account]
