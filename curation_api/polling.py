"""What the database-polling workers share (``ugc webhooks deliver``, ``ugc media worker``):
rounds until asked to stop, and the signals that ask."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

import click

from curation_api.batch_steps import is_transient


def run_rounds(
    name: str,
    run_round: Callable[[threading.Event], int],
    *,
    batch_size: int,
    poll_s: float,
    stop_event: threading.Event,
    log: logging.Logger,
) -> None:
    """Run ``run_round`` (which returns how much it attempted) until ``stop_event`` is set;
    the work in hand is finished first. A transient failure is logged and retried later; a
    round that did less than a batch waits ``poll_s`` before the next."""
    log.info("%s started", name)
    while not stop_event.is_set():
        try:
            attempted = run_round(stop_event)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("%s round failed (%s); retrying later", name, exc)
            attempted = 0
        if attempted < batch_size:
            stop_event.wait(poll_s)
    log.info("%s stopped", name)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGINT and SIGTERM set ``stop``: they only ask, and the loop finishes what it holds."""

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
