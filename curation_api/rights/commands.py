"""``ugc rights request|sent|decide|revoke|show|inbox|proof``: the rights flow from a shell.

Each command calls the function its HTTP route calls (:mod:`.service`, :mod:`.records`,
:mod:`.attachments`), so the same rules answer, in one transaction that commits when the command
succeeds and rolls back when it fails (``request`` takes one per post). Results are JSON on
stdout. The audit log names the operator ``cli:NAME`` (``--as``, default: the login name), so
that it tells a change made from the command line from one made through the API.

A change the rules refuse (no such post, a move the states do not allow, a file of a type that
is not kept) prints its message on stderr and exits 1; an option value the request bodies refuse
exits 2, as click's own usage errors do.
"""

from __future__ import annotations

import getpass
import mimetypes
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from contract import utcnow
from curation_api.rights import attachments, records, service
from curation_api.rights.schemas import (
    Decision,
    DecisionCreate,
    RightsRequestCreate,
    SentCreate,
)
from curation_api.rights.service import Actor
from curation_api.rights.settings import RightsWorkerSettings
from curation_api.settings import ApiSettings
from database.engine import create_db_engine, create_session_factory
from database.enums import RightsActorKind, RightsState
from database.errors import DomainError

Body = TypeVar("Body", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

#: What the audit log's name of an operator starts with.
CLI_PREFIX = "cli:"
#: The options whose name is not the body field's.
_OPTION_OF_FIELD = {"attachment_ids": "--attach"}


class RightsCommandSettings(ApiSettings, RightsWorkerSettings):
    """What the rights commands read: the API's database and attachment limit, and the public
    address the rights worker writes terms links with (the commands act as either would)."""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor in the user database
        return "unknown"


def _as_option(command: F) -> F:
    return click.option(
        "--as",
        "operator",
        default=_login_name,
        show_default="your login name",
        metavar="NAME",
        help=f"Who the audit log names, as {CLI_PREFIX}NAME.",
    )(command)


def _actor(operator: str) -> Actor:
    name = operator.strip().removeprefix(CLI_PREFIX).strip()
    if not name or len(CLI_PREFIX + name) > 255:
        raise click.BadParameter("a name of 1 to 251 characters", param_hint="--as")
    return Actor(RightsActorKind.MODERATOR, CLI_PREFIX + name)


def _scope_option(what: str, default: str) -> Callable[[F], F]:
    return click.option(
        "--scope",
        multiple=True,
        metavar="CHANNELS",
        help=f"{what}: website, social, ads, email, comma-separated  [default: {default}]",
    )


def _split(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _body(model: type[Body], fields: dict[str, Any]) -> Body:
    """The request body of the options given; a value it refuses is a usage error (exit 2)."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        problems = []
        for detail in error.errors(include_url=False):
            field = str(detail["loc"][0]) if detail["loc"] else ""
            option = _OPTION_OF_FIELD.get(field, "--" + field.replace("_", "-"))
            problems.append(f"{option}: {detail['msg']}")
        raise click.UsageError("; ".join(problems), click.get_current_context()) from None


def _given(**options: Any) -> dict[str, Any]:
    """The options that were given: one left out stays out of the body (its default holds)."""
    return {name: value for name, value in options.items() if value not in (None, [])}


def _settings() -> RightsCommandSettings:
    try:
        return RightsCommandSettings()
    except ValidationError as error:
        raise click.ClickException(f"invalid settings: {error}") from None


def _sessions(settings: RightsCommandSettings) -> sessionmaker[Session]:
    """Sessions on the settings' database; the engine is closed when the command ends."""
    engine = create_db_engine(settings.database_url)
    click.get_current_context().call_on_close(engine.dispose)
    return create_session_factory(engine)


@contextmanager
def _transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises; a refused
    change becomes its message and exit 1, never a traceback."""
    try:
        with sessions.begin() as session:
            yield session
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    except (OperationalError, ProgrammingError) as error:
        raise click.ClickException(
            f"the database refused: {error.orig} (is it migrated? `ugc db upgrade`)"
        ) from None


@click.command("request")
@click.argument("post_ids", nargs=-1, required=True, metavar="POST_ID...")
@click.option("--brand", metavar="SLUG", help="[default: the brand whose hashtag the post has]")
@click.option("--language", help="Language of the text  [default: the post's]")
@_scope_option("Channels asked for", "the brand's")
@_as_option
def request_command(
    post_ids: tuple[str, ...],
    brand: str | None,
    language: str | None,
    scope: tuple[str, ...],
    operator: str,
) -> None:
    """Ask for the rights to reuse posts.

    Queues a request for each post, in one transaction each, and prints one JSON line per post
    with its state and the text to send. A post that fails says why on stderr; the others go
    on, and the command exits 1 at the end."""
    body = _body(RightsRequestCreate, _given(brand=brand, language=language, scope=_split(scope)))
    actor = _actor(operator)
    settings = _settings()
    sessions = _sessions(settings)
    failed = 0
    for post_id in dict.fromkeys(post_ids):
        try:
            with _transaction(sessions) as session:
                queued = service.request_rights(
                    session,
                    post_id,
                    body,
                    actor,
                    now=utcnow(),
                    base_url=settings.rights_public_base_url,
                )
        except click.ClickException as error:
            failed += 1
            click.echo(f"{post_id}: {error.message}", err=True)
            continue
        click.echo(queued.model_dump_json())
    if failed:
        click.echo(f"{failed} of {len(set(post_ids))} post(s) failed", err=True)
        sys.exit(1)


@click.command("sent")
@click.argument("post_id")
@click.option("--note", help="Recorded with the transition.")
@click.option("--permalink", help="Link to the message sent by hand.")
@_as_option
def sent_command(post_id: str, note: str | None, permalink: str | None, operator: str) -> None:
    """Mark a request sent by hand: the reply is now awaited."""
    body = _body(SentCreate, _given(note=note, permalink=permalink))
    actor = _actor(operator)
    with _transaction(_sessions(_settings())) as session:
        rights = service.mark_sent(session, post_id, body, actor, now=utcnow())
    click.echo(rights.model_dump_json())


@click.command("decide")
@click.argument("post_id")
@click.option(
    "--decision", required=True, type=click.Choice([d.value for d in Decision]), help="The answer."
)
@click.option("--note", help="Recorded with the transition (and a grant's proof).")
@click.option("--attachment-ref", help="Where a screenshot or e-mail is kept.")
@click.option(
    "--attach",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A file the decision rests on (a screenshot): stored, and its SHA-256 in the proof; "
    "repeat for several.",
)
@click.option(
    "--attach-type",
    metavar="TYPE",
    help="Content type of every --attach file  [default: guessed from each file's name]",
)
@_scope_option("Channels granted", "the request's")
@click.option("--starts-at", metavar="ISO", help="Start of the grant  [default: now]")
@click.option(
    "--ends-at",
    metavar="ISO|none",
    help="End of the grant; none: open-ended  [default: the brand's window]",
)
@click.option("--terms-version", type=int, help="Terms granted  [default: the brand's latest]")
@click.option("--brand", metavar="SLUG", help="Only when the post has no request yet.")
@_as_option
def decide_command(
    post_id: str,
    decision: str,
    note: str | None,
    attachment_ref: str | None,
    files: tuple[Path, ...],
    attach_type: str | None,
    scope: tuple[str, ...],
    starts_at: str | None,
    ends_at: str | None,
    terms_version: int | None,
    brand: str | None,
    operator: str,
) -> None:
    """Record a creator's answer: granted, declined or revoked.

    A grant writes the proof. The --attach files are stored first, in the same transaction,
    and the decision cites them: the proof lists their SHA-256."""
    fields = _given(
        decision=decision,
        note=note,
        attachment_ref=attachment_ref,
        scope=_split(scope),
        starts_at=starts_at,
        ends_at=ends_at,
        terms_version=terms_version,
        brand=brand,
    )
    if ends_at is not None and ends_at.strip().lower() in ("none", "null"):
        fields["ends_at"] = None  # explicit null: open-ended, unlike absent
    body = _body(DecisionCreate, fields)
    if len(files) > attachments.MAX_PER_DECISION:
        raise click.BadParameter(
            f"at most {attachments.MAX_PER_DECISION} files per decision", param_hint="--attach"
        )
    types = {path: attach_type or mimetypes.guess_type(path.name)[0] for path in files}
    for path, kind in types.items():
        if kind is None:
            raise click.BadParameter(
                f"cannot tell the type of {path} from its name: give --attach-type",
                param_hint="--attach",
            )
    actor = _actor(operator)
    settings = _settings()
    with _transaction(_sessions(settings)) as session:
        now = utcnow()
        stored = [
            _attach(session, post_id, path, kind, actor, settings, now)
            for path, kind in types.items()
        ]
        rights = service.decide(
            session,
            post_id,
            body.model_copy(update={"attachment_ids": [row.id for row in stored]}),
            actor,
            now=now,
            base_url=settings.rights_public_base_url,
        )
    for path, row in zip(types, stored, strict=True):
        click.echo(f"{path}: attachment {row.id}, sha256 {row.sha256}", err=True)
    click.echo(rights.model_dump_json())


def _attach(
    session: Session,
    post_id: str,
    path: Path,
    content_type: str | None,
    actor: Actor,
    settings: RightsCommandSettings,
    now: datetime,
) -> attachments.AttachmentRead:
    limit = settings.rights_attachment_max_bytes
    size = path.stat().st_size
    if size > limit:
        raise click.ClickException(f"{path}: the file is {size} bytes; at most {limit} are taken")
    try:
        row = attachments.add(
            session,
            post_id,
            path.read_bytes(),
            content_type=content_type,
            filename=path.name,
            uploaded_by=actor.name,
            now=now,
        )
    except DomainError as error:
        raise click.ClickException(f"{path}: {error.detail}") from None
    return row


@click.command("revoke")
@click.argument("post_id")
@click.option("--note", help="Why, recorded with the transition.")
@_as_option
def revoke_command(post_id: str, note: str | None, operator: str) -> None:
    """Revoke granted rights: the post leaves every feed.

    Short for `decide --decision revoked`."""
    body = _body(DecisionCreate, _given(decision=Decision.REVOKED.value, note=note))
    actor = _actor(operator)
    settings = _settings()
    with _transaction(_sessions(settings)) as session:
        rights = service.decide(
            session, post_id, body, actor, now=utcnow(), base_url=settings.rights_public_base_url
        )
    click.echo(rights.model_dump_json())


@click.command("show")
@click.argument("post_id")
def show_command(post_id: str) -> None:
    """A post's rights and their history, as JSON.

    Every transition with who or what made it, and the files attached."""
    with _transaction(_sessions(_settings())) as session:
        history = records.rights_of(session, post_id)
    click.echo(history.model_dump_json(indent=2))


@click.command("inbox")
@click.option("--state", "states", multiple=True, metavar="STATES", help="(comma-separated)")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--cursor", help="The next cursor a previous page printed.")
def inbox_command(states: tuple[str, ...], limit: int, cursor: str | None) -> None:
    """The rights inbox, most recently changed first.

    One JSON line per request; the cursor of the next page, if any, on stderr."""
    given = _split(states)
    known = {state.value: state for state in RightsState}
    unknown = [repr(state) for state in given if state not in known]
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)}: not a state; one of {', '.join(known)}", param_hint="--state"
        )
    wanted = [known[state] for state in given]
    with _transaction(_sessions(_settings())) as session:
        page = records.inbox(session, wanted, cursor=cursor, limit=limit)
    for item in page.items:
        click.echo(item.model_dump_json())
    if page.next_cursor is not None:
        click.echo(f"next cursor: {page.next_cursor}", err=True)


@click.command("proof")
@click.argument("post_id")
@click.option("--html", is_flag=True, help="The printable page instead of JSON.")
def proof_command(post_id: str, html: bool) -> None:
    """The proof of a grant, as JSON or a page.

    The record with its SHA-256; it stays after a revocation (its state tells)."""
    with _transaction(_sessions(_settings())) as session:
        shown = (
            records.proof_page(session, post_id)
            if html
            else records.proof(session, post_id).model_dump_json(indent=2)
        )
    click.echo(shown)


COMMANDS = (
    request_command,
    sent_command,
    decide_command,
    revoke_command,
    show_command,
    inbox_command,
    proof_command,
)
