"""HTTP manners shared by every connector: rate limits, retries with backoff, readable errors.

:class:`ApiClient` wraps one ``httpx.Client`` for one network. Each network supplies how to read
its rate-limit headers (:data:`~ingest.connectors.rate_limit.RateLimitReader`) and where its
error message lives (:data:`ErrorReader`); the client does the same thing for all of them:

- before a request, if the last answer said the budget is spent, wait for the reset
  (``Retry-After`` wins; a reset hours away is capped: a clock problem is not a reason to sleep);
- 429, 408, 5xx and network errors are retried with capped exponential backoff and jitter, then
  :class:`~ingest.connectors.base.Unavailable` is raised;
- 401 and 403 raise :class:`~ingest.connectors.base.AuthFailed` with the network's message;
- other 4xx raise :class:`~ingest.connectors.base.ConfigError`;
- a 2xx body that is not JSON raises :class:`~ingest.connectors.base.MalformedResponse`.

``classify`` lets a network override this for its quirks (YouTube's quota 403, Instagram's
throttling codes inside a 400/403) by returning the error to raise, or :data:`RETRY`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import httpx

from contract import utcnow
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    ConfigError,
    ConnectorError,
    MalformedResponse,
    Unavailable,
)
from ingest.connectors.rate_limit import RateLimit, RateLimitReader, no_rate_limit, retry_after

log = logging.getLogger(__name__)

USER_AGENT = "ugc-pipeline/0.1 (hashtag listening)"

RETRY: Final = "retry"
Verdict = ConnectorError | Literal["retry"] | None


def http_client(
    *, timeout_s: float = 10.0, base_url: str = "", follow_redirects: bool = False
) -> httpx.Client:
    """A client that says who is asking and that it wants JSON. httpx drops the
    ``Authorization`` header when ``follow_redirects`` leads away from the origin."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeout_s,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=follow_redirects,
    )


def bearer(token: str) -> dict[str, str]:
    """The ``Authorization`` header of a bearer token (OAuth 2, as every network here uses)."""
    return {"Authorization": f"Bearer {token}"}


