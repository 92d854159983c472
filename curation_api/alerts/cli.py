"""``ugc alerts sink|list|show|ack|resolve|snooze|unsnooze``: incidents from a shell.

Each command calls the function its HTTP route calls (:mod:`.service`), in one transaction that
commits when the command succeeds; results are JSON on stdout. The operator is named
``cli:NAME`` (``--as``, default: the login name). A change the rules refuse (no such incident,
acknowledging a resolved one) prints its message on stderr and exits 1.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from pydantic import BaseModel
from sqlalchemy.orm import Session

from contract import utcnow
from curation_api.alerts import service
from curation_api.alerts.schemas import SnoozeCreate
from curation_api.alerts.settings import AlertsSinkSettings
from curation_api.kit import Moderator
from database.engine import create_db_engine, create_session_factory
from database.errors import DomainError
from database.models import IncidentStatus

F = TypeVar("F", bound=Callable[..., Any])
CLI_PREFIX = "cli:"


@contextmanager
def _session() -> Iterator[tuple[Session, AlertsSinkSettings]]:
    settings = AlertsSinkSettings()
    engine = create_db_engine(settings.database_url)
    try:
        with create_session_factory(engine).begin() as session:
            yield session, settings
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    finally:
        engine.dispose()


def _echo(value: BaseModel) -> None:
    click.echo(json.dumps(value.model_dump(mode="json"), ensure_ascii=False, indent=2))


def _operator(command: F) -> F:
    def login() -> str:
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "unknown"

    return click.option(
        "--as", "operator", default=login, show_default="your login name", metavar="NAME"
    )(command)


@click.command("sink")
def sink_command() -> None:
    """Consume ugc.alerts into incidents (idempotent) until SIGINT/SIGTERM."""
    import signal
    import threading
    from types import FrameType

    from curation_api.alerts.sink import run_alerts_sink

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"{signal.Signals(signum).name}: stopping", err=True)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    run_alerts_sink(AlertsSinkSettings(), stop)


@click.command("list")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice([s.value for s in IncidentStatus])
)
@click.option("--hashtag", "hashtags", multiple=True)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--cursor", default=None, help="The next_cursor of the previous page.")
def list_command(
    statuses: tuple[str, ...], hashtags: tuple[str, ...], limit: int, cursor: str | None
) -> None:
    """Incidents, newest first."""
    with _session() as (session, settings):
        _echo(
            service.list_incidents(
                session,
                statuses=[IncidentStatus(s) for s in statuses],
                hashtags=list(hashtags),
                cursor=cursor,
                limit=limit,
                base_url=settings.public_base_url,
            )
        )


@click.command("show")
@click.argument("incident_id")
def show_command(incident_id: str) -> None:
    """One incident with its evidence."""
    with _session() as (session, settings):
        _echo(service.get_incident(session, incident_id, base_url=settings.public_base_url))


@click.command("ack")
@click.argument("incident_id")
@_operator
def ack_command(incident_id: str, operator: str) -> None:
    """Acknowledge an incident."""
    with _session() as (session, settings):
        moderator = Moderator(name=CLI_PREFIX + operator)
        _echo(
            service.acknowledge(
                session, incident_id, moderator, now=utcnow(), base_url=settings.public_base_url
            )
        )


@click.command("resolve")
@click.argument("incident_id")
@_operator
def resolve_command(incident_id: str, operator: str) -> None:
    """Resolve an incident (announced to webhooks as alert.resolved)."""
    with _session() as (session, settings):
        moderator = Moderator(name=CLI_PREFIX + operator)
        _echo(
            service.resolve(
                session, incident_id, moderator, now=utcnow(), base_url=settings.public_base_url
            )
        )


@click.command("snooze")
@click.argument("hashtag")
@click.option("--minutes", type=click.IntRange(1, 90 * 24 * 60), required=True)
def snooze_command(hashtag: str, minutes: int) -> None:
    """Silence a hashtag's alerts for some minutes."""
    with _session() as (session, _settings):
        _echo(service.snooze(session, hashtag, SnoozeCreate(minutes=minutes), now=utcnow()))


@click.command("unsnooze")
@click.argument("hashtag")
def unsnooze_command(hashtag: str) -> None:
    """End a hashtag's snooze."""
    with _session() as (session, _settings):
        _echo(service.unsnooze(session, hashtag, now=utcnow()))


#: The curation side's commands of ``ugc alerts`` (the stream's ``worker`` and the detector's
#: ``backtest`` live in classify).
COMMANDS = (
    sink_command,
    list_command,
    show_command,
    ack_command,
    resolve_command,
    snooze_command,
    unsnooze_command,
)
