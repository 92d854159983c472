"""``ugc media``: the worker that keeps copies of publishable posts' images."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: FrameType | None) -> None:
        # Only ask: the copy in hand is finished and recorded, then the loop exits.
        click.echo(f"{signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)


@click.group("media")
def media() -> None:
    """Media copies: publishable posts' images served from our own origin."""


@media.command("worker")
def worker_command() -> None:
    """Fetch, resize, store and remove media copies until SIGINT/SIGTERM."""
    from curation_api.media.settings import MediaSettings
    from curation_api.media.worker import run_media_worker

    stop = threading.Event()
    _stop_on_signals(stop)
    click.echo("copying media (Ctrl-C stops)", err=True)
    run_media_worker(MediaSettings(), stop)
    click.echo("media worker stopped", err=True)
