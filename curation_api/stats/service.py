"""Progress of the pipeline as the database sees it."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from contract import RiskLevel
from curation_api.kit import ServiceUnavailable
from curation_api.stats import repository
from curation_api.stats.schemas import HealthRead, StatsRead
from database.models import Post, PostStatus

log = logging.getLogger(__name__)


def stats(session: Session) -> StatsRead:
    by_status = repository.count_by(session, Post.status)
    by_risk = repository.count_by(session, Post.risk)
    return StatsRead(
        total=sum(by_status.values()),
        by_status={s: by_status.get(s, 0) for s in PostStatus},
        by_risk={r: by_risk.get(r, 0) for r in RiskLevel},
        latest_scored_at=repository.latest(session, Post.scored_at),
        latest_ingested_at=repository.latest(session, Post.ingested_at),
    )


def health(session: Session) -> HealthRead:
    """OK when the database answers a query; 503 otherwise."""
    try:
        repository.ping(session)
    except SQLAlchemyError as exc:
        log.warning("health check: database unavailable: %s", exc)
        raise ServiceUnavailable("database unavailable") from None
    return HealthRead(status="ok", database="ok")
