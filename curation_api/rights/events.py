"""The rights-events consumer: ``ugc.rights.events`` applied to the rights requests, as a chain.

poll → decode → validate → apply (one transaction per batch) → dead-letter the poison → commit
offsets, commit last. Delivery is at-least-once and applying is idempotent
(:mod:`curation_api.rights.network_events`): a replayed event changes nothing. A transient
failure (database or broker away) pauses the partitions and retries the same step with
backoff; poison (undecodable, missing what its kind needs, about a post or request this
database does not know, or refused by the database) goes to the dead-letter topic with stage
``rights``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from contract import DLQ_TOPIC, PoisonMessage, RightsEvent, decode, utcnow
from contract.dead_letters import DeadLetterBudget, dead_letter_for
from curation_api.rights.network_events import UnusableEvent, apply_event, missing_fields
from curation_api.sink.failures import is_transient

log = logging.getLogger(__name__)

R = TypeVar("R")
Record = Any  # kafka-python's ConsumerRecord (untyped)
Poison = tuple[Record, str]
Decoded = tuple[Record, RightsEvent]

STAGE = "rights"
FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 30.0
PRODUCE_TIMEOUT_S = 30.0


class StopRequested(Exception):
    """A stop was requested while a step of the batch in hand was being retried."""


def decode_events(records: Sequence[Record]) -> tuple[list[Decoded], list[Poison]]:
    """Split a batch into events that can be applied and poison with its reasons."""
    good: list[Decoded] = []
    poison: list[Poison] = []
    for record in records:
        try:
            event = decode(RightsEvent, record.value)
        except PoisonMessage as exc:
            poison.append((record, exc.reason))
            continue
        missing = missing_fields(event)
        if missing is None:
            good.append((record, event))
        else:
            poison.append((record, missing))
    return good, poison


class RightsEventsConsumer:
    """Applies polled batches of rights events; :meth:`poll_once` is one step of the worker."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        sessions: sessionmaker[Session],
        stop_event: threading.Event,
        budget: DeadLetterBudget,
        poll_timeout_ms: int,
        batch_size: int,
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.sessions = sessions
        self.stop_event = stop_event
        self.budget = budget
        self.poll_timeout_ms = poll_timeout_ms
        self.batch_size = batch_size
        self.base_url = base_url
        self.clock = clock

    def poll_once(self) -> int:
        """Poll once and handle what came; returns how many records."""
        polled = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.batch_size)
        records = [record for batch in polled.values() for record in batch]
        if records:
            self.handle(records)
        return len(records)

    def handle(self, records: Sequence[Record]) -> bool:
        """Apply, dead-letter and commit one batch; False when a stop interrupted it (its
        offsets are then left uncommitted and the batch is redelivered)."""
        decoded, poison = decode_events(records)
        try:
            poison += self._retry("apply rights events", lambda: self._apply(decoded))
            self.budget.record(total=len(records), poisoned=len(poison))
            if poison:
                self._retry("dead-letter", lambda: self._dead_letter(poison))
            self._retry("commit offsets", lambda: self._commit(records))
        except StopRequested:
            return False
        return True

    def _apply(self, decoded: list[Decoded]) -> list[Poison]:
        """Apply the batch in one transaction; if the database refuses it, event by event to
        find the refused ones."""
        try:
            return self._write(decoded)
        except (DataError, IntegrityError) as exc:
            if len(decoded) == 1:
                return [(decoded[0][0], f"database refused the event: {exc.orig or exc}")]
            log.warning("the database refused a batch of rights events; isolating them")
        refused: list[Poison] = []
        for one in decoded:
            try:
                refused += self._write([one])
            except (DataError, IntegrityError) as exc:
                refused.append((one[0], f"database refused the event: {exc.orig or exc}"))
        return refused

    def _write(self, decoded: list[Decoded]) -> list[Poison]:
        unusable: list[Poison] = []
        now = self.clock()
        with self.sessions.begin() as session:
            for record, event in decoded:
                # A savepoint per event: an unusable one leaves nothing half-applied.
                try:
                    with session.begin_nested():
                        outcome = apply_event(session, event, now=now, base_url=self.base_url)
                except UnusableEvent as exc:
                    unusable.append((record, str(exc)))
                    continue
                log.info("rights event %s on %s: %s", event.kind.value, event.post_id, outcome)
        return unusable

    def _dead_letter(self, poison: list[Poison]) -> None:
        messages = [
            dead_letter_for(
                record.value,
                record.key,
                reason=reason,
                stage=STAGE,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
            for record, reason in poison
        ]
        futures = [
            self.producer.send(DLQ_TOPIC, key=message.key, value=message.value)
            for message in messages
        ]
        self.producer.flush(timeout=PRODUCE_TIMEOUT_S)
        for future in futures:
            future.get(timeout=PRODUCE_TIMEOUT_S)  # raises if the broker did not take it
        for record, reason in poison:
            log.warning(
                "dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
            )

    def _commit(self, records: Sequence[Record]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            offsets[partition] = max(offsets.get(partition, 0), record.offset + 1)
        owned = self.consumer.assignment()
        try:
            self.consumer.commit(
                {
                    partition: OffsetAndMetadata(offset, "", -1)
                    for partition, offset in offsets.items()
                    if partition in owned
                }
            )
        except CommitFailedError as exc:
            # The group rebalanced under us: the new owner replays the batch, idempotently.
            log.warning("offsets not committed, the batch will be redelivered: %s", exc)

    def _retry(self, what: str, step: Callable[[], R]) -> R:
        """Run ``step`` until it succeeds, backing off on transient errors with the partitions
        paused; :class:`StopRequested` if a stop comes first."""
        delay = FIRST_BACKOFF_S
        while True:
            try:
                result = step()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning("%s failed (%s); retrying in %.1fs", what, exc, delay)
            else:
                self.consumer.resume(*self.consumer.paused())
                return result
            self.consumer.pause(*self.consumer.assignment())
            if self.stop_event.wait(delay):
                raise StopRequested(what)
            # Polling while paused keeps the group membership; rewind anything a partition
            # assigned meanwhile returned.
            for partition, polled in self.consumer.poll(timeout_ms=0).items():
                self.consumer.seek(partition, polled[0].offset)
                self.consumer.pause(partition)
            delay = min(delay * 2, MAX_BACKOFF_S)
