"""The sink: ``ugc.posts.scored`` into the database, as a chain of small steps.

poll → decode → store (one transaction) → dead-letter the poison → commit offsets, commit last.
Delivery is at-least-once and the upsert idempotent, so every scored post becomes exactly one row.
A transient failure (database or broker unavailable) pauses the partitions and retries the same
batch with backoff; a poison message (undecodable, or a row the database refuses) goes to the
dead-letter topic with its reason and the sink moves on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from contract import SCORED_TOPIC, PoisonMessage, ScoredPost, decode
from curation_api.batch_steps import (
    BatchSteps,
    GroupConsumer,
    Poison,
    Record,
    StopRequested,
)
from curation_api.settings import ApiSettings
from curation_api.sink.repository import unstorable_reason, upsert_scored_posts
from database.engine import create_db_engine, create_session_factory

log = logging.getLogger(__name__)

R = TypeVar("R")
Decoded = tuple[Record, ScoredPost]


def decode_records(records: Sequence[Record]) -> tuple[list[Decoded], list[Poison]]:
    """Split a batch into storable scored posts and poison messages with their reasons."""
    good: list[Decoded] = []
    poison: list[Poison] = []
    for record in records:
        try:
            post = decode(ScoredPost, record.value)
        except PoisonMessage as exc:
            poison.append((record, exc.reason))
            continue
        reason = unstorable_reason(post)
        if reason is None:
            good.append((record, post))
        else:
            poison.append((record, f"cannot store {post.post_id}: {reason}"))
    return good, poison


class ScoredPostSink(BatchSteps):
    """One consumer's loop; :func:`run_sink` builds it from settings."""

    stage = "sink"

    def run(self) -> None:
        """Handle batches until the stop event is set; the batch in hand is finished first."""
        while not self.stop_event.is_set():
            polled = self.consumer.poll(
                timeout_ms=self.poll_timeout_ms, max_records=self.batch_size
            )
            records = [record for batch in polled.values() for record in batch]
            if records:
                self.handle(records)

    def handle(self, records: Sequence[Record]) -> bool:
        """Store, dead-letter and commit one batch; False when a stop interrupted it (its
        offsets are then left uncommitted and the batch is redelivered)."""
        decoded, poison = decode_records(records)
        try:
            poison += self._retry("store scored posts", lambda: self._store(decoded))
            self.budget.record(total=len(records), poisoned=len(poison))
            if poison:
                self._retry("dead-letter", lambda: self._dead_letter(poison))
            self._retry("commit offsets", lambda: self._commit(records))
        except StopRequested:
            return False
        return True

    def _store(self, decoded: list[Decoded]) -> list[Poison]:
        """Write the batch in one transaction. If the database refuses it, write post by post
        to find the refused ones and return them as poison."""
        try:
            self._write([post for _, post in decoded])
            return []
        except (DataError, IntegrityError) as exc:
            if len(decoded) == 1:
                return [(decoded[0][0], _refusal(exc))]
            log.warning("the database refused a batch; isolating the refused posts")
        refused: list[Poison] = []
        for record, post in decoded:
            try:
                self._write([post])
            except (DataError, IntegrityError) as exc:
                refused.append((record, _refusal(exc)))
        return refused

    def _write(self, posts: list[ScoredPost]) -> None:
        with self.sessions.begin() as session:
            upsert_scored_posts(session, posts)


def _refusal(exc: DBAPIError) -> str:
    return f"database refused the post: {str(exc.orig or exc).strip()}"


def run_sink(settings: ApiSettings, stop_event: threading.Event) -> None:
    """Consume scored posts into ``settings.database_url`` until ``stop_event`` is set.

    Raises :class:`~contract.dead_letters.DeadLetterRatioExceeded` when too many messages
    are poison (leaving the offending batch uncommitted), and any error that is neither
    transient nor a message's fault.
    """
    engine = create_db_engine(settings.database_url)
    group = GroupConsumer(
        topic=SCORED_TOPIC,
        group_id=settings.sink_group_id,
        client_id="ugc-sink",
        batch_size=settings.sink_batch_size,
        poll_timeout_ms=settings.sink_poll_timeout_ms,
        session_timeout_ms=settings.sink_session_timeout_ms,
        heartbeat_interval_ms=settings.sink_heartbeat_interval_ms,
        dlq_max_ratio=settings.sink_dlq_max_ratio,
        dlq_window=settings.sink_dlq_window,
    )
    sink: ScoredPostSink = ScoredPostSink.wired(
        group, settings.bootstrap_list, create_session_factory(engine), stop_event
    )
    log.info("sink consuming %s as group %s", SCORED_TOPIC, settings.sink_group_id)
    try:
        sink.run()
    finally:
        sink.close()
        engine.dispose()
        log.info("sink stopped")
