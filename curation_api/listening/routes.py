"""HTTP routes of listening jobs; the rules live in :mod:`.service`, the worker in ``ingest.jobs``.

A job's secrets are never accepted or returned here: a job names a credentials reference, and
its ``credentials`` field says which names are set or missing under it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from curation_api.kit import (
    CursorQuery,
    ErrorBody,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    Page,
    SessionDep,
    Unauthorized,
    error_responses,
)
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobCreate, JobRead, JobUpdate
from listening.service import InvalidJob

router = APIRouter(prefix="/v1/listening", tags=["listening"])


class FieldErrors(BaseModel):
    """FastAPI's answer to a body that does not match the schema."""

    detail: list[dict[str, Any]]


# A 422 is either a body that does not match the schema (FastAPI's field errors) or a job the
# network cannot run (InvalidJob, one readable message): the document declares both shapes.
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    InvalidJob.status_code: {
        "model": ErrorBody | FieldErrors,
        "description": f"{InvalidJob.description}, or a body that does not match the schema",
    }
}


def get_credentials(request: Request) -> CredentialResolver:
    resolver: CredentialResolver = request.app.state.credentials
    return resolver


CredentialsDep = Annotated[CredentialResolver, Depends(get_credentials)]


@router.post(
    "/jobs",
    status_code=status.HTTP_201_CREATED,
    responses={**error_responses(Unauthorized), **UNPROCESSABLE},
)
def create_job(
    body: JobCreate, _moderator: ModeratorDep, session: SessionDep, credentials: CredentialsDep
) -> JobRead:
    """Listen for hashtags on a network. The ingest worker starts the job within seconds.

    TikTok is refused: its Research API is only for approved non-profit researchers.
    """
    return service.create_job(session, body, credentials)


@router.get("/jobs", responses=error_responses(Unauthorized, InvalidCursor))
def list_jobs(
    _moderator: ModeratorDep,
    session: SessionDep,
    credentials: CredentialsDep,
    network: Annotated[str | None, Query(max_length=32, description="Jobs of one network.")] = None,
    active: Annotated[bool | None, Query(description="Only active or inactive jobs.")] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[JobRead]:
    """Every listening job with its health, oldest first."""
    return service.list_jobs(
        session,
        credentials,
        network=network.strip().casefold() if network else None,
        active=active,
        cursor=cursor,
        limit=limit,
    )


@router.get("/jobs/{job_id}", responses=error_responses(Unauthorized, NotFound))
def get_job(
    job_id: int, _moderator: ModeratorDep, session: SessionDep, credentials: CredentialsDep
) -> JobRead:
    """One job, its health, and which of its credentials are missing."""
    return service.get_job(session, job_id, credentials)


@router.patch(
    "/jobs/{job_id}", responses={**error_responses(Unauthorized, NotFound), **UNPROCESSABLE}
)
def update_job(
    job_id: int,
    body: JobUpdate,
    _moderator: ModeratorDep,
    session: SessionDep,
    credentials: CredentialsDep,
) -> JobRead:
    """Change a job; the worker restarts it with the new definition.

    Any change, even an empty body, clears a failing status so that the job is tried again
    (after fixing its credentials, for instance).
    """
    return service.update_job(session, job_id, body, credentials)


@router.delete(
    "/jobs/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Unauthorized, NotFound),
)
def delete_job(job_id: int, _moderator: ModeratorDep, session: SessionDep) -> None:
    """Delete a job and its positions; the worker stops it. Posts already collected stay."""
    service.delete_job(session, job_id)
