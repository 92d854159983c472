"""What every ``ugc ingest`` command process needs: a producer to the raw topic, and SIGINT or
SIGTERM read as a request to stop (the loop ends, in-flight posts are acknowledged, exit 0)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click
from kafka.errors import KafkaError

from contract.topics import create_topics
from ingest.producer import PostProducer
from ingest.settings import IngestSettings

log = logging.getLogger(__name__)


@contextmanager
def producer_for(settings: IngestSettings) -> Iterator[PostProducer]:
    """A producer to the raw topic, the topics created first where this process may; a
    :class:`click.ClickException` saying how to fix it when no broker answers."""
    try:
        created = create_topics(settings)
    except KafkaError as exc:
        # The topics may exist already and topic creation just not be ours to do (ACLs).
        log.warning("could not create the topics (%s); producing anyway", exc)
    else:
        if created:
            log.info("created topics %s", ", ".join(created))
    try:
        producer = PostProducer(settings)
    except KafkaError as exc:
        raise click.ClickException(
            f"no Kafka broker at {settings.kafka_bootstrap_servers} ({exc}); "
            "start one or set UGC_KAFKA_BOOTSTRAP_SERVERS"
        ) from None
    with producer:
        yield producer


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM; a second SIGINT interrupts at once, as usual."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers can only be installed from the main thread
        return

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s: stopping once the posts in flight are acknowledged", signal.strsignal(signum))
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
