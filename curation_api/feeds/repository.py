"""Queries of the feeds feature."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session, selectinload

from curation_api.kit import decode_cursor, newest_posts_first
from database.engine import UtcDateTime
from database.enums import RightsState
from database.models import Feed, Post, PostHashtag, PostStatus, RightsRequest

# Feeds page in slug order.
SLUG_KEY: TypeAdapter[tuple[str]] = TypeAdapter(tuple[str])


def slug_key(feed: Feed) -> tuple[str]:
    return (feed.slug,)


def get_feed(session: Session, slug: str) -> Feed | None:
    return session.get(Feed, slug)


def add_feed(session: Session, feed: Feed) -> None:
    session.add(feed)


def delete_feed(session: Session, feed: Feed) -> None:
    session.delete(feed)


def list_feeds(session: Session, *, cursor: str | None, limit: int) -> list[Feed]:
    """Up to ``limit`` feeds in slug order, after the cursor's slug."""
    statement = select(Feed)
    if cursor is not None:
        (after,) = decode_cursor(cursor, SLUG_KEY)
        statement = statement.where(Feed.slug > after)
    return list(session.scalars(statement.order_by(Feed.slug).limit(limit)))


def public_posts(
    session: Session,
    hashtags: Sequence[str],
    *,
    requires_rights: bool,
    now: datetime,
    cursor: str | None,
    limit: int,
) -> list[Post]:
    """Up to ``limit`` approved, not withdrawn posts carrying any of ``hashtags`` (and with
    ``requires_rights``, whose rights are valid for the website at ``now``), newest first after
    ``cursor``. Semi-joins, so a post with two of the tags appears once."""
    statement = (
        select(Post)
        .options(selectinload(Post.hashtags))
        .where(
            Post.status == PostStatus.APPROVED,
            Post.withdrawn_at.is_(None),
            exists().where(PostHashtag.post_id == Post.post_id, PostHashtag.tag.in_(hashtags)),
        )
    )
    if requires_rights:
        statement = statement.where(rights_valid_on_website(now))
    return list(session.scalars(newest_posts_first(statement, cursor).limit(limit)))


def rights_valid_on_website(now: datetime) -> ColumnElement[bool]:
    """The post's rights are granted, for the website, and ``now`` is inside their window
    (``starts_at`` included, ``ends_at`` excluded: a window ending at 12:00 drops the post at
    12:00). Checked in the query, so no job has to take a post down on time. Revoked, declined,
    expired and withdrawn requests are simply not ``granted``."""
    at = literal(now, UtcDateTime())
    return exists().where(
        RightsRequest.post_id == Post.post_id,
        RightsRequest.state == RightsState.GRANTED,
        RightsRequest.scope_website == true(),
        or_(RightsRequest.starts_at.is_(None), RightsRequest.starts_at <= at),
        or_(RightsRequest.ends_at.is_(None), RightsRequest.ends_at > at),
    )


def next_rights_boundary(
    session: Session, hashtags: Sequence[str], *, now: datetime
) -> datetime | None:
    """The first moment after ``now`` at which a website rights window of a post with any of
    ``hashtags`` starts or ends: until then time alone does not change the feed. Over every
    granted request of those posts, whatever the post's status (an earlier moment than needed
    only costs a render)."""
    at = literal(now, UtcDateTime())
    granted = (
        RightsRequest.state == RightsState.GRANTED,
        RightsRequest.scope_website == true(),
        exists().where(PostHashtag.post_id == RightsRequest.post_id, PostHashtag.tag.in_(hashtags)),
    )
    starts = select(func.min(RightsRequest.starts_at)).where(*granted, RightsRequest.starts_at > at)
    ends = select(func.min(RightsRequest.ends_at)).where(*granted, RightsRequest.ends_at > at)
    first_start, first_end = session.execute(
        select(starts.scalar_subquery(), ends.scalar_subquery())
    ).one()
    moments = [m for m in (first_start, first_end) if m is not None]
    return min(moments) if moments else None
