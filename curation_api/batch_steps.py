"""The steps every consumer of the curation side shares, after its own decode and work steps:
dead-letter the poison, commit the offsets (last), and retry a step on a transient failure with
the partitions paused. How failures are told apart lives here too: transient ones are retried,
poison is dead-lettered, and too much poison stops the consumer.

The sink (``sink/consumer.py``) and the rights-events consumer (``rights/events.py``) differ only
in what they decode and store; they inherit these steps from :class:`BatchSteps`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from contract import DLQ_TOPIC
from contract.dead_letters import dead_letter_for

log = logging.getLogger(__name__)

R = TypeVar("R")
Record = Any  # kafka-python's ConsumerRecord (untyped)
Poison = tuple[Record, str]

FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 30.0
PRODUCE_TIMEOUT_S = 30.0


#: A consumer judges its dead-letter ratio from this many messages on (or a whole window, if
#: that is smaller) rather than only once a window is full, so a bad deploy is stopped early.
DEAD_LETTER_MIN_SAMPLE = 100


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


class StopRequested(Exception):
    """A stop was requested while a step of the batch in hand was being retried."""


class BatchSteps:
    """Dead-lettering, committing and retrying for a consumer with ``consumer``, ``producer``
    and ``stop_event``; ``stage`` names it in its dead letters."""

    stage: ClassVar[str]
    consumer: KafkaConsumer
    producer: KafkaProducer
    stop_event: threading.Event

    def _dead_letter(self, poison: list[Poison]) -> None:
        messages = [
            dead_letter_for(
                record.value,
                record.key,
                reason=reason,
                stage=self.stage,
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
        # A partition taken away by a rebalance now belongs to another consumer, which will
        # replay these records (harmlessly); committing it here could rewind its progress.
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
            # The group rebalanced under us: the new owners replay the batch, idempotently.
            log.warning("offsets not committed, the batch will be redelivered: %s", exc)

    def _retry(self, what: str, step: Callable[[], R]) -> R:
        """Run ``step`` until it succeeds, backing off on transient errors with the partitions
        paused. Raises :class:`StopRequested` if a stop comes first; anything that is not
        transient propagates."""
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
            self._keep_membership()
            delay = min(delay * 2, MAX_BACKOFF_S)

    def _keep_membership(self) -> None:
        # Polling while paused keeps the group from deciding this consumer is dead
        # (max.poll.interval.ms). A partition assigned meanwhile is not paused: rewind anything
        # it returned so those records are fetched again once the batch in hand is done.
        for partition, records in self.consumer.poll(timeout_ms=0).items():
            self.consumer.seek(partition, records[0].offset)
            self.consumer.pause(partition)
