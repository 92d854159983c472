"""The Mastodon REST API as the hashtag source needs it: one timeline page per call.

This module owns the HTTP manners: the instance's rate limit (``X-RateLimit-*``), retries with
capped exponential backoff for 429, 5xx and network errors, and errors that say what to fix when
retrying cannot help (401, 404, 422). It knows nothing of checkpoints or Kafka.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from ingest.link_header import parse_link_header
from ingest.settings import IngestSettings
from ugc.contract import utcnow

log = logging.getLogger(__name__)

USER_AGENT = "ugc-pipeline/0.1 (hashtag listening)"

_HINTS = {
    401: "this instance requires an access token (UGC_MASTODON_ACCESS_TOKEN), or it is invalid",
    403: "the access token is not allowed to read this timeline",
    404: "check UGC_MASTODON_BASE_URL: is it a Mastodon instance, and the hashtag valid?",
    422: "the instance rejected the request: check the hashtag",
}


class MastodonError(RuntimeError):
    """Something went wrong talking to a Mastodon instance."""


class MastodonConfigError(MastodonError):
    """Retrying cannot help: wrong instance, wrong hashtag, or a token is needed."""


class MastodonUnavailable(MastodonError):
    """The instance did not answer usefully for now (5xx, network, rate limit): try later."""


class MalformedResponse(MastodonUnavailable):
    """A 2xx answer whose body is not what the API documents (not JSON, not a list)."""


@dataclass(frozen=True)
class TimelinePage:
    """One page of a timeline, newest first, and the cursors its ``Link`` header gave."""

    statuses: list[Any]  # raw JSON values: each is validated on its own, so one bad one is alone
    older_max_id: str | None  # from rel="next": the page before this one in time
    newer_min_id: str | None  # from rel="prev": the page after this one in time


def make_client(settings: IngestSettings) -> httpx.Client:
    """An HTTP client for the configured instance (base URL, timeout, identification)."""
    return httpx.Client(
        base_url=settings.mastodon_base_url,
        timeout=settings.http_timeout_s,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        # httpx drops the Authorization header if a redirect leaves the instance's origin.
        follow_redirects=True,
    )


class MastodonApi:
    """Calls to one instance through ``client``; ``now``, ``sleep`` and ``jitter`` are injectable
    so that tests exercise rate limits and backoff without waiting."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        access_token: str | None = None,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] = time.sleep,
        jitter: Callable[[], float] = random.random,
        max_attempts: int = 5,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        max_rate_limit_wait_s: float = 900.0,
    ) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        self._now = now
        self._sleep = sleep
        self._jitter = jitter
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._max_rate_limit_wait_s = max_rate_limit_wait_s
        self._not_before: datetime | None = None

    def tag_timeline(
        self, tag: str, *, limit: int, max_id: str | None = None, min_id: str | None = None
    ) -> TimelinePage:
        """``GET /api/v1/timelines/tag/{tag}``: the newest ``limit`` statuses, or those just
        older than ``max_id``, or those just newer than ``min_id`` (paging forward)."""
        params: dict[str, str | int] = {"limit": limit}
        if max_id is not None:
            params["max_id"] = max_id
        if min_id is not None:
            params["min_id"] = min_id
        path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
        response = self._get(path, params)
        try:
            statuses = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise MalformedResponse(f"GET {path}: the body is not JSON ({exc})") from None
        if not isinstance(statuses, list):
            raise MalformedResponse(
                f"GET {path}: expected a JSON array of statuses, got {type(statuses).__name__}"
            )
        links = parse_link_header(response.headers.get("Link", ""))
        return TimelinePage(
            statuses=statuses,
            older_max_id=_query_param(links.get("next"), "max_id"),
            newer_min_id=_query_param(links.get("prev"), "min_id"),
        )

    def _get(self, path: str, params: dict[str, str | int]) -> httpx.Response:
        problem = ""
        for attempt in range(1, self._max_attempts + 1):
            self._respect_rate_limit()
            delay = self._backoff(attempt)
            try:
                response = self._client.get(path, params=params, headers=self._headers)
            except httpx.TransportError as exc:
                problem = f"network error: {exc!r}"
            else:
                self._note_rate_limit(response)
                status = response.status_code
                if response.is_success:
                    return response
                if status == 429:
                    problem = "rate limited (429)"
                    if self._not_before is not None:
                        delay = 0.0  # _respect_rate_limit waits until the reset instead
                elif status >= 500 or status == 408:
                    problem = f"HTTP {status}"
                else:
                    raise MastodonConfigError(self._explain(path, response))
            if attempt < self._max_attempts:
                log.warning(
                    "GET %s: %s; retry %d of %d", path, problem, attempt, self._max_attempts - 1
                )
                if delay > 0:
                    self._sleep(delay)
        raise MastodonUnavailable(f"GET {path}: {problem} ({self._max_attempts} attempts)")

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that many clients do not retry in lockstep."""
        delay = min(self._backoff_cap_s, self._backoff_base_s * 2.0 ** (attempt - 1))
        return delay * (0.5 + 0.5 * self._jitter())

    def _note_rate_limit(self, response: httpx.Response) -> None:
        reset = _parse_reset(response.headers.get("X-RateLimit-Reset"))
        remaining = response.headers.get("X-RateLimit-Remaining", "").strip()
        if reset is not None and (response.status_code == 429 or remaining == "0"):
            self._not_before = reset

    def _respect_rate_limit(self) -> None:
        """Before a request: if the last answer spent the budget, wait for the window's reset."""
        if self._not_before is None:
            return
        wait = (self._not_before - self._now()).total_seconds()
        self._not_before = None
        if wait > 0:
            # A reset far away is a clock problem, not a reason to sleep for hours.
            wait = min(wait, self._max_rate_limit_wait_s)
            log.info("Mastodon rate limit spent; waiting %.0fs for its reset", wait)
            self._sleep(wait)

    def _explain(self, path: str, response: httpx.Response) -> str:
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else None
        except ValueError:
            error = None
        hint = _HINTS.get(response.status_code, "retrying will not help")
        return (
            f"Mastodon at {response.request.url.host} answered {response.status_code} to GET "
            f"{path}: {error or response.reason_phrase}; {hint}"
        )


def _parse_reset(value: str | None) -> datetime | None:
    """``X-RateLimit-Reset`` is an ISO 8601 timestamp; a naive one is taken as UTC."""
    if not value:
        return None
    try:
        reset = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return reset if reset.tzinfo is not None else reset.replace(tzinfo=UTC)


def _query_param(url: str | None, name: str) -> str | None:
    if url is None:
        return None
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None
