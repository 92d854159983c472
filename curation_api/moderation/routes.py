"""HTTP routes of the moderation feature; the rules live in :mod:`.service`.

``post_id`` is ``{platform}:{native_id}`` and may contain ``:`` and ``/`` (Bluesky ids are
AT URIs), hence the ``:path`` parameters; the more specific routes are declared first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from curation_api.kit import (
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    Page,
    SessionDep,
    Unauthorized,
    error_responses,
)
from curation_api.moderation import service
from curation_api.moderation.schemas import (
    ModerationActionRead,
    ModerationCreate,
    PostRead,
    QueueFilters,
)
from database.models import ModerationVerb

router = APIRouter(prefix="/v1", tags=["moderation"])

OptionalNote = Annotated[ModerationCreate | None, Body()]


@router.get("/queue", responses=error_responses(Unauthorized, InvalidCursor))
def moderation_queue(
    _moderator: ModeratorDep, session: SessionDep, filters: Annotated[QueueFilters, Query()]
) -> Page[PostRead]:
    """Posts to moderate, newest first (by default the pending ones)."""
    return service.queue(session, filters)


@router.get(
    "/posts/{post_id:path}/actions",
    responses=error_responses(Unauthorized, NotFound, InvalidCursor),
)
def post_actions(
    post_id: str,
    _moderator: ModeratorDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ModerationActionRead]:
    """The audit trail of a post: every approve, reject and public report, oldest first."""
    return service.actions(session, post_id, cursor=cursor, limit=limit)


@router.post("/posts/{post_id:path}/approve", responses=error_responses(Unauthorized, NotFound))
def approve_post(
    post_id: str, moderator: ModeratorDep, session: SessionDep, body: OptionalNote = None
) -> PostRead:
    """Approve a post for the public feeds. Approving an approved post changes nothing."""
    return service.moderate(session, post_id, ModerationVerb.APPROVE, moderator, body)


@router.post("/posts/{post_id:path}/reject", responses=error_responses(Unauthorized, NotFound))
def reject_post(
    post_id: str, moderator: ModeratorDep, session: SessionDep, body: OptionalNote = None
) -> PostRead:
    """Reject a post. Rejecting a rejected post changes nothing."""
    return service.moderate(session, post_id, ModerationVerb.REJECT, moderator, body)


@router.get("/posts/{post_id:path}", responses=error_responses(Unauthorized, NotFound))
def get_post(post_id: str, _moderator: ModeratorDep, session: SessionDep) -> PostRead:
    """One post with its scores and moderation state."""
    return service.get_post(session, post_id)