ErrorReader = Callable[[httpx.Response], str | None]
Classifier = Callable[[httpx.Response], Verdict]


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` (not JSON, or another JSON value): error bodies
    are read for a message, never trusted to be JSON."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def json_error_message(response: httpx.Response) -> str | None:
    """The usual places networks put a message: ``error`` (a string or an object with
    ``message``), ``message``, ``detail``, ``title``, or ``errors[0].message``."""
    body = json_object(response)
    if body is None:
        return None
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    for key in ("message", "detail", "title"):
        if isinstance(body.get(key), str):
            return str(body[key])
    if isinstance(error, str):
        return error
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        if isinstance(message, str):
            return message
    return None


class ApiClient:
    """Requests to one network through ``client``, with its rate limit and error manners.

    ``now``, ``sleep`` and ``jitter`` are injectable so that tests exercise rate limits and
    backoff without waiting; ``sleep`` should return early (raising) when the job is stopped.
    ``last_rate_limit`` is what the newest answer said, for the job's health. ``owns_client``
    says whether :meth:`close` closes ``client``: only a client the connector made is closed,
    never one passed in (its caller may still use it).
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        network: str,
        rate_limit: RateLimitReader = no_rate_limit,
        error_message: ErrorReader = json_error_message,
        classify: Classifier | None = None,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] = time.sleep,
        jitter: Callable[[], float] = random.random,
        max_attempts: int = 5,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        max_rate_limit_wait_s: float = 900.0,
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self.owns_client = owns_client
        self.network = network
        self._rate_limit = rate_limit
        self._error_message = error_message
        self._classify = classify
        self._now = now
        self._sleep = sleep
        self._jitter = jitter
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._max_rate_limit_wait_s = max_rate_limit_wait_s
        self._not_before: datetime | None = None
        self.last_rate_limit = RateLimit()
        self.current_backoff_s = 0.0

    def close(self) -> None:
        """Close the HTTP client if it is the connector's own (see :attr:`owns_client`)."""
        if self.owns_client:
            self.client.close()

    def rate_limit_budget(self) -> Budget | None:
        """What the newest answer's rate-limit headers said, for the job's health (``None``
        until an answer carried them)."""
        limit = self.last_rate_limit
        if limit == RateLimit():
            return None
        return Budget(remaining=limit.remaining, limit=limit.limit, resets_at=limit.resets_at)

    def get_json(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET and decode the JSON body (any JSON value; the caller checks the envelope)."""
        response = self.request("GET", url, params=params, headers=headers)
        try:
            return response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise MalformedResponse(
                f"{self.network}: GET {_path(url)}: the body is not JSON ({exc})"
            ) from None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request, retried as the module docstring says; returns a 2xx response."""
        problem = ""
        for attempt in range(1, self._max_attempts + 1):
            self._respect_rate_limit()
            delay = self._backoff(attempt)
            try:
                response = self.client.request(
                    method, url, params=params, headers=headers, json=json, data=data
                )
            except httpx.TransportError as exc:
                problem = f"network error: {exc!r}"
            else:
                self._note_rate_limit(response)
                verdict = self._classify(response) if self._classify else None
                if isinstance(verdict, ConnectorError):
                    raise verdict
                if response.is_success and verdict is None:
                    self.current_backoff_s = 0.0
                    return response
                problem = self._retryable_problem(method, url, response, verdict)
                if response.status_code == 429 and self._not_before is not None:
                    delay = 0.0  # _respect_rate_limit waits until the reset instead
            if attempt < self._max_attempts:
                log.warning(
                    "%s: %s %s: %s; retry %d of %d",
                    self.network,
                    method,
                    _path(url),
                    problem,
                    attempt,
                    self._max_attempts - 1,
                )
                if delay > 0:
                    self.current_backoff_s = delay
                    self._sleep(delay)
        raise Unavailable(
            f"{self.network}: {method} {_path(url)}: {problem} ({self._max_attempts} attempts)"
        )

    def _retryable_problem(
        self, method: str, url: str, response: httpx.Response, verdict: object
    ) -> str:
        """What a failed answer says, when trying again may help (408, 429, 5xx, or the
        network's own verdict); :class:`AuthFailed` or :class:`ConfigError` when it cannot."""
        status = response.status_code
        message = self._error_message(response)
        if verdict == RETRY or status in (408, 429) or status >= 500:
            return f"HTTP {status}" + (f": {message}" if message else "")
        if status in (401, 403):
            raise AuthFailed(self._explain(method, url, response, message), status=status)
        raise ConfigError(self._explain(method, url, response, message))

    def _backoff(self, attempt: int) -> float:
        """Exponential, capped, with jitter so that many clients do not retry in lockstep."""
        delay = min(self._backoff_cap_s, self._backoff_base_s * 2.0 ** (attempt - 1))
        return delay * (0.5 + 0.5 * self._jitter())

    def _note_rate_limit(self, response: httpx.Response) -> None:
        now = self._now()
        limit = self._rate_limit(response, now)
        if limit != RateLimit():
            self.last_rate_limit = limit
        after = retry_after(response, now)
        spent = limit.remaining is not None and limit.remaining <= 0
        if after is not None and (response.status_code == 429 or response.status_code >= 500):
            self._not_before = after
        elif limit.resets_at is not None and (response.status_code == 429 or spent):
            self._not_before = limit.resets_at

    def _respect_rate_limit(self) -> None:
        """Before a request: if the last answer spent the budget, wait for the window's reset."""
        if self._not_before is None:
            return
        wait = (self._not_before - self._now()).total_seconds()
        self._not_before = None
        if wait > 0:
            wait = min(wait, self._max_rate_limit_wait_s)
            log.info("%s rate limit spent; waiting %.0fs for its reset", self.network, wait)
            self.current_backoff_s = wait
            self._sleep(wait)

    def _explain(self, method: str, url: str, response: httpx.Response, message: str | None) -> str:
        return (
            f"{self.network} answered {response.status_code} to {method} {_path(url)}: "
            f"{message or response.reason_phrase}"
        )


def _path(url: str) -> str:
    """The path of a URL for messages: never the query, where some networks put API keys."""
    return httpx.URL(url).path or url


#: Query parameters that carry credentials (YouTube's ``key``, the Graph API's ``access_token``).
SECRET_QUERY_PARAMS = frozenset({"key", "access_token", "api_key", "client_secret"})


class _RedactQuerySecrets(logging.Filter):
    """httpx logs every request URL at INFO, query included: mask the credentials in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _redacted(arg) if isinstance(arg, httpx.URL) else arg for arg in record.args
            )
        return True


def _redacted(url: httpx.URL) -> httpx.URL:
    if not any(name in SECRET_QUERY_PARAMS for name in url.params):
        return url
    return url.copy_with(
        params=[
            (name, "REDACTED" if name in SECRET_QUERY_PARAMS else value)
            for name, value in url.params.multi_items()
        ]
    )


logging.getLogger("httpx").addFilter(_RedactQuerySecrets())
