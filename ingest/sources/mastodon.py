"""``ugc ingest mastodon``: one listening job built from :class:`IngestSettings`.

The Mastodon API lives in :mod:`ingest.connectors.mastodon` and the poll loop (fetch →
normalize → produce → flush → checkpoint) in :class:`~ingest.connectors.runner.PollingRunner`;
this module only turns the ``UGC_MASTODON_*`` settings into a :class:`JobSpec` whose id is the
instance's host, so that checkpoints written before the connector framework,
``("mastodon", host, tag)``, are still found.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from contract import DeadLetter, RawPost, utcnow
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import ConfigError, JobSpec, JobStopped, Unavailable
from ingest.connectors.mastodon import NETWORK, MastodonConnector, make_http_client
from ingest.connectors.runner import MemoryHealth, PollingRunner
from ingest.producer import PostSink
from ingest.settings import IngestSettings

log = logging.getLogger(__name__)


def make_client(settings: IngestSettings) -> httpx.Client:
    """An HTTP client for the configured instance."""
    return make_http_client(settings.mastodon_base_url, timeout_s=settings.http_timeout_s)


def job_from_settings(settings: IngestSettings) -> JobSpec:
    """The listening job that ``UGC_MASTODON_*`` describe."""
    token = settings.mastodon_access_token
    return JobSpec(
        job_id=urlsplit(settings.mastodon_base_url).netloc.lower(),
        network=NETWORK,
        hashtags=tuple(settings.mastodon_hashtag_list),
        poll_interval_s=settings.mastodon_poll_interval_s,
        options={
            "base_url": settings.mastodon_base_url,
            "page_limit": settings.mastodon_page_limit,
            "backfill_pages": settings.mastodon_backfill_pages,
        },
        credentials={"access_token": token} if token else {},
    )


class MastodonSource:
    """Follows the configured hashtags on one instance.

    ``client`` defaults to one built from the settings (tests pass one over a fake transport);
    ``now``, ``sleep`` and ``jitter`` drive rate-limit waits and backoff. Without ``sleep``, waits
    end early when ``stop`` (or :meth:`run`'s event) is set, and the poll is abandoned.
    """

    def __init__(
        self,
        settings: IngestSettings,
        producer: PostSink,
        *,
        client: httpx.Client | None = None,
        checkpoints: CheckpointStore | None = None,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] | None = None,
        jitter: Callable[[], float] = random.random,
        stop: threading.Event | None = None,
    ) -> None:
        self.job = job_from_settings(settings)
        if not self.job.hashtags:
            raise ConfigError("no hashtags to follow: set UGC_MASTODON_HASHTAGS")
        self._owns_client = client is None
        self._client = client if client is not None else make_client(settings)
        self._sleep = sleep
        self._stop = stop if stop is not None else threading.Event()
        self._sink = _AcknowledgedCount(producer)
        self.health = MemoryHealth()
        connector = MastodonConnector.from_job(
            self.job, client=self._client, now=now, sleep=self._wait, jitter=jitter
        )
        self._runner = PollingRunner(
            self.job,
            connector,
            self._sink,
            checkpoints or CheckpointStore(settings.checkpoint_dir),
            self.health,
            now=now,
            jitter=jitter,
        )

    @property
    def tags(self) -> list[str]:
        """The followed hashtags, normalized."""
        return list(self.job.hashtags)

    @property
    def produced_total(self) -> int:
        """Posts the broker acknowledged since this source was made."""
        return self._sink.acknowledged

    def poll_once(self) -> int:
        """Poll every followed hashtag once; return how many posts the broker acknowledged.

        An instance that is unavailable or answers garbage is logged (the checkpoints stay, the
        next poll retries). Raises :class:`ConfigError` when retrying cannot help, and the
        producer's error when the broker did not acknowledge.
        """
        before = self._sink.acknowledged
        try:
            self._runner.poll_once()
        except Unavailable as exc:
            log.warning("poll of %s: %s; will retry next poll", self.job.job_id, exc)
        except JobStopped:
            pass
        return self._sink.acknowledged - before

    def run(self, stop_event: threading.Event) -> None:
        """Poll every ``mastodon_poll_interval_s`` (backing off while the instance is down)
        until ``stop_event`` is set; raise :class:`ConfigError` when retrying cannot help."""
        self._stop = stop_event
        self._runner.run(stop_event)
        if self.health.failing:
            raise ConfigError(self.health.last_error or "the Mastodon job is failing")

    def close(self) -> None:
        """Close the HTTP client if this source created it."""
        if self._owns_client:
            self._client.close()

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._stop.wait(seconds)
        if self._stop.is_set():
            raise JobStopped


class _AcknowledgedCount:
    """A :class:`PostSink` that counts the posts of every flush the broker acknowledged."""

    def __init__(self, inner: PostSink) -> None:
        self._inner = inner
        self._pending = 0
        self.acknowledged = 0

    def send(self, post: RawPost) -> None:
        self._inner.send(post)
        self._pending += 1

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        self._inner.send_dead_letter(dead_letter)

    def flush(self, timeout: float | None = None) -> None:
        pending, self._pending = self._pending, 0
        self._inner.flush(timeout)
        self.acknowledged += pending
