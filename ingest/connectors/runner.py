"""Run one polling listening job: fetch, normalize, produce, flush, then checkpoint.

The order is what makes a crash at any point lose nothing: a position is saved only after
:meth:`~ingest.producer.PostSink.flush` confirmed that the broker acknowledged every post it
covers. A crash before the save means the next run fetches the same items again; duplicates are
harmless (keyed by ``post_id``, upserted by the sink) and dropped within one poll here.

What a job does on trouble:

- a malformed item goes to the dead-letter topic with the reason and the job goes on;
- :class:`~ingest.connectors.base.Unavailable`: the error is recorded, the job backs off
  (doubling, capped, with jitter) and tries again;
- :class:`~ingest.connectors.base.AuthFailed` / :class:`~ingest.connectors.base.ConfigError`:
  the job is marked failing with the network's message and :meth:`PollingRunner.run` returns;
  it is not polled again until somebody changes it;
- :class:`~ingest.connectors.base.BudgetExhausted`: the job sleeps until the quota resets.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from contract import PoisonMessage, utcnow
from contract.dead_letters import dead_letter_for
from ingest.connectors.base import (
    Budget,
    BudgetExhausted,
    ConfigError,
    JobSpec,
    JobStopped,
    PollingConnector,
    Unavailable,
)
from ingest.producer import PostSink

log = logging.getLogger(__name__)

#: Fetches in a row without waiting when a connector says more is waiting (a backlog).
MAX_CATCH_UP_FETCHES = 20


class PositionStore(Protocol):
    """Where positions are kept (:class:`ingest.checkpoint.CheckpointStore` is one)."""

    def load(self, key: Sequence[str]) -> str | None: ...

    def save(self, key: Sequence[str], position: str) -> None: ...


class HealthReporter(Protocol):
    """Where a job's health goes (the jobs table, or memory in tests)."""

    def poll_succeeded(self, *, collected: int, budget: Budget | None) -> None: ...

    def poll_failed(self, *, error: str, backoff_s: float) -> None: ...

    def job_failing(self, *, error: str) -> None: ...


@dataclass
class MemoryHealth:
    """A :class:`HealthReporter` that keeps the latest state in memory (CLI runs, tests)."""

    collected: int = 0
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    backoff_s: float = 0.0
    failing: bool = False
    budget: Budget | None = None
    errors: list[str] = field(default_factory=list)

    def poll_succeeded(self, *, collected: int, budget: Budget | None) -> None:
        self.collected += collected
        self.last_success_at = utcnow()
        self.backoff_s = 0.0
        self.budget = budget

    def poll_failed(self, *, error: str, backoff_s: float) -> None:
        self.last_error, self.last_error_at, self.backoff_s = error, utcnow(), backoff_s
        self.errors.append(error)

    def job_failing(self, *, error: str) -> None:
        self.poll_failed(error=error, backoff_s=0.0)
        self.failing = True


def backoff_delay(
    failures: int, *, base_s: float, cap_s: float, jitter: Callable[[], float]
) -> float:
    """The wait after ``failures`` failures in a row: doubling from ``base_s``, capped at
    ``cap_s``, then scaled by 50-100 % at random so that many jobs do not retry in lockstep."""
    delay = min(cap_s, base_s * 2.0 ** (failures - 1))
    return delay * (0.5 + 0.5 * jitter())


def send_dead_letter(
    sink: PostSink,
    *,
    job_id: str,
    network: str,
    native_id: str | None,
    item: Any,
    reason: str,
) -> None:
    """Log and dead-letter one item that could not be normalized, so that the job goes on.

    ``bytes`` (a frame that is not even JSON) are kept exactly as received; anything else is the
    JSON value the network sent, re-encoded compactly.
    """
    log.warning("job %s: %s item %s skipped: %s", job_id, network, native_id, reason)
    if isinstance(item, bytes):
        original = item
    else:
        encoded = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)
        original = encoded.encode()
    key = f"{network}:{native_id}".encode() if native_id is not None else None
    dead = dead_letter_for(original, key, reason=reason, stage=f"ingest.{network}")
    sink.send_dead_letter(dead.letter)


def stoppable_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A ``sleep`` for :class:`~ingest.connectors.http.ApiClient` that ends early, raising
    :class:`~ingest.connectors.base.JobStopped`, when ``stop`` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise JobStopped

    return sleep


ConnectorT = TypeVar("ConnectorT")


