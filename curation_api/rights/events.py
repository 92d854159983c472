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
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from contract import PoisonMessage, RightsEvent, decode, utcnow
from curation_api.batch_steps import BatchSteps, Poison, Record, StopRequested
from curation_api.rights.network_events import UnusableEvent, apply_event, missing_fields

log = logging.getLogger(__name__)

Decoded = tuple[Record, RightsEvent]


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


class RightsEventsConsumer(BatchSteps):
    """Applies polled batches of rights events; :meth:`poll_once` is one step of the worker."""

    stage = "rights"

    def __init__(
        self, *, base_url: str, clock: Callable[[], datetime] = utcnow, **common: Any
    ) -> None:
        super().__init__(**common)
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
