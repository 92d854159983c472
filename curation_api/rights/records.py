"""The read side of rights: a post's rights with their history, the inbox, the proof."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from curation_api.kit import NotFound, Page, page_of
from curation_api.rights import attachments, repository
from curation_api.rights.proof import proof_html
from curation_api.rights.schemas import ProofRead, RightsHistoryRead, RightsRead, TransitionRead
from database.enums import RightsState
from database.rights_models import RightsRequest


def rights_of(session: Session, post_id: str) -> RightsHistoryRead:
    """The post's current request and every transition it went through, oldest first."""
    request = _request(session, post_id)
    return RightsHistoryRead(
        **RightsRead.from_row(request).model_dump(),
        transitions=[
            TransitionRead.from_row(t) for t in repository.transitions_of(session, request.id)
        ],
        attachments=attachments.of_post(session, post_id),
    )


def inbox(
    session: Session, states: Sequence[RightsState], *, cursor: str | None, limit: int
) -> Page[RightsRead]:
    rows = repository.inbox(session, states, cursor=cursor, limit=limit + 1)
    return page_of(rows, limit=limit, key=repository.inbox_key, item=RightsRead.from_row)


def proof(session: Session, post_id: str) -> ProofRead:
    """The latest proof of the post's grant; it stays after a revocation (state tells)."""
    request = _request(session, post_id)
    row = repository.latest_proof(session, request.id)
    if row is None:
        raise NotFound(f"the rights of {post_id!r} were never granted: there is no proof")
    return ProofRead(
        request_id=request.id,
        post_id=post_id,
        state=request.state,
        sha256=row.sha256,
        created_at=row.created_at,
        record=row.record,
    )


def proof_page(session: Session, post_id: str) -> str:
    found = proof(session, post_id)
    return proof_html(
        record=found.record,
        sha256=found.sha256,
        state=found.state.value,
        created_at=found.created_at,
    )


def _request(session: Session, post_id: str) -> RightsRequest:
    request = repository.request_of_post(session, post_id)
    if request is None:
        if repository.get_post(session, post_id) is None:
            raise NotFound(f"no post with id {post_id!r}")
        raise NotFound(f"post {post_id!r} has no rights request")
    return request
