"""The steps every consumer of the curation side shares, after its own decode and work steps:
dead-letter the poison, commit the offsets (last), and retry a step on a transient failure with
the partitions paused. How failures are told apart lives here too: transient ones are retried,
poison is dead-lettered, and too much poison stops the consumer.

The sink (``sink/consumer.py``), the rights-events consumer (``rights/events.py``) and the
alerts sink (``alerts/sink.py``) differ only in what they decode and store; they inherit these
steps and their wiring (:class:`GroupConsumer`) from :class:`BatchSteps`, and the last two
their whole batch chain from :class:`AppliedBatches`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from contract import DLQ_TOPIC, utcnow
from contract.dead_letters import DeadLetterBudget, dead_letter_for

log = logging.getLogger(__name__)

R = TypeVar("R")
Record = Any  # kafka-python's ConsumerRecord (untyped)
Poison = tuple[Record, str]
#: A decoded record beside the message it holds.
Applied = tuple[Record, Any]

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


@dataclass(frozen=True)
class GroupConsumer:
    """How one consumer reads its topic: its group, its batches, its group timeouts and its
    dead-letter cap, from the consumer's own settings."""

    topic: str
    group_id: str
    client_id: str
    batch_size: int
    poll_timeout_ms: int
    session_timeout_ms: int
    heartbeat_interval_ms: int
    dlq_max_ratio: float
    dlq_window: int

    def consumer(self, bootstrap: list[str]) -> KafkaConsumer:
        """Offsets committed by hand, after the batch is stored; a new group starts at the
        beginning (the stores are idempotent)."""
        return KafkaConsumer(
            self.topic,
            bootstrap_servers=bootstrap,
            group_id=self.group_id,
            client_id=self.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=self.heartbeat_interval_ms,
        )

    def dead_letter_producer(self, bootstrap: list[str]) -> KafkaProducer:
        return KafkaProducer(
            bootstrap_servers=bootstrap, client_id=f"{self.client_id}-dlq", acks="all"
        )

    def budget(self) -> DeadLetterBudget:
        return DeadLetterBudget(
            self.dlq_max_ratio,
            window=self.dlq_window,
            min_sample=min(DEAD_LETTER_MIN_SAMPLE, self.dlq_window),
        )


class BatchSteps:
    """Dead-lettering, committing and retrying for a consumer with ``consumer``, ``producer``
    and ``stop_event``; ``stage`` names it in its dead letters."""

    stage: ClassVar[str]

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
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.sessions = sessions
        self.stop_event = stop_event
        self.budget = budget
        self.poll_timeout_ms = poll_timeout_ms
        self.batch_size = batch_size

    @classmethod
    def wired(
        cls,
        group: GroupConsumer,
        bootstrap: list[str],
        sessions: sessionmaker[Session],
        stop_event: threading.Event,
        **extra: Any,
    ) -> Any:
        """The consumer reading ``group``'s topic on the broker at ``bootstrap``; ``extra``
        goes to the subclass's own arguments. Close it with :meth:`close`."""
        return cls(
            consumer=group.consumer(bootstrap),
            producer=group.dead_letter_producer(bootstrap),
            sessions=sessions,
            stop_event=stop_event,
            budget=group.budget(),
            poll_timeout_ms=group.poll_timeout_ms,
            batch_size=group.batch_size,
            **extra,
        )

    def close(self) -> None:
        """Leave the group without committing what was not handled, and flush the producer."""
        self.consumer.close(autocommit=False)
        self.producer.close()

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


class AppliedBatches(BatchSteps):
    """A consumer whose batches go decode → apply (one transaction; if the database refuses
    it, record by record to find the refused ones) → dead-letter → commit. Subclasses give
    :meth:`decode` and :meth:`write`, and name their records in ``noun`` and ``plural``."""

    noun: ClassVar[str]
    plural: ClassVar[str]

    def __init__(
        self, *, base_url: str, clock: Callable[[], datetime] = utcnow, **common: Any
    ) -> None:
        super().__init__(**common)
        self.base_url = base_url
        self.clock = clock

    def decode(self, records: Sequence[Record]) -> tuple[list[Applied], list[Poison]]:
        """The records that can be applied, and the poison with its reasons."""
        raise NotImplementedError

    def write(self, decoded: list[Applied]) -> list[Poison]:
        """Apply records in one transaction; those it could not use, with why."""
        raise NotImplementedError

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
        decoded, poison = self.decode(records)
        try:
            poison += self._retry(f"apply {self.plural}", lambda: self._apply(decoded))
            self.budget.record(total=len(records), poisoned=len(poison))
            if poison:
                self._retry("dead-letter", lambda: self._dead_letter(poison))
            self._retry("commit offsets", lambda: self._commit(records))
        except StopRequested:
            return False
        return True

    def _apply(self, decoded: list[Applied]) -> list[Poison]:
        try:
            return self.write(decoded)
        except (DataError, IntegrityError) as exc:
            if len(decoded) == 1:
                return [(decoded[0][0], f"database refused the {self.noun}: {exc.orig or exc}")]
            log.warning("the database refused a batch of %s; isolating them", self.plural)
        refused: list[Poison] = []
        for one in decoded:
            try:
                refused += self.write([one])
            except (DataError, IntegrityError) as exc:
                refused.append((one[0], f"database refused the {self.noun}: {exc.orig or exc}"))
        return refused
