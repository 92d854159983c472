"""Each feed's ``content_version``: bumped in the transaction of any change that can change
what the feed shows, so that every API worker's page cache knows its pages are stale.

What counts: a post's moderation status, withdrawal or content changing while it is (or was)
approved; anything about a post's rights request (state, scope, window); a media copy becoming
stored or ceasing to be; the feed's own definition. The ORM's changes are caught after each
flush, whoever makes them (routes, CLI, workers, timers); bulk statements call
:func:`bump_feeds_of_posts` themselves (the sink).

Time alone changes a feed too (a rights window ending at 12:00): that is not a change of any
row, so the cache bounds each page's life by the next window boundary instead.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, Table, event, inspect, select, update
from sqlalchemy.orm import Session

from database.engine import Base

# By table, not by model class: the models module registers this hook on import, so this
# module cannot import it.
APPROVED = "approved"
STORED = "stored"


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def bump_feeds(connection: Connection, slugs: Collection[str]) -> None:
    """Bump the versions of ``slugs`` (in slug order, so that two transactions lock the
    rows in the same order)."""
    feeds = _table("feeds")
    for slug in sorted(set(slugs)):
        connection.execute(
            update(feeds)
            .where(feeds.c.slug == slug)
            .values(content_version=feeds.c.content_version + 1)
        )


def bump_feeds_of_posts(connection: Connection, post_ids: Collection[str]) -> None:
    """Bump every feed that selects any hashtag of ``post_ids``."""
    if not post_ids:
        return
    feed_tags, post_tags = _table("feed_hashtags"), _table("post_hashtags")
    slugs = connection.scalars(
        select(feed_tags.c.feed_slug)
        .distinct()
        .join(post_tags, post_tags.c.tag == feed_tags.c.tag)
        .where(post_tags.c.post_id.in_(sorted(set(post_ids))))
    ).all()
    bump_feeds(connection, slugs)


def _post_touched(post: Any, *, new: bool) -> bool:
    if new:
        return bool(post.status == APPROVED)
    status = inspect(post).attrs.status.history
    was_or_is_approved = APPROVED in (*status.added, *status.unchanged, *status.deleted)
    return status.has_changes() or (was_or_is_approved and _modified(post))


def _modified(obj: Any) -> bool:
    return any(attr.history.has_changes() for attr in inspect(obj).attrs)


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _context: Any) -> None:
    post_ids, slugs = _touched(session)
    if not post_ids and not slugs:
        return
    connection = session.connection()
    bump_feeds_of_posts(connection, post_ids)
    # In SQL only: a loaded Feed keeps its old number, which nothing here reads.
    bump_feeds(connection, slugs - _deleted_feeds(session))


def _touched(session: Session) -> tuple[set[str], set[str]]:
    """The posts and the feeds whose pages the flush may have changed."""
    post_ids: set[str] = set()
    slugs: set[str] = set()
    for obj in session.new:
        if _table_of(obj) == "posts" and _post_touched(obj, new=True):
            post_ids.add(obj.post_id)
    for obj in session.dirty:
        if _table_of(obj) == "posts" and _post_touched(obj, new=False):
            post_ids.add(obj.post_id)
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = _table_of(obj)
        if table == "rights_requests" and (obj in session.new or _modified(obj)):
            post_ids.add(obj.post_id)
        elif table == "media_copies" and _stored_changed(obj):
            post_ids.add(obj.post_id)  # the feed shows our copy, or stops showing it
        elif table == "feeds" and obj not in session.deleted:
            slugs.add(obj.slug)
        elif table == "feed_hashtags":
            slugs.add(obj.feed_slug)
    return post_ids, slugs


def _stored_changed(copy: Any) -> bool:
    state = inspect(copy).attrs.state.history
    return STORED in (*state.added, *state.deleted)


def _table_of(obj: Any) -> str | None:
    return getattr(obj, "__tablename__", None)


def _deleted_feeds(session: Session) -> set[str]:
    return {obj.slug for obj in session.deleted if _table_of(obj) == "feeds"}
