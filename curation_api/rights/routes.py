"""HTTP routes of rights requests; the rules live in :mod:`.service` and :mod:`.records`.

Declared before the moderation routes (see ``app.py``): ``post_id`` is a ``:path`` parameter,
and moderation's ``/v1/posts/{post_id:path}`` would otherwise match these paths.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BeforeValidator

from curation_api.kit import (
    Conflict,
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    Page,
    SessionDep,
    Unauthorized,
    error_responses,
)
from curation_api.rights import records, service
from curation_api.rights.schemas import (
    BulkRightsRequestCreate,
    DecisionCreate,
    ProofRead,
    QueuedRequestRead,
    RightsHistoryRead,
    RightsRead,
    RightsRequestCreate,
    SentCreate,
)
from curation_api.rights.service import Actor
from database.enums import RightsState

router = APIRouter(prefix="/v1", tags=["rights"])

CHANGES = error_responses(Unauthorized, NotFound, Conflict)
PROOF_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'"


def _split(value: object) -> object:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        return value
    return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


StatesQuery = Annotated[
    list[RightsState],
    BeforeValidator(_split),
    Query(description="Requests in any of these states (comma-separated or repeated)."),
]


@router.get("/rights", responses=error_responses(Unauthorized, InvalidCursor))
def rights_inbox(
    _moderator: ModeratorDep,
    session: SessionDep,
    state: StatesQuery = [],  # noqa: B006 - FastAPI copies defaults
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[RightsRead]:
    """The rights inbox: requests in the given states, most recently changed first."""
    return records.inbox(session, state, cursor=cursor, limit=limit)


@router.post("/rights/requests", responses=CHANGES)
def request_many(
    body: BulkRightsRequestCreate,
    moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    request: Request,
) -> list[QueuedRequestRead]:
    """Request rights for many posts in one transaction: all are queued, or none (pacing
    the sends is the ingest worker's job)."""
    one = RightsRequestCreate.model_validate(body.model_dump(exclude={"post_ids"}))
    return [
        service.request_rights(
            session,
            post_id,
            one,
            Actor.moderator(moderator),
            now=now,
            base_url=str(request.base_url),
        )
        for post_id in dict.fromkeys(body.post_ids)
    ]


@router.post("/posts/{post_id:path}/rights/request", responses=CHANGES)
def request_rights(
    post_id: str,
    moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    request: Request,
    body: Annotated[RightsRequestCreate | None, Body()] = None,
) -> QueuedRequestRead:
    """Queue a rights request: the text (rendered from the brand's template) and the post's
    link come back, so that a moderator can also send it by hand."""
    return service.request_rights(
        session,
        post_id,
        body or RightsRequestCreate(),
        Actor.moderator(moderator),
        now=now,
        base_url=str(request.base_url),
    )


@router.post("/posts/{post_id:path}/rights/sent", responses=CHANGES)
def mark_sent(
    post_id: str,
    moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    body: Annotated[SentCreate | None, Body()] = None,
) -> RightsRead:
    """A moderator sent the request by hand: the reply is now awaited."""
    return service.mark_sent(
        session, post_id, body or SentCreate(), Actor.moderator(moderator), now=now
    )


@router.get("/posts/{post_id:path}/rights/proof", responses=error_responses(Unauthorized, NotFound))
def rights_proof(post_id: str, _moderator: ModeratorDep, session: SessionDep) -> ProofRead:
    """The immutable proof of the grant, with the SHA-256 of its canonical JSON."""
    return records.proof(session, post_id)


@router.get(
    "/posts/{post_id:path}/rights/proof.html",
    response_class=HTMLResponse,
    responses=error_responses(Unauthorized, NotFound),
)
def rights_proof_page(post_id: str, _moderator: ModeratorDep, session: SessionDep) -> HTMLResponse:
    """The proof as a printable page (every value escaped, no script)."""
    return HTMLResponse(
        records.proof_page(session, post_id), headers={"Content-Security-Policy": PROOF_CSP}
    )


@router.post("/posts/{post_id:path}/rights", responses=CHANGES)
def decide(
    post_id: str,
    body: DecisionCreate,
    moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    request: Request,
) -> RightsRead:
    """Record a decision by hand: `granted` (consent given outside the networks, or resolving
    an unclear reply; writes the proof), `declined`, or `revoked`."""
    return service.decide(
        session, post_id, body, Actor.moderator(moderator), now=now, base_url=str(request.base_url)
    )


@router.get("/posts/{post_id:path}/rights", responses=error_responses(Unauthorized, NotFound))
def post_rights(post_id: str, _moderator: ModeratorDep, session: SessionDep) -> RightsHistoryRead:
    """The post's rights request and every transition, with who or what made it."""
    return records.rights_of(session, post_id)
