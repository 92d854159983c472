"""The media copies' queries: which posts need copies, the worker's poll of due fetches and of
copies to remove, and the copies of a post or of a page of posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session

from database.engine import UtcDateTime
from database.enums import RightsState
from database.media_models import MediaCopy, MediaCopyState
from database.models import Post, PostStatus, RightsRequest


def publishable(now: datetime) -> ColumnElement[bool]:
    """The post may be shown on the website at ``now``: approved, and its rights granted for
    the website with ``now`` inside their window (``starts_at`` included, ``ends_at``
    excluded).

    The same rule as the public feed's (``feeds.repository.rights_valid_on_website`` plus
    the approved status), written here because the feed imports this feature and features
    never import each other both ways."""
    at = literal(now, UtcDateTime())
    return and_(
        Post.status == PostStatus.APPROVED,
        exists().where(
            RightsRequest.post_id == Post.post_id,
            RightsRequest.state == RightsState.GRANTED,
            RightsRequest.scope_website == true(),
            or_(RightsRequest.starts_at.is_(None), RightsRequest.starts_at <= at),
            or_(RightsRequest.ends_at.is_(None), RightsRequest.ends_at > at),
        ),
    )


def posts_without_copies(
    session: Session, now: datetime, *, limit: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(post_id, media)`` of publishable posts with media and no copy rows yet. Every item
    gets a row (a video one too, marked failed), so a post leaves this query once handled."""
    has_copies = exists().where(MediaCopy.post_id == Post.post_id)
    statement = (
        select(Post.post_id, Post.media)
        .where(publishable(now), func.json_array_length(Post.media) > 0, ~has_copies)
        .order_by(Post.post_id)
        .limit(limit)
    )
    return [(post_id, list(media)) for post_id, media in session.execute(statement)]


def deleted_copies_of_publishable_posts(
    session: Session, now: datetime, *, limit: int
) -> list[MediaCopy]:
    """Copies removed when their post stopped being publishable, whose post is publishable
    again (rights granted anew, approved again): to be fetched again."""
    statement = (
        select(MediaCopy)
        .join(Post, Post.post_id == MediaCopy.post_id)
        .where(MediaCopy.state == MediaCopyState.DELETED, publishable(now))
        .order_by(MediaCopy.id)
        .limit(limit)
        .with_for_update(of=MediaCopy, skip_locked=True)
    )
    return list(session.scalars(statement))


def due_copies(session: Session, now: datetime, *, limit: int) -> list[MediaCopy]:
    """Pending copies due by ``now``, soonest first (``ix_media_copies_state_next_attempt_at``),
    locked with SKIP LOCKED on PostgreSQL so that two workers never fetch the same one at once
    (SQLite has a single writer)."""
    statement = (
        select(MediaCopy)
        .where(MediaCopy.state == MediaCopyState.PENDING, MediaCopy.next_attempt_at <= now)
        .order_by(MediaCopy.next_attempt_at, MediaCopy.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def copies_of_unpublishable_posts(
    session: Session, now: datetime, *, limit: int
) -> list[MediaCopy]:
    """Copies not yet deleted whose post is no longer publishable (rights revoked, expired or
    withdrawn, the post rejected)."""
    statement = (
        select(MediaCopy)
        .join(Post, Post.post_id == MediaCopy.post_id)
        .where(MediaCopy.state != MediaCopyState.DELETED, ~publishable(now))
        .order_by(MediaCopy.id)
        .limit(limit)
        .with_for_update(of=MediaCopy, skip_locked=True)
    )
    return list(session.scalars(statement))


def media_of_post(session: Session, post_id: str) -> list[MediaCopy]:
    """The copies of a post's media, in the post's order (what the post view shows: state,
    attempts, the last error)."""
    statement = select(MediaCopy).where(MediaCopy.post_id == post_id).order_by(MediaCopy.position)
    return list(session.scalars(statement))


def stored_copies_of(session: Session, post_ids: Sequence[str]) -> list[MediaCopy]:
    """The stored copies of ``post_ids`` (a feed page), by post and position."""
    if not post_ids:
        return []
    statement = (
        select(MediaCopy)
        .where(MediaCopy.post_id.in_(list(post_ids)), MediaCopy.state == MediaCopyState.STORED)
        .order_by(MediaCopy.post_id, MediaCopy.position)
    )
    return list(session.scalars(statement))


def served_copy(session: Session, copy_id: int, now: datetime) -> MediaCopy | None:
    """The copy ``copy_id`` when it is stored and its post publishable at ``now``."""
    statement = (
        select(MediaCopy)
        .join(Post, Post.post_id == MediaCopy.post_id)
        .where(MediaCopy.id == copy_id, MediaCopy.state == MediaCopyState.STORED, publishable(now))
    )
    return session.scalars(statement).one_or_none()
