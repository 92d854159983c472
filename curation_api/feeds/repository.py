"""Queries of the feeds feature."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from curation_api.kit import decode_cursor, newest_posts_first
from database.models import Feed, Post, PostHashtag, PostStatus

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


def approved_posts_with_hashtags(
    session: Session, hashtags: Sequence[str], *, cursor: str | None, limit: int
) -> list[Post]:
    """Up to ``limit`` approved posts carrying any of ``hashtags``, newest first after
    ``cursor``. A semi-join, so a post with two of the tags appears once."""
    statement = (
        select(Post)
        .options(selectinload(Post.hashtags))
        .where(
            Post.status == PostStatus.APPROVED,
            exists().where(PostHashtag.post_id == Post.post_id, PostHashtag.tag.in_(hashtags)),
        )
    )
    return list(session.scalars(newest_posts_first(statement, cursor).limit(limit)))
