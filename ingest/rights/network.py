"""What every network's rights module offers the worker and the watcher.

A :class:`RightsNetwork` is the brand's account on one network: it sends a rights request (or
a reminder, or a thank-you) as a reply to the creator's post, at most once per command however
often the command is delivered, and reads the direct replies to the message it sent. The
modules beside this one implement it per network (``mastodon``, ``bluesky``, ``reddit``,
``youtube``, ``x``, ``instagram``); each has a ``from_settings`` that builds it from
``UGC_RIGHTS_<NETWORK>_*`` settings, or returns ``None`` when the brand has no account there
(then the network's requests are manual sends, :mod:`~ingest.rights.manual`).

Errors a module raises: :class:`PostGone` when the post or our message was deleted (404/410,
or the network's own "not found"); ``Unavailable`` for 429/5xx after the client's own retries
(the worker retries the command); any other ``ConfigError`` is the network's refusal and
becomes a ``failed`` event with its message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from contract import RightsCommand, RightsEvent, RightsEventKind, utcnow
from ingest.connectors.base import ConfigError
from ingest.rights.watches import Watch
from listening.credentials import CredentialResolver, missing_credentials_message


class RightsConfigError(RuntimeError):
    """A setting the rights worker needs is missing (the message says which)."""


class PostGone(ConfigError):
    """The post (the creator's, or our reply) was deleted: 404 or 410."""


class NotAllowed(ConfigError):
    """The network's rules forbid this account to reply here (X without a mention, Instagram
    without an @mention in the caption): a person must send it by hand."""


@dataclass(frozen=True)
class Reply:
    """A direct reply to the message we sent, as the network gave it."""

    id: str
    author_id: str
    text: str
    created_at: datetime | None
    url: str | None


class RightsNetwork(Protocol):
    #: The network's name, as in ``RightsCommand.network`` (``mastodon``, ``bluesky``...).
    network: str
    #: What pacing counts sends against: the network account (host and credentials reference).
    account: str

    def send(self, command: RightsCommand) -> RightsEvent:
        """Reply to the creator's post with ``command.text``, at most once per command.

        Returns ``sent`` (with our message's id and permalink), ``post_deleted``,
        ``manual_send_needed`` (the network forbids it) or ``failed`` (its reason); raises
        ``Unavailable`` when worth retrying."""
        ...

    def replies(self, watch: Watch) -> list[Reply]:
        """The direct replies to our message ``watch.sent_id`` that are not the brand's own,
        oldest first; raises :class:`PostGone` when our message or the post is gone."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Sent:
    """Our message on the network, found or just posted: what the ``sent`` event reports."""

    id: str
    permalink: str | None
    #: The post's author, where the network names it only now (Instagram).
    author_id: str | None = None


def required_credentials(
    network: str, ref: str | None, names: Sequence[str], resolver: CredentialResolver
) -> dict[str, str]:
    """The credentials ``names`` of the brand's account under ``ref``; :class:`RightsConfigError`
    names those missing and where to set them (the reference is the setting
    ``UGC_RIGHTS_<NETWORK>_CREDENTIALS``)."""
    found = resolver.resolve(ref, names)
    missing = [name for name in names if name not in found]
    if missing:
        hint = f"UGC_RIGHTS_{network.upper()}_CREDENTIALS"
        raise RightsConfigError(missing_credentials_message(network, ref, missing, ref_hint=hint))
    return found


def native_id_of(post_id: str) -> str:
    """``"reddit:abc"`` → ``"abc"``: the post's id on its network."""
    return post_id.split(":", 1)[1] if ":" in post_id else post_id


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with its offset (``Z`` allowed), or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def event_for(command: RightsCommand, kind: RightsEventKind, **fields: Any) -> RightsEvent:
    """The event reporting what became of ``command``."""
    return RightsEvent(
        kind=kind, post_id=command.post_id, request_id=command.request_id, at=utcnow(), **fields
    )


def outcome(command: RightsCommand, error: ConfigError) -> RightsEvent:
    """The event of a send the network refused (not worth retrying)."""
    if isinstance(error, PostGone):
        return event_for(command, RightsEventKind.POST_DELETED, reason=str(error))
    if isinstance(error, NotAllowed):
        return event_for(command, RightsEventKind.MANUAL_SEND_NEEDED, reason=str(error))
    return event_for(command, RightsEventKind.FAILED, reason=str(error))


def send_event(command: RightsCommand, send: Callable[[RightsCommand], Sent]) -> RightsEvent:
    """What became of one send of ``command``: ``sent`` with the message ``send`` found or
    posted, or the network's refusal it raised (a ``ConfigError``) as :func:`outcome` reports
    it. ``Unavailable`` goes through: the worker retries the command."""
    try:
        sent = send(command)
    except ConfigError as exc:
        return outcome(command, exc)
    return event_for(
        command,
        RightsEventKind.SENT,
        reply_id=sent.id,
        permalink=sent.permalink,
        author_id=sent.author_id,
    )


def comparable(text: str) -> str:
    """A text as a reader sees it, spacing and case aside: how a module finds the message it
    already sent for a command (a worker that died before reporting it)."""
    return " ".join(text.split()).casefold()
