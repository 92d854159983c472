"""What every fake network's HTTP side does the same way, whatever the network.

A fake records each request and the status it answered, and plays scripted faults first, one
per request (an error page, a dropped connection, a body the API never sends); only then does
the network's own :meth:`FakeApi._respond` answer as the documented API would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ClassVar

import httpx

Fault = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Base of the fake networks: served through :meth:`transport` / :meth:`client`."""

    #: What :meth:`malform_next` serves when not told: a 200 the API never sends.
    malformed_body: ClassVar[bytes] = b"<html>Something went wrong</html>"

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.responses: list[int] = []
        self._faults: deque[Fault] = deque()

    # --- scripted faults, consumed one per request -----------------------------------------

    def fault_next(self, fault: Fault, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``fault`` instead of the API."""
        for _ in range(times):
            self._faults.append(fault)

    def drop_connection_next(self) -> None:
        def fault(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        self.fault_next(fault)

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        """The next ``times`` answers are ``status`` with the network's own error body."""
        raise NotImplementedError

    def unavailable_next(self, fault: str, *, times: int = 1) -> None:
        """The next ``times`` requests fail the way ``fault`` says: ``"network"`` (the
        connection drops) or an HTTP status such as ``"503"``."""
        for _ in range(times):
            if fault == "network":
                self.drop_connection_next()
            else:
                self.fail_next(int(fault))

    def malform_next(self, body: bytes | None = None) -> None:
        """The next answer is a 200 whose body is ``body`` (default :attr:`malformed_body`)."""
        content = self.malformed_body if body is None else body
        self.fault_next(lambda _: httpx.Response(200, content=content))

    # --- the HTTP side ---------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport())

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._faults.popleft()(request) if self._faults else self._respond(request)
        self.responses.append(response.status_code)
        return response

    def _respond(self, request: httpx.Request) -> httpx.Response:
        """The documented API's answer (each fake network its own)."""
        raise NotImplementedError


class RateWindow:
    """A network's fixed rate-limit window on the fake clock: ``limit`` requests, then 429s
    until ``reset_at``, when a new window starts."""

    def __init__(self, now: Callable[[], datetime], limit: int, window_s: float) -> None:
        self._now = now
        self.limit = limit
        self.window = timedelta(seconds=window_s)
        self.remaining = limit
        self.reset_at = now() + self.window

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def take(self) -> bool:
        """Count one request; ``False`` when the window is spent (the request gets a 429)."""
        if self._now() >= self.reset_at:
            self.remaining, self.reset_at = self.limit, self._now() + self.window
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def spend(self, *, reset_in_s: float) -> None:
        """Someone else spent the window, which resets in ``reset_in_s``."""
        self.remaining = 0
        self.reset_at = self._now() + timedelta(seconds=reset_in_s)
