"""Command-line entry points of the curation side, mounted by ``ugc.cli``:
``ugc api``, ``ugc sink`` and ``ugc db upgrade``."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from curation_api.settings import ApiSettings


@click.command("api")
@click.option("--host", default=None, help="Interface to listen on [default: UGC_API_HOST].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: UGC_API_PORT].")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes, about one per core [default: UGC_API_WORKERS].",
)
def api_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the curation API (run `ugc db upgrade` first)."""
    from curation_api.app import serve

    settings = ApiSettings()
    options = {"api_host": host, "api_port": port, "api_workers": workers}
    serve(settings.model_copy(update={k: v for k, v in options.items() if v is not None}))


@click.command("sink")
def sink_command() -> None:
    """Consume scored posts into the database until SIGINT/SIGTERM."""
    from curation_api.sink.consumer import run_sink

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        # Only ask: the sink finishes and commits the batch in hand, then closes.
        logging.getLogger(__name__).info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    run_sink(ApiSettings(), stop)


@click.group("db")
def db_group() -> None:
    """The curation database."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision.")
def db_upgrade_command(revision: str) -> None:
    """Create or migrate the tables in UGC_DATABASE_URL."""
    from database.migrate import upgrade
    from database.settings import DatabaseSettings

    settings = DatabaseSettings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {_display_url(settings.database_url)} is at revision {revision}")


def _display_url(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)
