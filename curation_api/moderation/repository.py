"""Queries of the moderation feature."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from contract import RiskLevel, Sentiment
from curation_api.kit import decode_cursor, newest_posts_first
from database.enums import RightsState
from database.models import (
    IncidentPost,
    ModerationAction,
    Post,
    PostHashtag,
    PostStatus,
    RightsRequest,
)


def list_posts(
    session: Session,
    *,
    status: PostStatus | None,
    hashtags: Sequence[str],
    sentiments: Sequence[Sentiment],
    risks: Sequence[RiskLevel],
    low_confidence: bool | None,
    rights: Sequence[RightsState | None] = (),
    incident: str | None = None,
    cursor: str | None,
    limit: int,
) -> list[Post]:
    """Up to ``limit`` posts matching every given filter (a list matches any of its values),
    newest first after ``cursor``; ``status=None`` and ``low_confidence=None`` mean any.

    The status filter plus ordering runs on ``ix_posts_status_created_at_post_id``, or on the
    partial ``ix_posts_low_confidence_status_created_at_post_id`` for low-confidence posts; the
    hashtag filter is a semi-join so a post carrying two wanted tags still appears once.
    """
    statement = select(Post).options(selectinload(Post.hashtags), selectinload(Post.rights_request))
    if rights:
        statement = statement.where(_rights_in(rights))
    if status is not None:
        statement = statement.where(Post.status == status)
    if incident is not None:
        # The posts a spike incident named as its evidence (`incident_posts`, on its key).
        statement = statement.where(
            exists().where(
                IncidentPost.incident_id == incident, IncidentPost.post_id == Post.post_id
            )
        )
    if hashtags:
        statement = statement.where(
            exists().where(PostHashtag.post_id == Post.post_id, PostHashtag.tag.in_(hashtags))
        )
    if sentiments:
        statement = statement.where(Post.sentiment.in_(sentiments))
    if risks:
        statement = statement.where(Post.risk.in_(risks))
    if low_confidence is not None:
        # The bare column renders as the partial index's own WHERE term on each dialect
        # (`low_confidence`; SQLite: `low_confidence = 1`); a form like `IS true` would not
        # match it, and the queue would scan every pending post instead.
        statement = statement.where(Post.low_confidence if low_confidence else ~Post.low_confidence)
    statement = newest_posts_first(statement, cursor).limit(limit)
    return list(session.scalars(statement))


def get_post(session: Session, post_id: str, *, for_update: bool = False) -> Post | None:
    """The post with its hashtags; ``for_update`` locks the row on PostgreSQL so that two
    moderators acting at once are serialized (SQLite transactions already are: BEGIN IMMEDIATE).
    """
    statement = (
        select(Post)
        .where(Post.post_id == post_id)
        .options(selectinload(Post.hashtags), selectinload(Post.rights_request))
    )
    if for_update:
        statement = statement.with_for_update(of=Post)
    return session.scalars(statement).one_or_none()


def _rights_in(states: Sequence[RightsState | None]) -> ColumnElement[bool]:
    """The post's rights request is in one of ``states`` (``None``: it has none)."""
    wanted = [s for s in states if s is not None]
    clauses: list[ColumnElement[bool]] = []
    if wanted:
        clauses.append(
            exists().where(RightsRequest.post_id == Post.post_id, RightsRequest.state.in_(wanted))
        )
    if None in states:
        clauses.append(~exists().where(RightsRequest.post_id == Post.post_id))
    return or_(*clauses)


def add_action(session: Session, action: ModerationAction) -> None:
    session.add(action)


# Audit trails page oldest first by action id.
ACTION_KEY: TypeAdapter[tuple[int]] = TypeAdapter(tuple[int])


def action_key(action: ModerationAction) -> tuple[int]:
    return (action.id,)


def list_actions(
    session: Session, post_id: str, *, cursor: str | None, limit: int
) -> list[ModerationAction]:
    """A post's audit trail, oldest first, keyset on the action id."""
    statement = select(ModerationAction).where(ModerationAction.post_id == post_id)
    if cursor is not None:
        (after_id,) = decode_cursor(cursor, ACTION_KEY)
        statement = statement.where(ModerationAction.id > after_id)
    return list(session.scalars(statement.order_by(ModerationAction.id).limit(limit)))


def post_exists(session: Session, post_id: str) -> bool:
    return session.scalar(select(exists().where(Post.post_id == post_id))) is True
