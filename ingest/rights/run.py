"""``ugc ingest rights`` wired from settings: the command worker and the reply watcher (a
thread), one producer of events, until the stop event is set."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta

from kafka import KafkaConsumer

from contract import RIGHTS_COMMANDS_TOPIC, utcnow
from contract.dead_letters import DeadLetterBudget
from database.engine import create_db_engine, create_session_factory
from ingest.connectors.base import JobStopped
from ingest.connectors.from_job import Wiring
from ingest.rights import bluesky, instagram, mastodon, reddit, x, youtube
from ingest.rights.events import RightsEventProducer
from ingest.rights.network import RightsNetwork
from ingest.rights.pacing import Pacer
from ingest.rights.watcher import ReplyWatcher
from ingest.rights.watches import WatchStore
from ingest.rights.worker import RightsWorker
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver

Builder = Callable[[IngestSettings, CredentialResolver, Wiring], RightsNetwork | None]

log = logging.getLogger(__name__)


#: Each network's builder: its rights module's ``from_settings``, ``None`` when unconfigured.
BUILDERS: tuple[Builder, ...] = (
    mastodon.from_settings,
    bluesky.from_settings,
    reddit.from_settings,
    youtube.from_settings,
    x.from_settings,
    instagram.from_settings,
)


def networks_from_settings(
    settings: IngestSettings, environ: Mapping[str, str], wiring: Wiring
) -> dict[str, RightsNetwork]:
    """The brand's accounts on the networks it configured; the others' requests are manual."""
    resolver = CredentialResolver(environ=environ, secrets_file=settings.secrets_file)
    built = (build(settings, resolver, wiring) for build in BUILDERS)
    return {network.network: network for network in built if network is not None}


def run_rights(settings: IngestSettings, stop: threading.Event, environ: Mapping[str, str]) -> None:
    """Send rights requests and read their replies until ``stop`` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise JobStopped

    # One client set per thread: the worker sends, the watcher reads.
    senders = networks_from_settings(settings, environ, Wiring(sleep=sleep))
    readers = networks_from_settings(settings, environ, Wiring(sleep=sleep))
    engine = create_db_engine(settings.database_url)
    sessions = create_session_factory(engine)
    store = WatchStore(sessions)
    events = RightsEventProducer(settings)
    consumer = KafkaConsumer(
        RIGHTS_COMMANDS_TOPIC,
        bootstrap_servers=settings.bootstrap_list,
        group_id=settings.ingest_rights_group_id,
        client_id="ugc-ingest-rights",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.ingest_rights_session_timeout_ms,
        heartbeat_interval_ms=max(300, settings.ingest_rights_session_timeout_ms // 3),
    )
    worker = RightsWorker(
        consumer=consumer,
        events=events,
        senders=senders,
        pacer=Pacer(sessions, settings.rights_sends_per_hour, now=utcnow),
        watches=store,
        watch_for=timedelta(days=settings.rights_watch_days),
        stop=stop,
        budget=DeadLetterBudget(
            settings.ingest_rights_dlq_max_ratio, window=settings.ingest_rights_dlq_window
        ),
    )
    watcher_thread = None
    if readers:
        watcher = ReplyWatcher(
            store=store,
            networks=readers,
            events=events,
            first_hour_s=settings.rights_reply_poll_s,
        )
        watcher_thread = threading.Thread(
            target=watcher.run, args=(stop,), name="rights-replies", daemon=True
        )
        watcher_thread.start()
    log.info(
        "rights worker consuming %s as %s; sends on %s, the other networks' are manual",
        RIGHTS_COMMANDS_TOPIC,
        settings.ingest_rights_group_id,
        ", ".join(sorted(senders)) or "no network",
    )
    try:
        worker.run()
    finally:
        stop.set()
        if watcher_thread is not None:
            watcher_thread.join(timeout=30)
        consumer.close(autocommit=False)
        events.close()
        for network in [*senders.values(), *readers.values()]:
            network.close()
        engine.dispose()
        log.info("rights worker stopped")
