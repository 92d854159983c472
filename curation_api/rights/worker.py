"""``ugc rights worker``: the curation side of the rights process in one loop.

Between polls of ``ugc.rights.events`` (:mod:`curation_api.rights.events`) it publishes the
outbox (:mod:`curation_api.rights.relay`) and runs the due timers
(:func:`curation_api.rights.timers.process_due`), each at its own interval. A stop request
only sets an event: the batch in hand is applied and committed, then everything is closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from contract import RIGHTS_EVENTS_TOPIC, utcnow
from curation_api.batch_steps import GroupConsumer, is_transient
from curation_api.rights import timers
from curation_api.rights.events import RightsEventsConsumer
from curation_api.rights.relay import OutboxRelay, producer_factory
from curation_api.rights.settings import RightsWorkerSettings
from database.engine import create_db_engine, create_session_factory

log = logging.getLogger(__name__)


class Every:
    """Runs a step at an interval of the monotonic clock; the step may ask for a longer wait
    (a backoff) by returning it."""

    def __init__(self, interval_s: float, step: Callable[[], float | None]) -> None:
        self.interval_s = interval_s
        self.step = step
        self.due = 0.0

    def run_if_due(self) -> None:
        if time.monotonic() < self.due:
            return
        try:
            wait = self.step()
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("%s failed (%s); retrying later", self.step.__name__, exc)
            wait = None
        self.due = time.monotonic() + max(self.interval_s, wait or 0.0)


def relay_step(relay: OutboxRelay) -> Callable[[], float | None]:
    def publish_outbox() -> float | None:
        relay.publish_round(utcnow())
        return relay.backoff_s or None

    return publish_outbox


def timers_step(sessions: sessionmaker[Session], base_url: str) -> Callable[[], float | None]:
    def run_timers() -> None:
        with sessions.begin() as session:
            handled = timers.process_due(session, utcnow(), base_url=base_url)
        if handled:
            log.info("rights timers: %d handled", handled)

    return run_timers


def run_rights_worker(settings: RightsWorkerSettings, stop_event: threading.Event) -> None:
    """Relay the outbox, apply rights events and run the timers until ``stop_event`` is set.

    Raises :class:`~contract.dead_letters.DeadLetterRatioExceeded` when too many events are
    poison, and any error that is neither transient nor an event's fault.
    """
    engine = create_db_engine(settings.database_url)
    sessions = create_session_factory(engine)
    relay = OutboxRelay(
        sessions,
        producer_factory(settings.bootstrap_list),
        batch_size=settings.rights_outbox_batch_size,
    )
    group = GroupConsumer(
        topic=RIGHTS_EVENTS_TOPIC,
        group_id=settings.rights_group_id,
        client_id="ugc-rights",
        batch_size=settings.rights_batch_size,
        poll_timeout_ms=settings.rights_poll_timeout_ms,
        session_timeout_ms=settings.rights_session_timeout_ms,
        heartbeat_interval_ms=settings.rights_heartbeat_interval_ms,
        dlq_max_ratio=settings.rights_dlq_max_ratio,
        dlq_window=settings.rights_dlq_window,
    )
    events: RightsEventsConsumer = RightsEventsConsumer.wired(
        group,
        settings.bootstrap_list,
        sessions,
        stop_event,
        base_url=settings.rights_public_base_url,
    )
    schedule = [
        Every(settings.rights_outbox_interval_s, relay_step(relay)),
        Every(
            settings.rights_timers_interval_s,
            timers_step(sessions, settings.rights_public_base_url),
        ),
    ]
    log.info("rights worker on %s as group %s", RIGHTS_EVENTS_TOPIC, settings.rights_group_id)
    try:
        while not stop_event.is_set():
            events.poll_once()
            for step in schedule:
                step.run_if_due()
    finally:
        events.close()
        relay.close()
        engine.dispose()
        log.info("rights worker stopped")
