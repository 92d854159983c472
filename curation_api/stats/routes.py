"""HTTP routes of stats and health."""

from __future__ import annotations

from fastapi import APIRouter

from curation_api.kit import (
    ModeratorDep,
    ServiceUnavailable,
    SessionDep,
    Unauthorized,
    error_responses,
)
from curation_api.stats import service
from curation_api.stats.schemas import HealthRead, StatsRead

router = APIRouter(tags=["stats"])


@router.get("/v1/stats", responses=error_responses(Unauthorized))
def stats(_moderator: ModeratorDep, session: SessionDep) -> StatsRead:
    """Posts by status and by risk, and the newest scoring: how far the pipeline has come."""
    return service.stats(session)


@router.get("/healthz", responses=error_responses(ServiceUnavailable))
def healthz(session: SessionDep) -> HealthRead:
    """Liveness and readiness: no key, 200 when the database answers."""
    return service.health(session)
