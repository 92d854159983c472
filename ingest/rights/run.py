"""``ugc ingest rights`` wired from settings: the command worker and the reply watcher (a
thread), one producer of events, until the stop event is set."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import timedelta

from kafka import KafkaConsumer

from contract import RIGHTS_COMMANDS_TOPIC, utcnow
from contract.dead_letters import DeadLetterBudget
from database.engine import create_db_engine, create_session_factory
from ingest.connectors.base import JobStopped
from ingest.connectors.from_job import Wiring
from ingest.rights.events import RightsEventProducer
from ingest.rights.mastodon import MastodonRights, mastodon_api
from ingest.rights.pacing import Pacer
from ingest.rights.watcher import ReplyWatcher
from ingest.rights.watches import WatchStore
from ingest.rights.worker import RightsWorker, Sender
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver, missing_credentials_message

log = logging.getLogger(__name__)


class RightsConfigError(RuntimeError):
    """A setting the rights worker needs is missing (the message says which)."""


def mastodon_from_settings(
    settings: IngestSettings, environ: Mapping[str, str], wiring: Wiring
) -> MastodonRights | None:
    """The brand's Mastodon account, or ``None`` when none is configured (manual sends)."""
    base_url, ref = settings.rights_mastodon_base_url, settings.rights_mastodon_credentials
    if base_url is None:
        return None
    resolver = CredentialResolver(environ=environ, secrets_file=settings.secrets_file)
    token = resolver.resolve(ref, ["access_token"]).get("access_token")
    if token is None:
        raise RightsConfigError(
            missing_credentials_message(
                "mastodon", ref, ["access_token"], ref_hint="UGC_RIGHTS_MASTODON_CREDENTIALS"
            )
        )
    return MastodonRights(
        mastodon_api(base_url, token, wiring),
        visibility=settings.rights_mastodon_visibility,
        account=f"mastodon {base_url} ({ref})",
    )


def run_rights(settings: IngestSettings, stop: threading.Event, environ: Mapping[str, str]) -> None:
    """Send rights requests and read their replies until ``stop`` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise JobStopped

    sender = mastodon_from_settings(settings, environ, Wiring(sleep=sleep))
    watcher_api = mastodon_from_settings(settings, environ, Wiring(sleep=sleep))
    engine = create_db_engine(settings.database_url)
    store = WatchStore(create_session_factory(engine))
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
    senders: dict[str, Sender] = {"mastodon": sender} if sender is not None else {}
    worker = RightsWorker(
        consumer=consumer,
        events=events,
        senders=senders,
        pacer=Pacer(settings.rights_sends_per_hour, now=utcnow),
        watches=store,
        watch_for=timedelta(days=settings.rights_watch_days),
        stop=stop,
        budget=DeadLetterBudget(
            settings.ingest_rights_dlq_max_ratio, window=settings.ingest_rights_dlq_window
        ),
    )
    watcher_thread = None
    if watcher_api is not None:
        watcher = ReplyWatcher(store=store, mastodon=watcher_api, events=events)
        watcher_thread = threading.Thread(
            target=watcher.run, args=(stop,), name="rights-replies", daemon=True
        )
        watcher_thread.start()
    log.info(
        "rights worker consuming %s as %s (Mastodon %s)",
        RIGHTS_COMMANDS_TOPIC,
        settings.ingest_rights_group_id,
        "configured" if sender is not None else "not configured: manual sends",
    )
    try:
        worker.run()
    finally:
        stop.set()
        if watcher_thread is not None:
            watcher_thread.join(timeout=30)
        consumer.close(autocommit=False)
        events.close()
        for api in (sender, watcher_api):
            if api is not None:
                api.close()
        engine.dispose()
        log.info("rights worker stopped")
