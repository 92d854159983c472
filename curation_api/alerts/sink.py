"""The alerts sink: ``ugc.alerts`` into incidents, as a chain of small steps.

poll → decode → validate → apply (one transaction per batch, the webhook events written in
it) → dead-letter the poison → commit offsets, commit last.
Delivery is at-least-once and applying is idempotent (:func:`.service.apply_alert` ignores a
sequence it already applied), so a replay changes nothing and announces nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError

from contract import ALERTS_TOPIC, Alert, PoisonMessage, decode, utcnow
from curation_api.alerts.service import apply_alert
from curation_api.alerts.settings import AlertsSinkSettings
from curation_api.batch_steps import (
    BatchSteps,
    GroupConsumer,
    Poison,
    Record,
    StopRequested,
)
from database.engine import create_db_engine, create_session_factory

log = logging.getLogger(__name__)

Decoded = tuple[Record, Alert]


def decode_alerts(records: Sequence[Record]) -> tuple[list[Decoded], list[Poison]]:
    """Split a batch into alerts and poison with its reasons."""
    good: list[Decoded] = []
    poison: list[Poison] = []
    for record in records:
        try:
            good.append((record, decode(Alert, record.value)))
        except PoisonMessage as exc:
            poison.append((record, exc.reason))
    return good, poison


class AlertsSink(BatchSteps):
    """Applies polled batches of alerts; :meth:`poll_once` is one step of the loop."""

    stage = "alerts"

    def __init__(
        self, *, base_url: str, clock: Callable[[], datetime] = utcnow, **common: Any
    ) -> None:
        super().__init__(**common)
        self.base_url = base_url
        self.clock = clock

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.poll_once()

    def poll_once(self) -> int:
        polled = self.consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=self.batch_size)
        records = [record for batch in polled.values() for record in batch]
        if records:
            self.handle(records)
        return len(records)

    def handle(self, records: Sequence[Record]) -> bool:
        """Apply, dead-letter and commit one batch; False when a stop interrupted it."""
        decoded, poison = decode_alerts(records)
        try:
            poison += self._retry("apply alerts", lambda: self._apply(decoded))
            self.budget.record(total=len(records), poisoned=len(poison))
            if poison:
                self._retry("dead-letter", lambda: self._dead_letter(poison))
            self._retry("commit offsets", lambda: self._commit(records))
        except StopRequested:
            return False
        return True

    def _apply(self, decoded: list[Decoded]) -> list[Poison]:
        """The batch in one transaction; if the database refuses it, message by message to
        find the refused ones."""
        try:
            self._write(decoded)
            return []
        except (DataError, IntegrityError) as exc:
            if len(decoded) == 1:
                return [(decoded[0][0], f"database refused the alert: {exc.orig or exc}")]
            log.warning("the database refused a batch of alerts; isolating them")
        refused: list[Poison] = []
        for one in decoded:
            try:
                self._write([one])
            except (DataError, IntegrityError) as exc:
                refused.append((one[0], f"database refused the alert: {exc.orig or exc}"))
        return refused

    def _write(self, decoded: list[Decoded]) -> None:
        now = self.clock()
        with self.sessions.begin() as session:
            for _, alert in decoded:
                outcome = apply_alert(session, alert, now=now, base_url=self.base_url)
                log.info("alert %s %s #%d: %s", alert.kind, alert.alert_id, alert.sequence, outcome)


def run_alerts_sink(settings: AlertsSinkSettings, stop_event: threading.Event) -> None:
    """Consume ``ugc.alerts`` into incidents until ``stop_event`` is set.

    Raises :class:`~contract.dead_letters.DeadLetterRatioExceeded` when too many messages are
    poison, and any error that is neither transient nor a message's fault.
    """
    engine = create_db_engine(settings.database_url)
    group = GroupConsumer(
        topic=ALERTS_TOPIC,
        group_id=settings.alerts_group_id,
        client_id="ugc-alerts-sink",
        batch_size=settings.alerts_batch_size,
        poll_timeout_ms=settings.alerts_poll_timeout_ms,
        session_timeout_ms=settings.alerts_session_timeout_ms,
        heartbeat_interval_ms=settings.alerts_heartbeat_interval_ms,
        dlq_max_ratio=settings.alerts_dlq_max_ratio,
        dlq_window=settings.alerts_dlq_window,
    )
    sink: AlertsSink = AlertsSink.wired(
        group,
        settings.bootstrap_list,
        create_session_factory(engine),
        stop_event,
        base_url=settings.public_base_url,
    )
    log.info("alerts sink on %s as group %s", ALERTS_TOPIC, settings.alerts_group_id)
    try:
        sink.run()
    finally:
        sink.close()
        engine.dispose()
        log.info("alerts sink stopped")
