"""What every connector's ``from_job`` does the same way: wire the HTTP client and the clock.

``from_job(job, **hooks)`` takes the same keywords for every network (:class:`Hooks`): tests
pass a client over a fake server's ``httpx.MockTransport`` and a fake clock's ``now``/``sleep``;
the worker passes a ``sleep`` that a stop cuts short. :class:`Wiring` holds them with their
defaults, in one place, and makes the one rule for closing: a connector closes only a client it
made (:class:`ApiConnector`), never one passed in, which its caller may still be using.

The job's options and credentials are read with :mod:`ingest.connectors.options`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

import httpx

from contract import utcnow
from ingest.connectors.base import Budget
from ingest.connectors.http import ApiClient, Classifier, ErrorReader, json_error_message
from ingest.connectors.rate_limit import RateLimitReader, no_rate_limit


class Hooks(TypedDict, total=False):
    """The keywords of every connector's ``from_job``: what a caller may inject."""

    client: httpx.Client | None
    now: Callable[[], datetime]
    sleep: Callable[[float], object]
    jitter: Callable[[], float]


@dataclass(frozen=True)
class Wiring:
    """:class:`Hooks` with their defaults: ``client`` is the caller's to close when given; a
    connector makes its own otherwise, and closes only that one."""

    client: httpx.Client | None = None
    now: Callable[[], datetime] = utcnow
    sleep: Callable[[float], object] = time.sleep
    jitter: Callable[[], float] = random.random

    def api(
        self,
        network: str,
        make_client: Callable[[], httpx.Client],
        *,
        rate_limit: RateLimitReader = no_rate_limit,
        error_message: ErrorReader = json_error_message,
        classify: Classifier | None = None,
        max_rate_limit_wait_s: float = 900.0,
    ) -> ApiClient:
        """An :class:`ApiClient` on this clock, over the caller's client or, when none was
        given, a new one from ``make_client`` that :meth:`ApiClient.close` will close."""
        return ApiClient(
            make_client() if self.client is None else self.client,
            owns_client=self.client is None,
            network=network,
            rate_limit=rate_limit,
            error_message=error_message,
            classify=classify,
            now=self.now,
            sleep=self.sleep,
            jitter=self.jitter,
            max_rate_limit_wait_s=max_rate_limit_wait_s,
        )


class ApiConnector:
    """What a connector over one :class:`ApiClient` does the same way: it is named after the
    client's network, its budget is what the newest answer's rate-limit headers said, and it
    closes the HTTP client only if it made it."""

    network: str

    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self.network = api.network

    def budget(self) -> Budget | None:
        """What the newest answer's rate-limit headers said (``None`` until one said)."""
        return self._api.rate_limit_budget()

    def close(self) -> None:
        """Close the HTTP client if :meth:`Wiring.api` made it; a client passed in stays open."""
        self._api.close()
