"""Run one streaming listening job: consume events, produce posts, flush, then checkpoint.

The ordering rule is :class:`~ingest.connectors.runner.PollingRunner`'s: the position of an event
is saved only after :meth:`~ingest.producer.PostSink.flush` confirmed that the broker
acknowledged every post sent up to and including that event. A stream never ends by itself, so
the runner checkpoints every ``flush_every`` posts, every ``flush_interval_s`` seconds (also when
the stream only moves the cursor), before reconnecting, and when asked to stop.

Connectors yield a :class:`~ingest.connectors.base.StreamEvent` per event; one with neither item
nor position is a *tick* (a heartbeat, a read timeout) that only lets the runner look at the
clock and the stop event, so an idle stream still checkpoints and stops promptly.

What a job does on trouble:

- a malformed item goes to the dead-letter topic with the reason and the stream goes on;
- :class:`~ingest.connectors.base.Unavailable` (a dropped connection): checkpoint what was
  consumed, record the error, wait (doubling, capped, with jitter) and reconnect from the saved
  position; after ``fallback_after`` drops in a row, hand over to ``fallback`` if there is one;
- :class:`~ingest.connectors.base.AuthFailed` / :class:`~ingest.connectors.base.ConfigError`:
  hand over to ``fallback`` (Mastodon streaming -> polling) or mark the job failing and return;
- anything else (the broker did not acknowledge, a bug): nothing more is saved, the job backs
  off and resumes from the last saved position; duplicates are dropped downstream by ``post_id``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

from contract import PoisonMessage, utcnow
from ingest.connectors.base import (
    ConfigError,
    JobSpec,
    JobStopped,
    StreamEvent,
    StreamingConnector,
    Unavailable,
)
from ingest.connectors.runner import (
    HealthReporter,
    JobRunner,
    PositionStore,
    backoff_delay,
    send_dead_letter,
)
from ingest.producer import PostSink

log = logging.getLogger(__name__)

#: The last part of a stream's position key. Hashtags are normalized without ``#``, so this can
#: never be the key of a hashtag's polling position (a fallback poller keeps its own).
STREAM_POSITION = "#stream"


@runtime_checkable
class Fallback(Protocol):
    """What takes over a job when streaming cannot work (a :class:`PollingRunner` is one)."""

    def run(self, stop: threading.Event) -> None: ...


class StreamRunner(JobRunner[StreamingConnector]):
    """Consumes one job's stream with one connector until stopped, failing or handed over.

    ``sleep`` waits between reconnections (default: ``stop.wait``, so a stop cuts it short);
    tests pass a fake clock's. ``fallback`` is a :class:`Fallback` or a ``run``-like callable.
    """

    def __init__(
        self,
        job: JobSpec,
        connector: StreamingConnector,
        sink: PostSink,
        positions: PositionStore,
        health: HealthReporter | None = None,
        *,
        now: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], object] | None = None,
        flush_every: int = 100,
        flush_interval_s: float = 5.0,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 300.0,
        fallback: Fallback | Callable[[threading.Event], None] | None = None,
        fallback_after: int = 5,
    ) -> None:
        super().__init__(
            job,
            connector,
            sink,
            positions,
            health,
            now=now,
            jitter=jitter,
            backoff_cap_s=backoff_cap_s,
        )
        self._sleep = sleep
        self._flush_every = max(1, flush_every)
        self._flush_interval_s = flush_interval_s
        self._backoff_base_s = backoff_base_s
        self._fallback = fallback
        self._fallback_after = fallback_after
        # The newest position consumed, the one last saved, and what the next flush covers.
        self._position: str | None = None
        self._saved: str | None = None
        self._unflushed = 0
        self._last_flush = now()
        self.handed_over = False

    @property
    def position_key(self) -> tuple[str, str, str]:
        """Where this job's stream position is saved."""
        return (self.job.network, self.job.job_id, STREAM_POSITION)

    def run(self, stop: threading.Event) -> None:
        """Stream until ``stop`` is set, the job is failing, or a fallback took over."""
        job = self.job
        tags = ", ".join(f"#{t}" for t in job.hashtags)
        log.info("job %s: streaming %s for %s", job.job_id, job.network, tags)
        self._saved = self._position = self._positions.load(self.position_key)
        while not stop.is_set():
            try:
                self._consume(stop)
            except JobStopped:
                break
            except ConfigError as exc:  # AuthFailed included
                self._checkpoint_quietly()
                self._give_up(stop, str(exc))
                return
            except Unavailable as exc:
                self._checkpoint_quietly()
                if self._fallback is not None and self._failures + 1 >= self._fallback_after:
                    self._give_up(stop, f"{exc} ({self._failures + 1} times in a row)")
                    return
                self._wait(stop, self._backoff(), str(exc))
            except Exception as exc:  # the broker, a bug: resume from the last saved position
                log.exception("job %s: stream failed", job.job_id)
                self._forget_unsaved()
                self._wait(stop, self._backoff(), repr(exc))
        self._checkpoint_quietly()

    def _consume(self, stop: threading.Event) -> None:
        """One connection: from the saved position until the stream ends or ``stop`` is set."""
        events: Iterator[StreamEvent] = self.connector.stream(self._saved, stop)
        try:
            for event in events:
                self._failures = 0
                self._handle(event)
                if stop.is_set():
                    break
                if self._due():
                    self._checkpoint()
        finally:
            close = getattr(events, "close", None)
            if close is not None:
                close()  # a generator's `finally` closes its connection now, not at GC
        if not stop.is_set():
            raise Unavailable(f"{self.connector.network}: the stream ended")
        self._checkpoint()

    def _handle(self, event: StreamEvent) -> None:
        if event.item is not None:
            try:
                post = self.connector.normalize(event.item, self._now())
            except PoisonMessage as exc:
                send_dead_letter(
                    self._sink,
                    job_id=self.job.job_id,
                    network=self.connector.network,
                    native_id=self.connector.item_key(event.item),
                    item=event.item,
                    reason=exc.reason,
                )
            else:
                if post is not None:
                    self._sink.send(post)
                    self._unflushed += 1
        if event.position is not None:
            self._position = event.position

    def _due(self) -> bool:
        if self._unflushed >= self._flush_every:
            return True
        return (self._now() - self._last_flush).total_seconds() >= self._flush_interval_s

    def _checkpoint(self) -> None:
        """Flush, then save the newest position consumed: everything before it is acknowledged."""
        self._sink.flush()  # raises unless the broker acknowledged everything sent so far
        if self._position is not None and self._position != self._saved:
            self._positions.save(self.position_key, self._position)
            self._saved = self._position
        produced, self._unflushed = self._unflushed, 0
        self.produced_total += produced
        self._last_flush = self._now()
        self.health.poll_succeeded(collected=produced, budget=None)

    def _checkpoint_quietly(self) -> None:
        try:
            self._checkpoint()
        except Exception:
            log.exception("job %s: could not checkpoint the stream", self.job.job_id)
            self._forget_unsaved()

    def _forget_unsaved(self) -> None:
        """What was not acknowledged comes again from the saved position."""
        self._position, self._unflushed = self._saved, 0

    def _give_up(self, stop: threading.Event, error: str) -> None:
        fallback = self._fallback
        if fallback is None:
            log.error("job %s failing: %s", self.job.job_id, error)
            self.health.job_failing(error=error)
            return
        log.warning("job %s: streaming stopped (%s); polling instead", self.job.job_id, error)
        self.health.poll_failed(error=f"streaming stopped, polling instead: {error}", backoff_s=0.0)
        self.handed_over = True
        if isinstance(fallback, Fallback):
            fallback.run(stop)
        else:
            fallback(stop)

    def _backoff(self) -> float:
        self._failures += 1
        return backoff_delay(
            self._failures,
            base_s=self._backoff_base_s,
            cap_s=self._backoff_cap_s,
            jitter=self._jitter,
        )

    def _wait(self, stop: threading.Event, seconds: float, error: str) -> None:
        log.warning("job %s: %s; reconnecting in %.1fs", self.job.job_id, error, seconds)
        self.health.poll_failed(error=error, backoff_s=seconds)
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            stop.wait(seconds)
