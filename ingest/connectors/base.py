"""What every network connector is, and the errors that tell a listening job what to do next.

A *polling* connector knows one network's API and nothing of Kafka or checkpoints: given a
hashtag and the position saved after the last acknowledged poll, :meth:`PollingConnector.fetch`
returns the raw items that are new since then and the position to save once every one of them
is acknowledged. :class:`ingest.connectors.runner.PollingRunner` does the rest (normalize,
produce, flush, checkpoint, health), identically for every network.

Errors are classified by what the job should do, not by HTTP status:

- :class:`Unavailable`: try again later (5xx, network, rate limit after the retries);
- :class:`AuthFailed`: 401/403, the job is marked failing with the network's own message and
  is not polled again until its credentials or settings change;
- :class:`ConfigError`: retrying cannot help either (unknown hashtag, bad base URL, a 31st
  Instagram hashtag): treated like :class:`AuthFailed`;
- :class:`BudgetExhausted`: the network's quota is spent; the job waits until ``resets_at``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from contract import RawPost


class ConnectorError(RuntimeError):
    """Something went wrong talking to a network."""


class JobStopped(Exception):
    """The job was asked to stop while it waited (a backoff or a rate-limit reset)."""


class Unavailable(ConnectorError):
    """The network did not answer usefully for now (5xx, network error, rate limit): retry."""


class MalformedResponse(Unavailable):
    """A 2xx answer whose body is not what the API documents (not JSON, wrong envelope)."""


class ConfigError(ConnectorError):
    """Retrying cannot help until a person changes the job or its settings."""


class AuthFailed(ConfigError):
    """The network refused the credentials (401/403); the message is the network's own."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BudgetExhausted(ConnectorError):
    """The network's quota (YouTube's daily units, Instagram's hashtag budget) is spent."""

    def __init__(self, message: str, *, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


@dataclass(frozen=True)
class Budget:
    """What is left of a network's quota, for the job's health (``None`` where unknown)."""

    remaining: float | None
    limit: float | None = None
    unit: str = "requests"
    resets_at: datetime | None = None


@dataclass(frozen=True)
class FetchResult:
    """New raw items for one hashtag since a position, and the position that covers them.

    ``items`` are JSON values exactly as the network sent them (each one normalized on its own,
    so one malformed item is skipped alone). ``position`` is saved only after the broker
    acknowledged every item; ``None`` leaves the saved position unchanged. ``more`` says that
    the connector stopped early (page cap) and the runner should fetch again at once.
    """

    items: Sequence[Any]
    position: str | None
    more: bool = False


@dataclass(frozen=True)
class JobSpec:
    """One listening job as a connector sees it: what to listen to, where, with what secrets.

    ``credentials`` holds resolved secrets (never logged: ``repr=False``); ``options`` the
    network-specific settings (``base_url``, ``ig_user_id``, ``daily_quota`` ...).
    """

    job_id: str
    network: str
    hashtags: tuple[str, ...]
    poll_interval_s: float = 60.0
    options: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)


def position_object(position: str | None) -> dict[str, Any] | None:
    """The JSON object a saved position holds; ``None`` for no position, text that is not JSON,
    or another JSON value (the connector then starts over: duplicates are dropped downstream)."""
    if not position:
        return None
    try:
        payload = json.loads(position)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def position_text(payload: Mapping[str, Any]) -> str:
    """A position as JSON text, keys sorted, so that one state always saves as one text."""
    return json.dumps(payload, sort_keys=True)


class PollingConnector(Protocol):
    """One network's API, as polling needs it."""

    network: str

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Items about ``tag`` newer than ``position`` (``None``: first poll, take a backfill)."""
        ...

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        """The contract's post for one raw item; ``None`` to skip it (a repost, a deleted post).

        Raises :class:`contract.PoisonMessage` with a readable reason when the item does
        not fit the documented shape.
        """
        ...

    def item_key(self, item: Any) -> str | None:
        """The item's native id if it has one (for logs and dead letters)."""
        ...

    def budget(self) -> Budget | None:
        """What is left of the network's quota, if the network has one."""
        ...

    def close(self) -> None:
        """Release the HTTP client."""
        ...


@dataclass(frozen=True)
class StreamEvent:
    """One event of a stream: an item to normalize (``None`` for an event that only moves the
    cursor, such as a post without a followed hashtag) and the position just after it."""

    item: Any | None
    position: str | None


class StreamingConnector(Protocol):
    """One network's push API (Bluesky Jetstream, Mastodon's streaming API), for one job."""

    network: str

    def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
        """Connect (resuming just after ``position`` where the network allows) and yield events
        until ``stop`` is set; raise :class:`Unavailable` when the connection drops."""
        ...

    def normalize(self, item: Any, collected_at: datetime) -> RawPost | None:
        """The contract's post for one item, ``None`` when it carries no followed hashtag or is
        to be skipped; raises :class:`contract.PoisonMessage` for a malformed item."""
        ...

    def item_key(self, item: Any) -> str | None:
        """The item's native id if it has one (for logs and dead letters)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
