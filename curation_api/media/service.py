"""The rules of media copies: which media items are copied, what a fetch outcome does to a
copy (stored, retried with backoff, failed), and what the feed and the route see.

The worker (:mod:`curation_api.media.worker`) calls the steps in their own short
transactions; nothing here talks to the network or the store.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from curation_api.media import repository
from curation_api.media.schemas import MediaVariantRead, StoredMediaRead
from curation_api.media.settings import MediaSettings
from database.media_models import MediaCopy, MediaCopyState

ERROR_MAX = 2000
COPIED_TYPES = frozenset({"image"})
NOT_COPIED = "media is not copied (yet)"
Draw = Callable[[float], float]


def full_jitter(ceiling: float) -> float:
    return random.uniform(0.0, ceiling)


def variant_key(copy_id: int, width: int) -> str:
    """Where a variant lives in the store (and, with ``/media/`` before it, its URL path)."""
    return f"{copy_id}/{width}.webp"


def variant_url(copy_id: int, width: int) -> str:
    return f"/media/{variant_key(copy_id, width)}"


def new_copies(post_id: str, media: Sequence[dict[str, Any]], *, now: datetime) -> list[MediaCopy]:
    """One row per item of a post's ``media``: pending and due now for an image; failed at
    once, with the reason, for what is not copied yet (video, audio)."""
    rows = []
    for position, item in enumerate(media):
        kind = str(item.get("type", ""))
        copied = kind in COPIED_TYPES and bool(item.get("url"))
        rows.append(
            MediaCopy(
                post_id=post_id,
                position=position,
                source_url=str(item.get("url") or ""),
                alt_text=item.get("alt_text"),
                state=MediaCopyState.PENDING if copied else MediaCopyState.FAILED,
                attempts=0,
                next_attempt_at=now if copied else None,
                last_error=None if copied else f"{kind or 'untyped'} {NOT_COPIED}",
                variants=[],
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def revive(copy: MediaCopy, *, now: datetime) -> None:
    """A deleted copy whose post is publishable again: fetched again from the start (an item
    that is not copied stays failed)."""
    copy.updated_at = now
    if copy.last_error is not None and copy.last_error.endswith(NOT_COPIED):
        copy.state = MediaCopyState.FAILED
        return
    copy.state = MediaCopyState.PENDING
    copy.attempts = 0
    copy.last_error = None
    copy.next_attempt_at = now


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: the wait after failed attempt ``n`` (1-based) is
    drawn from ``[0, min(cap, base * 2**(n-1))]``, at least a second (no hot loop)."""

    base_s: float
    cap_s: float

    def delay(self, failed_attempts: int, draw: Draw = full_jitter) -> timedelta:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(failed_attempts - 1, 0))
        return timedelta(seconds=max(1.0, draw(ceiling)))


def record_stored(
    copy: MediaCopy,
    *,
    content_type: str,
    width: int,
    height: int,
    variants: list[dict[str, Any]],
    now: datetime,
) -> None:
    copy.attempts += 1
    copy.state = MediaCopyState.STORED
    copy.content_type = content_type
    copy.width = width
    copy.height = height
    copy.variants = variants
    copy.last_error = None
    copy.next_attempt_at = None
    copy.updated_at = now


def record_failure(
    copy: MediaCopy,
    error: str,
    settings: MediaSettings,
    *,
    now: datetime,
    draw: Draw = full_jitter,
) -> None:
    """A failed fetch: retried after a backoff, or failed for good after the last attempt."""
    copy.attempts += 1
    copy.last_error = error[:ERROR_MAX]
    copy.updated_at = now
    if copy.attempts >= settings.media_max_attempts:
        copy.state = MediaCopyState.FAILED
        copy.next_attempt_at = None
        return
    backoff = Backoff(settings.media_backoff_base_s, settings.media_backoff_cap_s)
    copy.next_attempt_at = now + backoff.delay(copy.attempts, draw)


def mark_deleted(copy: MediaCopy, *, now: datetime) -> None:
    copy.state = MediaCopyState.DELETED
    copy.variants = []
    copy.next_attempt_at = None
    copy.updated_at = now


def variants_by_post(session: Session, post_ids: Sequence[str]) -> dict[str, list[StoredMediaRead]]:
    """The stored copies of ``post_ids`` by post, each with its position in ``post.media``,
    its alt text and its variants (narrowest first, URLs on our origin). A post or media item
    without a stored copy is absent: the feed shows the network's URL for it.

    The caller shows only publishable posts; the route checks again when the bytes are
    asked for."""
    shown: dict[str, list[StoredMediaRead]] = {}
    for copy in repository.stored_copies_of(session, post_ids):
        shown.setdefault(copy.post_id, []).append(
            StoredMediaRead(
                position=copy.position,
                alt_text=copy.alt_text,
                width=copy.width or 0,
                height=copy.height or 0,
                variants=[
                    MediaVariantRead(
                        width=v["width"], height=v["height"], url=variant_url(copy.id, v["width"])
                    )
                    for v in copy.variants
                ],
            )
        )
    return shown


def served_key(session: Session, copy_id: int, width: int, *, now: datetime) -> str | None:
    """The store key of the variant ``width`` of copy ``copy_id``, or None when there is no
    such variant or the post is not publishable at ``now``."""
    copy = repository.served_copy(session, copy_id, now)
    if copy is None:
        return None
    for variant in copy.variants:
        if variant["width"] == width:
            return str(variant["key"])
    return None
