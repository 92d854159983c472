"""The rights worker's consumer: ``ugc.rights.commands`` → a sender → ``ugc.rights.events``.

A chain per command: decode → pace → send → watch → produce → commit, commit last. A command
that will never decode goes to the dead-letter topic (stage ``ingest-rights``). A transient
failure (the network's 429/5xx after the client's own retries, the broker, the database) pauses
the partitions and retries the same command with backoff, its offset uncommitted; a command
over its account's hourly budget waits the same way. A stop interrupts any wait; the command in
hand is then redelivered to the next worker, which does not post twice
(:mod:`~ingest.rights.mastodon`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from kafka import KafkaConsumer
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import OperationalError

from contract import PoisonMessage, RightsCommand, RightsEvent, RightsEventKind, decode, utcnow
from contract.dead_letters import DeadLetterBudget, dead_letter_for
from ingest.connectors.base import JobStopped, Unavailable
from ingest.rights.events import EventSink
from ingest.rights.manual import manual_send_needed
from ingest.rights.network import RightsNetwork
from ingest.rights.pacing import Pacer
from ingest.rights.watches import WatchStore

log = logging.getLogger(__name__)

R = TypeVar("R")
Record = Any  # kafka-python's ConsumerRecord (untyped)

STAGE = "ingest-rights"
FIRST_BACKOFF_S = 0.2
MAX_BACKOFF_S = 30.0
#: Longest single wait while paused: the consumer polls in between to stay in its group.
MAX_WAIT_CHUNK_S = 30.0


class StopRequested(Exception):
    """A stop came while the command in hand waited."""


def is_transient(exc: BaseException) -> bool:
    """Worth retrying the same step: the network, the broker or the database is away."""
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    return isinstance(exc, Unavailable | OperationalError | TimeoutError)


class RightsWorker:
    """One consumer's loop; :func:`ingest.rights.run.run_rights` builds it from settings.

    ``wait(seconds)`` waits and returns True when a stop was requested (``stop.wait`` by
    default; tests move a fake clock instead). ``now`` is the clock of pacing and watches.
    """

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        events: EventSink,
        senders: dict[str, RightsNetwork],
        pacer: Pacer,
        watches: WatchStore | None,
        watch_for: timedelta,
        stop: threading.Event,
        budget: DeadLetterBudget,
        now: Callable[[], datetime] = utcnow,
        wait: Callable[[float], bool] | None = None,
        poll_timeout_ms: int = 500,
    ) -> None:
        self.consumer = consumer
        self.events = events
        self.senders = senders
        self.pacer = pacer
        self.watches = watches
        self.watch_for = watch_for
        self.stop = stop
        self.budget = budget
        self.now = now
        self.wait = wait or stop.wait
        self.poll_timeout_ms = poll_timeout_ms

    def run(self) -> None:
        """Handle commands until the stop event is set."""
        while not self.stop.is_set():
            polled = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=1)
            for records in polled.values():
                for record in records:
                    if not self.handle(record):
                        return

    def handle(self, record: Record) -> bool:
        """One command, start to commit; False when a stop interrupted it (uncommitted)."""
        try:
            try:
                command = decode(RightsCommand, record.value)
            except PoisonMessage as exc:
                reason = exc.reason
                self.budget.record(total=1, poisoned=1)
                self._retry("dead-letter", lambda: self._dead_letter(record, reason))
            else:
                self.budget.record(total=1, poisoned=0)
                event = self._outcome(command)
                if event.kind == RightsEventKind.SENT:
                    self._retry("watch", lambda: self._watch(command, event))
                self._retry("produce the event", lambda: self.events.publish([event]))
                log.info("rights request %d: %s", command.request_id, event.kind.value)
            self._retry("commit", lambda: self._commit(record))
        except (StopRequested, JobStopped):
            return False
        return True

    def _outcome(self, command: RightsCommand) -> RightsEvent:
        sender = self.senders.get(command.network)
        if sender is None:
            return manual_send_needed(command)
        self._pace(sender.account)
        event = self._retry(f"send request {command.request_id}", lambda: sender.send(command))
        if event.kind == RightsEventKind.SENT:
            self.pacer.take(sender.account)
        return event

    def _pace(self, account: str) -> None:
        while (wait_s := self.pacer.wait_s(account)) > 0:
            log.info("%s: hourly send budget spent; waiting %.0fs", account, wait_s)
            self._pause_for(min(wait_s, MAX_WAIT_CHUNK_S))
        self.consumer.resume(*self.consumer.paused())

    def _watch(self, command: RightsCommand, event: RightsEvent) -> None:
        if self.watches is None or event.reply_id is None:
            return
        now = self.now()
        self.watches.add(
            request_id=command.request_id,
            post_id=command.post_id,
            network=command.network,
            sent_id=event.reply_id,
            sent_at=now,
            watch_until=now + self.watch_for,
        )

    def _dead_letter(self, record: Record, reason: str) -> None:
        self.events.dead_letter(
            dead_letter_for(
                record.value,
                record.key,
                reason=reason,
                stage=STAGE,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        )
        log.warning(
            "dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )

    def _commit(self, record: Record) -> None:
        partition = TopicPartition(record.topic, record.partition)
        if partition not in self.consumer.assignment():
            return  # another worker owns it now and will redo this command (without a repost)
        try:
            self.consumer.commit({partition: OffsetAndMetadata(record.offset + 1, "", -1)})
        except CommitFailedError as exc:
            log.warning("offset not committed, the command will be redelivered: %s", exc)

    def _retry(self, what: str, step: Callable[[], R]) -> R:
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
            self._pause_for(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)

    def _pause_for(self, seconds: float) -> None:
        self.consumer.pause(*self.consumer.assignment())
        if self.wait(seconds):
            raise StopRequested
        # Polling while paused keeps the group membership (max.poll.interval.ms); rewind what a
        # partition assigned meanwhile returned, so it is fetched again after this command.
        for partition, records in self.consumer.poll(timeout_ms=0).items():
            self.consumer.seek(partition, records[0].offset)
            self.consumer.pause(partition)
