"""The alerts sink: ``ugc.alerts`` into incidents, as a chain of small steps.

poll → decode → validate → apply (one transaction per batch, the webhook events written in
it) → dead-letter the poison → commit offsets, commit last.
Delivery is at-least-once and applying is idempotent (:func:`.service.apply_alert` ignores a
sequence it already applied), so a replay changes nothing and announces nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from contract import ALERTS_TOPIC, Alert, PoisonMessage, decode
from curation_api.alerts.service import apply_alert
from curation_api.alerts.settings import AlertsSinkSettings
from curation_api.batch_steps import (
    AppliedBatches,
    GroupConsumer,
    Poison,
    Record,
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


class AlertsSink(AppliedBatches):
    """Applies polled batches of alerts; :meth:`poll_once` is one step of the loop."""

    stage = "alerts"
    noun = "alert"
    plural = "alerts"

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.poll_once()

    def decode(self, records: Sequence[Record]) -> tuple[list[Decoded], list[Poison]]:
        return decode_alerts(records)

    def write(self, decoded: list[Decoded]) -> list[Poison]:
        now = self.clock()
        with self.sessions.begin() as session:
            for _, alert in decoded:
                outcome = apply_alert(session, alert, now=now, base_url=self.base_url)
                log.info("alert %s %s #%d: %s", alert.kind, alert.alert_id, alert.sequence, outcome)
        return []


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
