"""``ugc media worker``: keeps copies of publishable posts' images in the store.

One round is three steps, each in short transactions of its own:

1. rows: a pending copy per image of every publishable post that has none (and the deleted
   copies of a post that is publishable again go back to pending);
2. fetches: a due pending copy is *claimed* (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; its
   ``next_attempt_at`` moves past the work's timeout, a lease), fetched, resized and stored
   with no transaction open, and the outcome recorded in a second transaction: stored, or
   retried after a backoff, or failed after ``media_max_attempts``;
3. removals: the stored variants of posts no longer publishable are deleted from the store,
   then their rows marked deleted (a crash in between deletes again: deletion is idempotent).

A worker that dies mid-fetch leaves the lease to expire and the copy is fetched again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from contract import utcnow
from curation_api.media import repository, service
from curation_api.media.fetch import FetchFailed, MediaFetcher
from curation_api.media.images import UnusableImage, resize
from curation_api.media.service import Draw, full_jitter
from curation_api.media.settings import MediaSettings
from curation_api.media.storage import MediaStore, store_from_settings
from curation_api.outbound import Resolver, resolve
from curation_api.polling import run_rounds
from database.media_models import MediaCopy, MediaCopyState

log = logging.getLogger(__name__)

# Resizing a large image takes a while after the download's timeout; the lease covers both.
LEASE_MARGIN_S = 60.0
WEBP = "image/webp"


@dataclass(frozen=True)
class Claim:
    copy_id: int
    source_url: str


@dataclass(frozen=True)
class Stored:
    content_type: str
    width: int
    height: int
    variants: list[dict[str, int | str]]


@dataclass(frozen=True)
class MediaRound:
    created: int = 0
    attempted: int = 0
    stored: int = 0
    failed: int = 0
    deleted: int = 0


class MediaWorker:
    """``run_round`` is one poll (tests drive it with their own clock), ``run`` loops until a
    stop is asked for."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: MediaSettings,
        store: MediaStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        draw: Draw = full_jitter,
        resolver: Resolver = resolve,
        fetcher: MediaFetcher | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.store = store
        self.clock = clock
        self.draw = draw
        self.fetcher = fetcher or MediaFetcher(settings, resolver=resolver)

    def close(self) -> None:
        self.fetcher.close()

    def run(self, stop_event: threading.Event) -> None:
        """Work until ``stop_event`` is set; the copy in hand is finished first."""
        run_rounds(
            "media worker",
            lambda stop: self.run_round(stop).attempted,
            batch_size=self.settings.media_batch_size,
            poll_s=self.settings.media_poll_interval_s,
            stop_event=stop_event,
            log=log,
        )

    def run_round(self, stop_event: threading.Event | None = None) -> MediaRound:
        """The three steps once, on at most a batch of each."""
        created = self._create_rows(self.clock())
        attempted = stored = failed = 0
        for _ in range(self.settings.media_batch_size):
            if stop_event is not None and stop_event.is_set():
                break
            claim = self._claim(self.clock())
            if claim is None:
                break
            state = self._record(claim, self._copy(claim), self.clock())
            attempted += 1
            stored += state is MediaCopyState.STORED
            failed += state is MediaCopyState.FAILED
        deleted = self._remove_unpublishable(self.clock())
        return MediaRound(created, attempted, stored, failed, deleted)

    # --- step 1: rows -------------------------------------------------------------------------

    def _create_rows(self, now: datetime) -> int:
        limit = self.settings.media_batch_size
        try:
            with self.sessions.begin() as session:
                created = 0
                for post_id, media in repository.posts_without_copies(session, now, limit=limit):
                    rows = service.new_copies(post_id, media, now=now)
                    session.add_all(rows)
                    created += len(rows)
                for copy in repository.deleted_copies_of_publishable_posts(
                    session, now, limit=limit
                ):
                    service.revive(copy, now=now)
                    created += 1
        except IntegrityError:
            # Another worker created the same post's rows first: they exist, which is the point.
            log.info("media rows created concurrently; the next round goes on")
            return 0
        return created

    # --- step 2: fetches ----------------------------------------------------------------------

    def _claim(self, now: datetime) -> Claim | None:
        with self.sessions.begin() as session:
            rows = repository.due_copies(session, now, limit=1)
            if not rows:
                return None
            copy = rows[0]
            lease = self.settings.media_timeout_s + LEASE_MARGIN_S
            copy.next_attempt_at = now + timedelta(seconds=lease)
            return Claim(copy.id, copy.source_url)

    def _copy(self, claim: Claim) -> Stored | str:
        """Fetch, resize and store one original: what was stored, or why it could not be."""
        try:
            original = self.fetcher.fetch(claim.source_url)
            resized = resize(original, self.settings.media_widths)
        except (FetchFailed, UnusableImage) as exc:
            return str(exc)
        variants: list[dict[str, int | str]] = []
        try:
            for variant in resized.variants:
                key = service.variant_key(claim.copy_id, variant.width)
                self.store.put(key, variant.data, WEBP)
                variants.append(
                    {
                        "width": variant.width,
                        "height": variant.height,
                        "key": key,
                        "bytes": len(variant.data),
                    }
                )
        except Exception as exc:  # the store's errors vary by backend; all are retried
            return f"storing failed: {type(exc).__name__}: {exc}"
        return Stored(resized.content_type, resized.width, resized.height, variants)

    def _record(self, claim: Claim, outcome: Stored | str, now: datetime) -> MediaCopyState | None:
        orphaned: list[str] = []
        with self.sessions.begin() as session:
            copy = session.get(MediaCopy, claim.copy_id, with_for_update=True)
            if copy is None or copy.state is not MediaCopyState.PENDING:
                # Removed or deleted while we fetched: what we stored belongs to nobody.
                if isinstance(outcome, Stored):
                    orphaned = [str(v["key"]) for v in outcome.variants]
                state = None
            elif isinstance(outcome, Stored):
                service.record_stored(
                    copy,
                    content_type=outcome.content_type,
                    width=outcome.width,
                    height=outcome.height,
                    variants=list(outcome.variants),
                    now=now,
                )
                state = copy.state
            else:
                service.record_failure(copy, outcome, self.settings, now=now, draw=self.draw)
                state = copy.state
        if orphaned:
            self.store.delete(orphaned)
        log.info(
            "media copy %d: %s%s",
            claim.copy_id,
            state.value if state else "dropped",
            f" ({outcome})" if isinstance(outcome, str) else "",
        )
        return state

    # --- step 3: removals ---------------------------------------------------------------------

    def _remove_unpublishable(self, now: datetime) -> int:
        with self.sessions.begin() as session:
            rows = repository.copies_of_unpublishable_posts(
                session, now, limit=self.settings.media_batch_size
            )
            doomed = {copy.id: [str(v["key"]) for v in copy.variants] for copy in rows}
        if not doomed:
            return 0
        self.store.delete([key for keys in doomed.values() for key in keys])
        with self.sessions.begin() as session:
            for copy_id in doomed:
                copy = session.get(MediaCopy, copy_id, with_for_update=True)
                if copy is not None and copy.state is not MediaCopyState.DELETED:
                    service.mark_deleted(copy, now=now)
        log.info("media copies of %d unpublishable items deleted", len(doomed))
        return len(doomed)


def run_media_worker(settings: MediaSettings, stop_event: threading.Event) -> None:
    """``ugc media worker``: the worker on ``settings.database_url`` until a stop."""
    from database.engine import create_db_engine, create_session_factory

    engine = create_db_engine(settings.database_url)
    worker = MediaWorker(create_session_factory(engine), settings, store_from_settings(settings))
    try:
        worker.run(stop_event)
    finally:
        worker.close()
        engine.dispose()
