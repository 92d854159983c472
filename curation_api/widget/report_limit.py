"""How often one client address may report posts: a sliding window kept in this process.

In-process on purpose: reports are rare and a restart forgetting the counts is harmless. Behind
several API processes each keeps its own window, so the real limit is per process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from curation_api.kit import DomainError

REPORTS_PER_WINDOW = 10
WINDOW_S = 60.0
# Addresses remembered at most; beyond it, those whose window has passed are forgotten first.
MAX_CLIENTS = 10_000


class TooManyReports(DomainError):
    status_code = 429
    description = "Too many reports from this address; try again later"


class ReportLimit:
    """At most ``limit`` reports per ``window_s`` seconds per client address."""

    def __init__(
        self,
        *,
        limit: int = REPORTS_PER_WINDOW,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        # Sync routes run on a thread pool: two reports from one address may arrive together.
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Count one report from ``client``, or raise :class:`TooManyReports` (with
        ``Retry-After``) when it already sent ``limit`` in the window."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(client)
            if hits is None:
                self._forget_idle(now)
                hits = self._hits[client] = deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                retry_after = max(1, math.ceil(hits[0] + self.window_s - now))
                raise TooManyReports(
                    f"at most {self.limit} reports per {self.window_s:g} seconds from one "
                    f"address: try again in {retry_after} s",
                    headers={"Retry-After": str(retry_after)},
                )
            hits.append(now)

    def _forget_idle(self, now: float) -> None:
        if len(self._hits) < MAX_CLIENTS:
            return
        idle = [c for c, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_s]
        for client in idle:
            del self._hits[client]
        if len(self._hits) >= MAX_CLIENTS:  # all busy: drop the oldest rather than grow
            del self._hits[next(iter(self._hits))]
