"""The requests whose replies are watched, in the database (table ``rights_watches``).

The worker adds one when a send succeeds, before it reports ``sent``; the watcher reads the due
ones, records each reply it emitted, and drops a watch once the brand's expiry has passed or our
status is gone. A restart therefore forgets nothing and re-emits nothing it recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from database.models import RightsWatch


@dataclass(frozen=True)
class Watch:
    request_id: int
    post_id: str
    network: str
    sent_id: str
    sent_at: datetime
    watch_until: datetime
    seen_reply_ids: frozenset[str]


class WatchStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(
        self,
        *,
        request_id: int,
        post_id: str,
        network: str,
        sent_id: str,
        sent_at: datetime,
        watch_until: datetime,
    ) -> None:
        """Watch a sent request; a request already watched is left as it is (a redelivered
        command must not forget the replies already emitted)."""
        with self._sessions.begin() as session:
            if session.get(RightsWatch, request_id) is not None:
                return
            session.add(
                RightsWatch(
                    request_id=request_id,
                    post_id=post_id,
                    network=network,
                    sent_id=sent_id,
                    sent_at=sent_at,
                    watch_until=watch_until,
                    next_poll_at=sent_at,
                    seen_reply_ids=[],
                )
            )

    def due(self, now: datetime, *, network: str, limit: int = 50) -> list[Watch]:
        """The watches of ``network`` whose next poll is due, the longest overdue first."""
        query = (
            select(RightsWatch)
            .where(RightsWatch.network == network, RightsWatch.next_poll_at <= now)
            .order_by(RightsWatch.next_poll_at, RightsWatch.request_id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [_watch(row) for row in session.scalars(query)]

    def next_due(self, *, network: str) -> datetime | None:
        query = select(RightsWatch.next_poll_at).where(RightsWatch.network == network)
        with self._sessions() as session:
            return session.scalar(query.order_by(RightsWatch.next_poll_at).limit(1))

    def record(self, request_id: int, *, new_reply_ids: list[str], next_poll_at: datetime) -> None:
        """Remember the replies just emitted and when to look again."""
        with self._sessions.begin() as session:
            row = session.get(RightsWatch, request_id)
            if row is None:
                return
            row.seen_reply_ids = [*row.seen_reply_ids, *new_reply_ids]
            row.next_poll_at = next_poll_at

    def drop(self, request_id: int) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(RightsWatch).where(RightsWatch.request_id == request_id))

    def all(self) -> list[Watch]:
        with self._sessions() as session:
            rows = session.scalars(select(RightsWatch).order_by(RightsWatch.request_id))
            return [_watch(row) for row in rows]


def _watch(row: RightsWatch) -> Watch:
    return Watch(
        request_id=row.request_id,
        post_id=row.post_id,
        network=row.network,
        sent_id=row.sent_id,
        sent_at=row.sent_at,
        watch_until=row.watch_until,
        seen_reply_ids=frozenset(row.seen_reply_ids),
    )
