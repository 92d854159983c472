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
from collections.abc import Sequence

from contract import PoisonMessage, RightsEvent, decode
from curation_api.batch_steps import AppliedBatches, Poison, Record
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


class RightsEventsConsumer(AppliedBatches):
    """Applies polled batches of rights events; :meth:`poll_once` is one step of the worker."""

    stage = "rights"
    noun = "event"
    plural = "rights events"

    def decode(self, records: Sequence[Record]) -> tuple[list[Decoded], list[Poison]]:
        return decode_events(records)

    def write(self, decoded: list[Decoded]) -> list[Poison]:
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
