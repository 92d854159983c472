"""What an answer's headers say about a network's rate limit, read the same way for every network.

Each network names its headers and writes its reset its own way (Unix seconds, seconds from
now, an ISO timestamp); a :data:`RateLimitReader` turns one answer into a :class:`RateLimit`,
which :class:`~ingest.connectors.http.ApiClient` waits on and a job's health reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class RateLimit:
    """What one answer's headers say about the rate limit (``None`` where it says nothing)."""

    remaining: float | None = None
    limit: float | None = None
    resets_at: datetime | None = None


RateLimitReader = Callable[[httpx.Response, datetime], RateLimit]


def no_rate_limit(_response: httpx.Response, _now: datetime) -> RateLimit:
    """For networks whose answers carry no rate-limit headers."""
    return RateLimit()


def header_number(response: httpx.Response, name: str) -> float | None:
    """A numeric header, or ``None`` when absent or not a number."""
    value = response.headers.get(name, "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        return None


def epoch_reset(value: float | None) -> datetime | None:
    """A reset given as Unix seconds (X)."""
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


def seconds_reset(value: float | None, now: datetime) -> datetime | None:
    """A reset given as seconds from now (Reddit, the IETF ``RateLimit-Reset`` draft)."""
    return now + timedelta(seconds=value) if value is not None else None


def iso_reset(value: str | None) -> datetime | None:
    """A reset given as an ISO 8601 timestamp (Mastodon); a naive one is taken as UTC."""
    if not value:
        return None
    try:
        reset = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return reset if reset.tzinfo is not None else reset.replace(tzinfo=UTC)


def retry_after(response: httpx.Response, now: datetime) -> datetime | None:
    """``Retry-After`` as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return now + timedelta(seconds=float(value))
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
