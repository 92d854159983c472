"""``ugc media``: the worker that keeps copies of publishable posts' images."""

from __future__ import annotations

import threading

import click

from curation_api.polling import stop_on_signals


@click.group("media")
def media() -> None:
    """Media copies: publishable posts' images served from our own origin."""


@media.command("worker")
def worker_command() -> None:
    """Fetch, resize, store and remove media copies until SIGINT/SIGTERM."""
    from curation_api.media.settings import MediaSettings
    from curation_api.media.worker import run_media_worker

    stop = threading.Event()
    stop_on_signals(stop)
    click.echo("copying media (Ctrl-C stops)", err=True)
    run_media_worker(MediaSettings(), stop)
    click.echo("media worker stopped", err=True)
