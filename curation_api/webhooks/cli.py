"""``ugc webhooks``: the delivery worker and a local receiver to watch deliveries arrive."""

from __future__ import annotations

import threading

import click

from curation_api.polling import stop_on_signals


@click.group("webhooks")
def webhooks() -> None:
    """Webhooks: deliver the outbox, or run a local receiver."""


@webhooks.command("deliver")
def deliver_command() -> None:
    """Send due webhook deliveries (retries, backoff, 410) until SIGINT/SIGTERM."""
    from curation_api.webhooks.delivery import run_delivery_worker
    from curation_api.webhooks.settings import WebhookSettings

    stop = threading.Event()
    stop_on_signals(stop)
    click.echo("delivering webhooks (Ctrl-C stops)", err=True)
    run_delivery_worker(WebhookSettings(), stop)
    click.echo("webhook delivery stopped", err=True)


@webhooks.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--secret",
    default=None,
    help="The endpoint's signing secret (whsec_...): each signature is checked with it.",
)
@click.option(
    "--fail",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Answer 503 to the first N requests, to watch the worker retry.",
)
def listen_command(host: str, port: int, secret: str | None, fail: int) -> None:
    """A local webhook receiver: prints every delivery and checks its signature (204)."""
    from curation_api.webhooks.receiver import WebhookReceiver

    receiver = WebhookReceiver(
        host=host, port=port, secret=secret, fail=fail, echo=lambda line: click.echo(line)
    )
    stop = threading.Event()
    stop_on_signals(stop)
    receiver.start()
    click.echo(f"listening on http://{host}:{receiver.port}/ (Ctrl-C stops)", err=True)
    while not stop.wait(0.5):
        pass
    receiver.stop()
