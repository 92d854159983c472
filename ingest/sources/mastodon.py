"""The Mastodon hashtag source: poll tag timelines, produce new statuses to the raw topic.

One poll of a hashtag is: fetch (the newest pages the first time; then every page newer than the
checkpoint, oldest first, by following ``Link: rel="prev"``) → map each status → produce →
flush → advance the checkpoint. The checkpoint moves only after the broker acknowledged the
posts, so a crash anywhere means at-least-once, never a gap; sinks are idempotent by
``post_id``. A failure to fetch leaves the checkpoint where it was and the next poll retries.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from ingest.checkpoint import CheckpointStore
from ingest.producer import PostSink
from ingest.settings import IngestSettings
from ingest.sources.mastodon_api import (
    MastodonApi,
    MastodonConfigError,
    MastodonUnavailable,
    make_client,
)
from ingest.sources.mastodon_status import is_boost, status_to_post
from ugc.contract import DeadLetter, PoisonMessage, utcnow

log = logging.getLogger(__name__)

STAGE = "ingest.mastodon"
#: Pages fetched per hashtag and poll when catching up; the rest waits for the next poll, so
#: that one busy hashtag cannot starve the others or hold a huge batch before its checkpoint.
MAX_PAGES_PER_POLL = 25


class _StopRequested(Exception):
    """A stop was requested during a wait; the poll is abandoned without a checkpoint."""


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
        self._tags = settings.mastodon_hashtag_list
        if not self._tags:
            raise MastodonConfigError("no hashtags to follow: set UGC_MASTODON_HASHTAGS")
        self._settings = settings
        self._producer = producer
        self._owns_client = client is None
        self._client = client if client is not None else make_client(settings)
        self._checkpoints = checkpoints or CheckpointStore(settings.checkpoint_dir)
        self._host = urlsplit(settings.mastodon_base_url).netloc.lower()
        self._now = now
        self._sleep = sleep
        self._stop = stop if stop is not None else threading.Event()
        self._api = MastodonApi(
            self._client,
            access_token=settings.mastodon_access_token,
            now=now,
            sleep=self._wait,
            jitter=jitter,
        )
        self.produced_total = 0

    @property
    def tags(self) -> list[str]:
        """The followed hashtags, normalized."""
        return list(self._tags)

    def poll_once(self) -> int:
        """Poll every followed hashtag once; return how many posts were produced.

        A hashtag whose instance is unavailable or answers garbage is logged and skipped (its
        checkpoint stays, the next poll retries it). Raises :class:`MastodonConfigError` when
        retrying cannot help, and the producer's error when the broker did not acknowledge.
        """
        produced = 0
        seen: set[str] = set()  # a status carrying two followed tags is produced once per poll
        for tag in self._tags:
            if self._stop.is_set():
                break
            try:
                produced += self._poll_tag(tag, seen)
            except MastodonUnavailable as exc:
                log.warning("#%s on %s: %s; will retry next poll", tag, self._host, exc)
            except _StopRequested:
                break
        self.produced_total += produced
        return produced

    def run(self, stop_event: threading.Event) -> None:
        """Poll every ``mastodon_poll_interval_s`` until ``stop_event`` is set.

        Transient trouble (instance down, broker down) is logged and retried at the next poll;
        only a :class:`MastodonConfigError` ends the loop early, by raising.
        """
        self._stop = stop_event
        interval = self._settings.mastodon_poll_interval_s
        log.info(
            "following %s on %s every %.0fs",
            ", ".join(f"#{t}" for t in self._tags),
            self._host,
            interval,
        )
        while not stop_event.is_set():
            try:
                produced = self.poll_once()
                if produced:
                    log.info("poll of %s: %d new posts", self._host, produced)
            except MastodonConfigError:
                raise
            except Exception:
                log.exception("poll of %s failed; retrying in %.0fs", self._host, interval)
            try:
                self._wait(interval)
            except _StopRequested:
                break

    def close(self) -> None:
        """Close the HTTP client if this source created it."""
        if self._owns_client:
            self._client.close()

    def _poll_tag(self, tag: str, seen: set[str]) -> int:
        key = ("mastodon", self._host, tag)
        since = self._checkpoints.load(key)
        statuses = self._fetch_latest(tag) if since is None else self._fetch_newer(tag, since)
        produced = self._produce(tag, statuses, seen)
        self._producer.flush()  # raises unless the broker acknowledged everything above
        newest = _newest_id(statuses, since)
        if newest is not None and newest != since:
            self._checkpoints.save(key, newest)
        return produced

    def _fetch_latest(self, tag: str) -> list[Any]:
        """First poll of a hashtag: the newest ``mastodon_backfill_pages`` pages."""
        statuses: list[Any] = []
        max_id: str | None = None
        for _ in range(self._settings.mastodon_backfill_pages):
            page = self._api.tag_timeline(
                tag, limit=self._settings.mastodon_page_limit, max_id=max_id
            )
            statuses.extend(page.statuses)
            if not page.statuses or page.older_max_id in (None, max_id):
                break
            max_id = page.older_max_id
        return statuses

    def _fetch_newer(self, tag: str, since: str) -> list[Any]:
        """Every status newer than ``since``, page by page forward in time, until a page is
        empty (a page shorter than ``limit`` does not prove the end: filters shorten pages)."""
        statuses: list[Any] = []
        min_id = since
        for _ in range(MAX_PAGES_PER_POLL):
            page = self._api.tag_timeline(
                tag, limit=self._settings.mastodon_page_limit, min_id=min_id
            )
            if not page.statuses:
                return statuses
            statuses.extend(page.statuses)
            cursor = page.newer_min_id
            # Without a cursor that moves forward, stop here: the checkpoint still advances to
            # the newest status seen, so the next poll resumes from there without a gap.
            if cursor is None or _id_order(cursor) <= _id_order(min_id):
                log.warning(
                    "#%s on %s: no forward cursor past %s; the next poll goes on from here",
                    tag,
                    self._host,
                    min_id,
                )
                return statuses
            min_id = cursor
        log.info(
            "#%s on %s: more than %d new pages; the rest comes next poll",
            tag,
            self._host,
            MAX_PAGES_PER_POLL,
        )
        return statuses

    def _produce(self, tag: str, statuses: list[Any], seen: set[str]) -> int:
        collected_at = self._now()
        produced = 0
        # Oldest first, so that the topic reads in the order the posts were written.
        for raw in sorted(statuses, key=lambda s: _id_order(_status_id(s) or "")):
            if is_boost(raw):
                continue
            native_id = _status_id(raw)
            if native_id is not None:
                if native_id in seen:
                    continue
                seen.add(native_id)
            try:
                post = status_to_post(raw, tag=tag, followed=self._tags, collected_at=collected_at)
            except PoisonMessage as exc:
                self._dead_letter(raw, native_id, exc.reason)
                continue
            self._producer.send(post)
            produced += 1
        return produced

    def _dead_letter(self, raw: Any, native_id: str | None, reason: str) -> None:
        log.warning("status %s on %s dead-lettered: %s", native_id, self._host, reason)
        original = json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode()
        key = f"mastodon:{native_id}".encode() if native_id is not None else None
        self._producer.send_dead_letter(
            DeadLetter.for_message(reason=reason, stage=STAGE, original=original, key=key)
        )

    def _wait(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._stop.wait(seconds)
        if self._stop.is_set():
            raise _StopRequested


def _status_id(raw: Any) -> str | None:
    native_id = raw.get("id") if isinstance(raw, dict) else None
    return native_id if isinstance(native_id, str) and native_id else None


def _id_order(native_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal strings of unequal length: order by length, then by text."""
    return len(native_id), native_id


def _newest_id(statuses: Iterable[Any], since: str | None) -> str | None:
    """The newest status id among ``statuses`` and ``since`` (boosts and bad statuses count:
    they were handled, so the checkpoint may pass them)."""
    ids = [i for i in map(_status_id, statuses) if i is not None]
    if since is not None:
        ids.append(since)
    return max(ids, key=_id_order, default=None)
