"""Queries of the widget feature."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from curation_api.feeds.repository import rights_valid_on_website
from database.models import Feed, Post, PostHashtag, PostStatus


def get_feed(session: Session, slug: str) -> Feed | None:
    return session.get(Feed, slug)


def shown_in_feed(session: Session, feed: Feed, post_id: str, *, now: datetime) -> bool:
    """Whether the public page of ``feed`` shows ``post_id`` at ``now``: the same conditions
    as :func:`curation_api.feeds.repository.public_posts` (approved, not withdrawn, one of the
    feed's hashtags, and rights valid for the website when the feed requires them), for one
    post, on its primary key."""
    statement = select(Post.post_id).where(
        Post.post_id == post_id,
        Post.status == PostStatus.APPROVED,
        Post.withdrawn_at.is_(None),
        exists().where(
            PostHashtag.post_id == Post.post_id,
            PostHashtag.tag.in_([h.tag for h in feed.hashtags]),
        ),
    )
    if feed.requires_rights:
        statement = statement.where(rights_valid_on_website(now))
    return session.scalar(statement) is not None
