"""At most N messages per hour from one network account, as a token bucket in the database.

Each account's bucket is a row of ``rights_pacing`` (its tokens and when they were counted),
so every worker process on the database shares it and a restart resumes it: a crash loop
cannot send more than the hour's budget. The network's own rate limits still apply above it.
A new account starts with a full bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from database.rights_watch import RightsPacing

HOUR_S = 3600.0


def refilled(tokens: float, since: datetime, now: datetime, per_hour: int) -> float:
    """The tokens of a bucket holding ``tokens`` at ``since``, refilled continuously to ``now``."""
    elapsed = max(0.0, (now - since).total_seconds())
    return min(float(per_hour), tokens + elapsed * per_hour / HOUR_S)


class Pacer:
    """The send budget of every network account, ``per_hour`` messages each."""

    def __init__(
        self, sessions: sessionmaker[Session], per_hour: int, *, now: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self.per_hour = per_hour
        self._now = now

    def wait_s(self, account: str) -> float:
        """Seconds until ``account`` may send (0 when it may now)."""
        with self._sessions() as session:
            row = session.get(RightsPacing, account)
            if row is None:
                return 0.0
            tokens = refilled(row.tokens, row.at, self._now(), self.per_hour)
        return 0.0 if tokens >= 1 else (1 - tokens) * HOUR_S / self.per_hour

    def take(self, account: str) -> None:
        """Spend one of ``account``'s tokens: a message was sent."""
        now = self._now()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(RightsPacing).where(RightsPacing.account == account).with_for_update()
            ).one_or_none()
            if row is None:
                session.add(RightsPacing(account=account, tokens=self.per_hour - 1.0, at=now))
                return
            row.tokens = refilled(row.tokens, row.at, now, self.per_hour) - 1
            row.at = now