class JobRunner(Generic[ConnectorT]):
    """What every runner of one job holds: the job, its connector, where posts, positions and
    health go, and the clock and jitter that tests replace."""

    def __init__(
        self,
        job: JobSpec,
        connector: ConnectorT,
        sink: PostSink,
        positions: PositionStore,
        health: HealthReporter | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        backoff_cap_s: float = 900.0,
    ) -> None:
        self.job = job
        self.connector = connector
        self._sink = sink
        self._positions = positions
        self.health: HealthReporter = health if health is not None else MemoryHealth()
        self._now = now
        self._jitter = jitter
        self._backoff_cap_s = backoff_cap_s
        self._failures = 0
        self.produced_total = 0


class PollingRunner(JobRunner[PollingConnector]):
    """Polls every hashtag of one job with one connector until stopped or failing."""

    def position_key(self, tag: str) -> tuple[str, str, str]:
        """Where the position of one hashtag of this job is saved."""
        return (self.job.network, self.job.job_id, tag)

    def poll_once(self) -> int:
        """Poll every hashtag of the job once (catching up on a backlog); return posts produced.

        A hashtag the network cannot serve right now (:class:`Unavailable`) keeps its position
        and does not stop the others; the first such error is raised once every hashtag had
        its turn. Anything else is raised at once. The health is not touched here: :meth:`run`
        reports it.
        """
        produced = 0
        seen: set[str] = set()  # a post carrying two followed tags is produced once per poll
        unavailable: Unavailable | None = None
        try:
            for tag in self.job.hashtags:
                try:
                    for _ in range(MAX_CATCH_UP_FETCHES):
                        count, more = self._poll_tag(tag, seen)
                        produced += count
                        if not more:
                            break
                except Unavailable as exc:
                    log.warning("job %s: #%s: %s", self.job.job_id, tag, exc)
                    unavailable = unavailable or exc
        finally:
            self.produced_total += produced
        if unavailable is not None:
            raise unavailable
        return produced

    def run(self, stop: threading.Event) -> None:
        """Poll every ``poll_interval_s`` until ``stop`` is set or the job is failing."""
        job = self.job
        log.info(
            "job %s: listening on %s for %s every %.0fs",
            job.job_id,
            job.network,
            ", ".join(f"#{t}" for t in job.hashtags),
            job.poll_interval_s,
        )
        while not stop.is_set():
            wait = job.poll_interval_s
            try:
                produced = self.poll_once()
            except JobStopped:
                return
            except ConfigError as exc:  # AuthFailed included
                log.error("job %s failing: %s", job.job_id, exc)
                self.health.job_failing(error=str(exc))
                return
            except BudgetExhausted as exc:
                wait = self._until(exc.resets_at, default=job.poll_interval_s)
                log.warning("job %s: %s; waiting %.0fs", job.job_id, exc, wait)
                self.health.poll_failed(error=str(exc), backoff_s=wait)
            except Unavailable as exc:
                wait = self._backoff()
                log.warning("job %s: %s; retrying in %.0fs", job.job_id, exc, wait)
                self.health.poll_failed(error=str(exc), backoff_s=wait)
            except Exception as exc:  # the broker, a bug: never kills the worker's other jobs
                wait = self._backoff()
                log.exception("job %s: poll failed; retrying in %.0fs", job.job_id, wait)
                self.health.poll_failed(error=repr(exc), backoff_s=wait)
            else:
                self._failures = 0
                if produced:
                    log.info("job %s: %d new posts", job.job_id, produced)
                self.health.poll_succeeded(collected=produced, budget=self.connector.budget())
            stop.wait(wait)

    def _poll_tag(self, tag: str, seen: set[str]) -> tuple[int, bool]:
        key = self.position_key(tag)
        result = self.connector.fetch(tag, self._positions.load(key))
        produced = self._produce(tag, result.items, seen)
        self._sink.flush()  # raises unless the broker acknowledged everything above
        if result.position is not None:
            self._positions.save(key, result.position)
        return produced, result.more

    def _produce(self, tag: str, items: Sequence[Any], seen: set[str]) -> int:
        collected_at = self._now()
        produced = 0
        for item in items:
            try:
                post = self.connector.normalize(item, tag, collected_at)
            except PoisonMessage as exc:
                self._dead_letter(item, exc.reason)
                continue
            if post is None or post.post_id in seen:
                continue
            seen.add(post.post_id)
            self._sink.send(post)
            produced += 1
        return produced

    def _dead_letter(self, item: Any, reason: str) -> None:
        send_dead_letter(
            self._sink,
            job_id=self.job.job_id,
            network=self.connector.network,
            native_id=self.connector.item_key(item),
            item=item,
            reason=reason,
        )

    def _backoff(self) -> float:
        self._failures += 1
        return backoff_delay(
            self._failures,
            base_s=self.job.poll_interval_s,
            cap_s=self._backoff_cap_s,
            jitter=self._jitter,
        )

    def _until(self, when: datetime | None, *, default: float) -> float:
        if when is None:
            return default
        return max(default, (when - self._now()).total_seconds())
