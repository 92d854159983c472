"""The rules of moderation: what the queue shows, and what approving or rejecting does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from contract import utcnow
from curation_api.kit import Moderator, NotFound, Page, page_of, post_key
from curation_api.moderation import repository
from curation_api.moderation.schemas import (
    NO_RIGHTS_REQUEST,
    ModerationActionRead,
    ModerationCreate,
    PostRead,
    QueueFilters,
    QueueStatus,
)
from curation_api.webhooks.events import WebhookEventType, emit
from database.enums import RightsState
from database.models import ModerationAction, ModerationVerb, PostStatus

VERB_STATUS = {
    ModerationVerb.APPROVE: PostStatus.APPROVED,
    ModerationVerb.REJECT: PostStatus.REJECTED,
}


def queue(session: Session, filters: QueueFilters) -> Page[PostRead]:
    """One page of the moderation queue."""
    status = None if filters.status is QueueStatus.ALL else PostStatus(filters.status.value)
    posts = repository.list_posts(
        session,
        status=status,
        hashtags=filters.hashtag,
        sentiments=filters.sentiment,
        risks=filters.risk,
        low_confidence=filters.low_confidence,
        rights=[None if r == NO_RIGHTS_REQUEST else RightsState(r) for r in filters.rights],
        incident=filters.incident,
        cursor=filters.cursor,
        limit=filters.limit + 1,
    )
    return page_of(posts, limit=filters.limit, key=post_key, item=PostRead.from_row)


def get_post(session: Session, post_id: str) -> PostRead:
    post = repository.get_post(session, post_id)
    if post is None:
        raise _post_not_found(post_id)
    return PostRead.from_row(post)


def moderate(
    session: Session,
    post_id: str,
    verb: ModerationVerb,
    moderator: Moderator,
    body: ModerationCreate | None,
) -> PostRead:
    """Approve or reject a post and log the action.

    Idempotent: when the post already has the target status it is returned unchanged and no
    audit row is written, so a retried request (or a double click) is harmless. Changing one's
    mind (reject after approve) is a new action.
    """
    post = repository.get_post(session, post_id, for_update=True)
    if post is None:
        raise _post_not_found(post_id)
    status = VERB_STATUS[verb]
    if post.status == status:
        return PostRead.from_row(post)
    now = utcnow()
    post.status = status
    post.moderated_at = now
    post.moderated_by = moderator.name
    post.updated_at = now
    repository.add_action(
        session,
        ModerationAction(
            post_id=post.post_id,
            action=verb,
            actor=moderator.name,
            note=body.note if body else None,
            at=now,
        ),
    )
    session.flush()
    read = PostRead.from_row(post)
    if status is PostStatus.APPROVED:
        emit(session, WebhookEventType.POST_APPROVED, approved_event(read, moderator), now=now)
    return read


def return_to_queue(
    session: Session, post_id: str, *, actor: str, reason: str, now: datetime
) -> PostRead:
    """Put a post back in the moderation queue (pending) because ``actor`` (a visitor's
    report) says something is wrong with it, and log that with the ``reason``.

    The post leaves every public feed at once, since they show approved posts only; a
    moderator approves it again or rejects it. ``moderated_*`` keep the last moderator's
    decision. Every report is logged, even on a post already pending: each reason is worth
    reading. Changed through the ORM and flushed, so that whatever watches flushes of posts
    (the feeds' cache) sees it.
    """
    post = repository.get_post(session, post_id, for_update=True)
    if post is None:
        raise _post_not_found(post_id)
    if post.status != PostStatus.PENDING:
        post.status = PostStatus.PENDING
        post.updated_at = now
    repository.add_action(
        session,
        ModerationAction(
            post_id=post.post_id, action=ModerationVerb.REPORT, actor=actor, note=reason, at=now
        ),
    )
    session.flush()
    return PostRead.from_row(post)


def approved_event(post: PostRead, moderator: Moderator) -> dict[str, object]:
    """The data of a ``post.approved`` webhook event."""
    return {
        "post_id": post.post_id,
        "platform": post.platform,
        "hashtags": post.hashtags,
        "permalink": post.permalink,
        "author_handle": post.author.handle,
        "text": post.text,
        "actor": moderator.name,
        "approved_at": post.moderated_at,
    }


def actions(
    session: Session, post_id: str, *, cursor: str | None, limit: int
) -> Page[ModerationActionRead]:
    """One page of a post's audit trail, oldest first."""
    rows = repository.list_actions(session, post_id, cursor=cursor, limit=limit + 1)
    if not rows and cursor is None and not repository.post_exists(session, post_id):
        raise _post_not_found(post_id)
    return page_of(rows, limit=limit, key=repository.action_key, item=ModerationActionRead.from_row)


def _post_not_found(post_id: str) -> NotFound:
    return NotFound(f"no post with id {post_id!r}")
