"""The Graph API's manners: error bodies, throttling codes, ``X-App-Usage`` and paging URLs.

Meta answers throttling with a 400 or 403 whose body says which limit was hit, so the status
alone would take it for bad credentials: :func:`classify` reads the code first (throttling:
retry after a wait; 190, an expired or revoked token: :class:`AuthFailed`), and
:func:`app_usage` turns ``X-App-Usage`` (percentages of the app's hourly quota) into the
:class:`~ingest.connectors.http.RateLimit` the client waits on.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx

from ingest.connectors.base import AuthFailed, MalformedResponse
from ingest.connectors.http import RETRY, Verdict, json_object
from ingest.connectors.rate_limit import RateLimit, RateLimitReader

THROTTLING_CODES = frozenset({4, 17, 32, 613})
RETRYABLE_CODES = frozenset({1, 2})  # "unknown error" / "service temporarily unavailable"
EXPIRED_TOKEN_CODES = frozenset({102, 190})
SLOWDOWN_FROM_PERCENT = 90.0
SLOWDOWN_MAX_S = 60.0


def app_usage(throttle_wait: timedelta) -> RateLimitReader:
    """A reader of ``X-App-Usage``; at 100 % (or on a throttling error, whatever the header
    says) the quota is spent and frees up ``throttle_wait`` later."""

    def read(response: httpx.Response, now: datetime) -> RateLimit:
        used = usage_percent(response.headers.get("X-App-Usage"))
        if response.status_code >= 400 and error_code(response) in THROTTLING_CODES:
            used = max(used or 0.0, 100.0)
        if used is None:
            return RateLimit()
        return RateLimit(
            remaining=max(0.0, 100.0 - used),
            limit=100.0,
            resets_at=now + throttle_wait if used >= 100 else None,
        )

    return read


def slowdown_s(limit: RateLimit) -> float:
    """A pause before the next call when close to the hourly quota: none below 90 %, growing to
    a minute near 100 % (at 100 % the client waits for the reset instead). Spreading the calls
    out beats hitting the wall, which Meta punishes with longer blocks."""
    if limit.remaining is None or not 0 < limit.remaining <= 100 - SLOWDOWN_FROM_PERCENT:
        return 0.0
    used = 100 - limit.remaining
    return SLOWDOWN_MAX_S * (used - SLOWDOWN_FROM_PERCENT) / (100 - SLOWDOWN_FROM_PERCENT)


def classify(response: httpx.Response) -> Verdict:
    """Throttling is retried, a dead token fails the job; the rest as any network."""
    if response.is_success:
        return None
    code = error_code(response)
    if code in THROTTLING_CODES or code in RETRYABLE_CODES:
        return RETRY
    if code in EXPIRED_TOKEN_CODES or response.status_code == 401:
        message = error_message(response) or response.reason_phrase
        return AuthFailed(
            f"instagram answered {response.status_code} to GET "
            f"{response.request.url.path}: {message}",
            status=response.status_code,
        )
    return None


def data(body: dict[str, Any], what: str) -> list[Any]:
    data = body.get("data")
    if not isinstance(data, list):
        raise MalformedResponse(f"instagram: {what}: the answer has no 'data' list")
    return data


def paging(page: dict[str, Any]) -> tuple[str | None, str | None]:
    """``paging.next`` and ``paging.cursors.after`` of a page (``None`` where absent)."""
    paging = page.get("paging")
    if not isinstance(paging, dict):
        return None, None
    next_url = paging.get("next")
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, dict) else None
    return (
        next_url if isinstance(next_url, str) and next_url else None,
        after if isinstance(after, str) else None,
    )


def split(url: str) -> tuple[str, dict[str, str]]:
    """A ``paging.next`` URL as path and parameters, without the token it carries.

    httpx replaces (does not merge) a URL's query when ``params`` are given, so the query is
    taken apart here and the token added back with the next request.
    """
    parsed = httpx.URL(url)
    params = {k: v for k, v in parsed.params.items() if k != "access_token"}
    return str(parsed.copy_with(query=None)), params


def comparable(url: str, params: dict[str, str]) -> str:
    """One string per distinct request, to tell whether it was already sent."""
    return url + "?" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))


def usage_percent(header: str | None) -> float | None:
    if not header:
        return None
    try:
        usage = json.loads(header)
        values = [float(v) for v in usage.values()] if isinstance(usage, dict) else []
    except (ValueError, TypeError):
        return None
    return max(values, default=None)


def _graph_error(response: httpx.Response) -> dict[str, Any]:
    error = (json_object(response) or {}).get("error")
    return error if isinstance(error, dict) else {}


def error_code(response: httpx.Response) -> int | None:
    code = _graph_error(response).get("code")
    return code if isinstance(code, int) else None


def error_message(response: httpx.Response) -> str | None:
    message = _graph_error(response).get("message")
    return message if isinstance(message, str) else None
