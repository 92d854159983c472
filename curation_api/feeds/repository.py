"""Queries of the feeds feature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class PublicPost:
    """What a feed shows of a post: its columns, not the scores or the moderation data."""

    post_id: str
    platform: str
    text: str
    author_handle: str
    author_display_name: str | None
    media: list[dict[str, Any]]
    permalink: str | None
    created_at: datetime
    hashtags: list[str]


_SHOWN = (
    Post.post_id,
    Post.platform,
    Post.text,
    Post.author_handle,
    Post.author_display_name,
    Post.media,
    Post.permalink,
    Post.created_at,
)


def public_posts(
    session: Session,
    hashtags: Sequence[str],
    *,
    requires_rights: bool,
    now: datetime,
    cursor: str | None,
    limit: int,
) -> list[PublicPost]:
    """Up to ``limit`` approved, not withdrawn posts carrying any of ``hashtags`` (and with
    ``requires_rights``, whose rights are valid for the website at ``now``), newest first after
    ``cursor``. Semi-joins, so a post with two of the tags appears once. Only the columns a
    feed shows, and their hashtags in one more query: a page is rendered on every cache miss."""
    statement = select(*_SHOWN).where(
        Post.status == PostStatus.APPROVED,
        Post.withdrawn_at.is_(None),
        exists().where(PostHashtag.post_id == Post.post_id, PostHashtag.tag.in_(hashtags)),
    )
    if requires_rights:
        statement = statement.where(rights_valid_on_website(now))
    rows = session.execute(newest_posts_first(statement, cursor).limit(limit)).all()
    tags: dict[str, list[str]] = {row.post_id: [] for row in rows}
    if rows:
        for post_id, tag in session.execute(
            select(PostHashtag.post_id, PostHashtag.tag)
            .where(PostHashtag.post_id.in_(list(tags)))
            .order_by(PostHashtag.post_id, PostHashtag.tag)
        ):
            tags[post_id].append(tag)
    return [PublicPost(**row._mapping, hashtags=tags[row.post_id]) for row in rows]


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
