"""HTTP routes of incidents and alert settings; the rules live in :mod:`.service`.

The settings routes are declared before ``/v1/alerts/{incident_id}`` so that ``settings`` is
never read as an incident id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from curation_api.alerts import service
from curation_api.alerts.schemas import (
    AlertSettingsRead,
    AlertSettingsUpdate,
    IncidentRead,
    SnoozeCreate,
)
from curation_api.alerts.service import InvalidHashtag
from curation_api.kit import (
    Conflict,
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    Page,
    SessionDep,
    SettingsDep,
    Unauthorized,
    error_responses,
)
from database.models import IncidentStatus

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

SETTINGS_ERRORS = error_responses(Unauthorized, InvalidHashtag)


@router.get("", responses=error_responses(Unauthorized, InvalidCursor))
def list_incidents(
    _moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[
        list[IncidentStatus], Query(description="Incidents in any of these states.")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    hashtag: Annotated[list[str], Query(description="Incidents on any of these hashtags.")] = [],  # noqa: B006
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[IncidentRead]:
    """Spike incidents, newest first."""
    return service.list_incidents(
        session,
        statuses=status,
        hashtags=hashtag,
        cursor=cursor,
        limit=limit,
        base_url=settings.public_base_url,
    )


@router.get("/settings/{hashtag}", responses=SETTINGS_ERRORS)
def get_alert_settings(
    hashtag: str, _moderator: ModeratorDep, session: SessionDep
) -> AlertSettingsRead:
    """How a hashtag alerts (null fields: the spike stream's defaults)."""
    return service.get_settings(session, hashtag)


@router.put("/settings/{hashtag}", responses=SETTINGS_ERRORS)
def put_alert_settings(
    hashtag: str,
    body: AlertSettingsUpdate,
    _moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
) -> AlertSettingsRead:
    """Set the sensitivity, minimum volume and cooldown of a hashtag; the stream applies them
    within `UGC_SPIKES_SETTINGS_REFRESH_S`."""
    return service.put_settings(session, hashtag, body, now=now)


@router.post("/settings/{hashtag}/snooze", responses=SETTINGS_ERRORS)
def snooze_hashtag(
    hashtag: str, body: SnoozeCreate, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> AlertSettingsRead:
    """Silence a hashtag's alerts until a time or for some minutes (the detector still
    learns; a burst still on when the snooze ends is announced then)."""
    return service.snooze(session, hashtag, body, now=now)


@router.delete("/settings/{hashtag}/snooze", responses=SETTINGS_ERRORS)
def unsnooze_hashtag(
    hashtag: str, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> AlertSettingsRead:
    """End a hashtag's snooze."""
    return service.unsnooze(session, hashtag, now=now)


@router.get("/{incident_id}", responses=error_responses(Unauthorized, NotFound))
def get_incident(
    incident_id: str, _moderator: ModeratorDep, session: SessionDep, settings: SettingsDep
) -> IncidentRead:
    """One incident with its evidence."""
    return service.get_incident(session, incident_id, base_url=settings.public_base_url)


@router.post(
    "/{incident_id}/acknowledge", responses=error_responses(Unauthorized, NotFound, Conflict)
)
def acknowledge_incident(
    incident_id: str,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> IncidentRead:
    """Someone is on it (recorded with the `X-Actor`). Idempotent; 409 once resolved."""
    return service.acknowledge(
        session, incident_id, moderator, now=now, base_url=settings.public_base_url
    )


@router.post("/{incident_id}/resolve", responses=error_responses(Unauthorized, NotFound))
def resolve_incident(
    incident_id: str,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> IncidentRead:
    """Close the incident (announced as `alert.resolved`). Idempotent."""
    return service.resolve(
        session, incident_id, moderator, now=now, base_url=settings.public_base_url
    )
