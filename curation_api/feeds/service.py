"""The rules of feeds: how they are defined, and which posts the public sees."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from contract import utcnow
from curation_api.feeds import repository
from curation_api.feeds.schemas import FeedCreate, FeedPost, FeedRead
from curation_api.kit import NotFound, Page, page_of
from curation_api.media.service import variants_by_post
from database.models import Feed, FeedHashtag


def put_feed(session: Session, slug: str, body: FeedCreate) -> tuple[FeedRead, bool]:
    """Create the feed or replace its title and hashtags; True when it was created."""
    now = utcnow()
    feed = repository.get_feed(session, slug)
    created = feed is None
    if feed is None:
        feed = Feed(slug=slug, created_at=now, hashtags=[])
        repository.add_feed(session, feed)
    feed.title = body.title
    feed.requires_rights = body.requires_rights
    feed.updated_at = now
    # Keep the rows of hashtags that stay: deleting and re-inserting the same primary key in
    # one flush is needless churn.
    kept = {h.tag: h for h in feed.hashtags}
    feed.hashtags = [kept.get(tag) or FeedHashtag(tag=tag) for tag in sorted(body.hashtags)]
    session.flush()
    return FeedRead.from_row(feed), created


def get_feed(session: Session, slug: str) -> FeedRead:
    return FeedRead.from_row(_existing_feed(session, slug))


def list_feeds(session: Session, *, cursor: str | None, limit: int) -> Page[FeedRead]:
    feeds = repository.list_feeds(session, cursor=cursor, limit=limit + 1)
    return page_of(feeds, limit=limit, key=repository.slug_key, item=FeedRead.from_row)


def delete_feed(session: Session, slug: str) -> None:
    repository.delete_feed(session, _existing_feed(session, slug))
    session.flush()


def feed_posts(
    session: Session, slug: str, *, now: datetime, cursor: str | None, limit: int
) -> Page[FeedPost]:
    """One page of a feed as the public sees it at ``now``: approved posts with any of its
    hashtags, still online, and (unless the feed says otherwise) with valid rights."""
    feed = _existing_feed(session, slug)
    posts = repository.public_posts(
        session,
        [h.tag for h in feed.hashtags],
        requires_rights=feed.requires_rights,
        now=now,
        cursor=cursor,
        limit=limit + 1,
    )
    copies = variants_by_post(session, [post.post_id for post in posts[:limit]])
    return page_of(
        posts,
        limit=limit,
        key=_public_key,
        item=lambda post: FeedPost.from_public(post, copies.get(post.post_id, [])),
    )


def render_page(
    session: Session, slug: str, *, now: datetime, cursor: str | None, limit: int
) -> bytes:
    """The page's JSON body, as the public sees it at ``now``."""
    return feed_posts(session, slug, now=now, cursor=cursor, limit=limit).model_dump_json().encode()


def next_change(session: Session, slug: str, *, now: datetime) -> datetime | None:
    """When time alone next changes the feed: a rights window of one of its posts starting or
    ending (None when nothing would, or the feed does not require rights)."""
    feed = _existing_feed(session, slug)
    if not feed.requires_rights:
        return None
    return repository.next_rights_boundary(session, [h.tag for h in feed.hashtags], now=now)


def _public_key(post: repository.PublicPost) -> tuple[datetime, str]:
    return (post.created_at, post.post_id)


def _existing_feed(session: Session, slug: str) -> Feed:
    feed = repository.get_feed(session, slug)
    if feed is None:
        raise NotFound(f"no feed {slug!r}")
    return feed
