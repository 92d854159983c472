"""The outbox relay: every unpublished :class:`~database.outbox.OutboxMessage`, oldest first, to
its topic under its key, marked published once the broker acknowledged it (``acks=all``).

Delivery is at-least-once. A crash between the broker's acknowledgement and the commit that
marks the row publishes it again on the next round; that duplicate is harmless because every
command carries its ``idempotency_key`` and the receiver sends each key once. A broker error
leaves the row unpublished with ``attempts`` and ``last_error`` updated, and the relay backs
off before the next round.

On PostgreSQL the batch is locked ``FOR UPDATE SKIP LOCKED``, so two relays never publish the
same row at the same time; SQLite has a single writer.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from database.outbox import OutboxMessage

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
ERROR_LENGTH = 2000


@dataclass(frozen=True)
class RelayRound:
    published: int
    failed: int


def pending_messages(session: Session, *, limit: int) -> list[OutboxMessage]:
    """Unpublished messages in the order they were written (``ix_outbox_published_at_id``),
    locked with SKIP LOCKED on PostgreSQL."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.published_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


class OutboxRelay:
    """Publishes the outbox in rounds; ``connect`` makes the producer, again after an error."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        connect: Callable[[], KafkaProducer],
        *,
        batch_size: int,
        produce_timeout_s: float = 10.0,
    ) -> None:
        self.sessions = sessions
        self.connect = connect
        self.batch_size = batch_size
        self.produce_timeout_s = produce_timeout_s
        self.backoff_s = 0.0
        self._producer: KafkaProducer | None = None

    def publish_round(self, now: datetime) -> RelayRound:
        """Publish up to a batch of pending messages and mark them in one transaction."""
        with self.sessions.begin() as session:
            rows = pending_messages(session, limit=self.batch_size)
            if not rows:
                self.backoff_s = 0.0
                return RelayRound(0, 0)
            errors = self._produce(rows)
            for row in rows:
                error = errors.get(row.id)
                row.attempts = (row.attempts or 0) + 1
                if error is None:
                    row.published_at = now
                    row.last_error = None
                else:
                    row.last_error = error[:ERROR_LENGTH]
        failed = len(errors)
        if failed:
            self.backoff_s = min(max(self.backoff_s * 2, FIRST_BACKOFF_S), MAX_BACKOFF_S)
            log.warning(
                "outbox: %d of %d messages not published (%s); retrying in %.1fs",
                failed,
                len(rows),
                next(iter(errors.values())),
                self.backoff_s,
            )
        else:
            self.backoff_s = 0.0
        return RelayRound(len(rows) - failed, failed)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self.produce_timeout_s)
            self._producer = None

    def _produce(self, rows: list[OutboxMessage]) -> dict[int, str]:
        """Send every row and wait for the broker; the error of each row it did not take."""
        try:
            producer = self._producer or self.connect()
        except KafkaError as exc:
            return {row.id: f"broker unavailable: {exc}" for row in rows}
        self._producer = producer
        futures: dict[int, Any] = {}
        errors: dict[int, str] = {}
        for row in rows:
            try:
                futures[row.id] = producer.send(row.topic, key=row.key.encode(), value=row.value)
            except KafkaError as exc:
                # Waiting for metadata timed out: the rest would wait as long, each.
                errors.update({r.id: str(exc) for r in rows if r.id not in futures})
                break
        with contextlib.suppress(KafkaError):  # the futures say which ones made it
            producer.flush(timeout=self.produce_timeout_s)
        for row_id, future in futures.items():
            if not future.succeeded():
                errors[row_id] = str(future.exception or "not acknowledged in time")
        if errors:
            # Anything still buffered would be sent later behind our back; start afresh.
            producer.close(timeout=0)
            self._producer = None
        return errors


def producer_factory(
    bootstrap_servers: list[str], *, max_block_ms: int = 10000
) -> Callable[[], KafkaProducer]:
    """A producer for the relay, acknowledged by every in-sync replica; an unreachable broker
    fails a round within ``max_block_ms`` (to connect, or to learn a topic's partitions)."""

    def connect() -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id="ugc-outbox-relay",
            acks="all",
            max_block_ms=max_block_ms,
            bootstrap_timeout_ms=max_block_ms,
        )

    return connect
