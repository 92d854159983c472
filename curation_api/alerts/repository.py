"""Queries of the alerts feature: incidents, their posts, and the alert settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from curation_api.kit import decode_cursor
from database.engine import UtcDateTime
from database.models import AlertSetting, Incident, IncidentPost, IncidentStatus

# Incidents page newest first by (first_seen, id).
INCIDENT_KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[AwareDatetime, str])


def incident_key(incident: Incident) -> tuple[datetime, str]:
    return (incident.first_seen, incident.id)


def get_incident(
    session: Session, incident_id: str, *, for_update: bool = False
) -> Incident | None:
    """The incident; ``for_update`` locks its row on PostgreSQL so that the sink and a
    moderator acting at once are serialized."""
    statement = select(Incident).where(Incident.id == incident_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def list_incidents(
    session: Session,
    *,
    statuses: Sequence[IncidentStatus],
    hashtags: Sequence[str],
    cursor: str | None,
    limit: int,
) -> list[Incident]:
    """Up to ``limit`` incidents newest first after ``cursor``, in any of ``statuses`` and on
    any of ``hashtags`` (empty: all); on the (status | hashtag, first_seen, id) indexes."""
    statement = select(Incident)
    if statuses:
        statement = statement.where(Incident.status.in_(statuses))
    if hashtags:
        statement = statement.where(Incident.hashtag.in_(hashtags))
    if cursor is not None:
        first_seen, incident_id = decode_cursor(cursor, INCIDENT_KEY)
        statement = statement.where(
            tuple_(Incident.first_seen, Incident.id)
            < tuple_(literal(first_seen, UtcDateTime()), literal(incident_id, Incident.id.type))
        )
    statement = statement.order_by(Incident.first_seen.desc(), Incident.id.desc()).limit(limit)
    return list(session.scalars(statement))


def link_posts(session: Session, incident_id: str, post_ids: Sequence[str]) -> None:
    """Link the posts not linked yet (the alert repeats the burst's ids in every message)."""
    if not post_ids:
        return
    known = set(
        session.scalars(
            select(IncidentPost.post_id).where(
                IncidentPost.incident_id == incident_id, IncidentPost.post_id.in_(post_ids)
            )
        )
    )
    session.add_all(
        IncidentPost(incident_id=incident_id, post_id=post_id)
        for post_id in dict.fromkeys(post_ids)
        if post_id not in known
    )


def get_setting(session: Session, hashtag: str, *, for_update: bool = False) -> AlertSetting | None:
    statement = select(AlertSetting).where(AlertSetting.hashtag == hashtag)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()
