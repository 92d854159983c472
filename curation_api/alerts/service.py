"""The rules of incidents: how an alert message changes one, what moderators may do, and the
per-hashtag alert settings. Every change announced to webhooks is written by
:func:`curation_api.webhooks.events.emit` in the caller's transaction; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from contract import Alert, AlertKind, normalize_hashtag
from curation_api.alerts import repository
from curation_api.alerts.schemas import (
    AlertSettingsRead,
    AlertSettingsUpdate,
    IncidentRead,
    SnoozeCreate,
)
from curation_api.kit import Conflict, DomainError, Moderator, NotFound, Page, page_of
from curation_api.webhooks.events import WebhookEventType, emit
from database.models import AlertSetting, Incident, IncidentStatus, ResolveReason

Outcome = Literal["created", "updated", "resolved", "stale", "ignored"]


class InvalidHashtag(DomainError):
    status_code = 422
    description = "Not a usable hashtag or snooze"


# --- From the stream --------------------------------------------------------------------------


def apply_alert(session: Session, alert: Alert, *, now: datetime, base_url: str) -> Outcome:
    """Apply one message of ``ugc.alerts``; idempotent and safe to replay.

    A message not newer than the last one applied (``sequence``) changes nothing; a ``fired``
    of an incident already resolved is ignored. ``updated`` keeps an acknowledged incident
    acknowledged and a resolved one resolved (a person closed it; the numbers still follow).
    ``resolved`` auto-resolves unless it is resolved already. The first message seen of an
    incident creates it (announced as fired, or as resolved if that is all there is).
    """
    incident = repository.get_incident(session, alert.alert_id, for_update=True)
    event: WebhookEventType | None = None
    if incident is None:
        incident = _new_incident(alert)
        session.add(incident)
        outcome: Outcome = "created"
        event = WebhookEventType.ALERT_FIRED
        if alert.kind is AlertKind.RESOLVED:
            _auto_resolve(incident, alert)
            event = WebhookEventType.ALERT_RESOLVED
    elif alert.sequence <= incident.last_sequence:
        return "stale"
    elif alert.kind is AlertKind.FIRED and incident.status is IncidentStatus.RESOLVED:
        return "ignored"
    else:
        _copy_numbers(incident, alert)
        outcome = "updated"
        if alert.kind is AlertKind.RESOLVED and incident.status is not IncidentStatus.RESOLVED:
            _auto_resolve(incident, alert)
            outcome, event = "resolved", WebhookEventType.ALERT_RESOLVED
        elif alert.kind is AlertKind.UPDATED and incident.status is not IncidentStatus.RESOLVED:
            event = WebhookEventType.ALERT_UPDATED
    session.flush()
    repository.link_posts(session, incident.id, alert.post_ids)
    if event is not None:
        data = IncidentRead.from_row(incident, base_url=base_url).webhook_data()
        emit(session, event, data, now=now)
    return outcome


def _new_incident(alert: Alert) -> Incident:
    incident = Incident(
        id=alert.alert_id,
        hashtag=alert.hashtag,
        status=IncidentStatus.FIRING,
        first_seen=alert.detected_at,
    )
    _copy_numbers(incident, alert)
    return incident


def _copy_numbers(incident: Incident, alert: Alert) -> None:
    incident.window_start = alert.window_start
    incident.window_end = alert.window_end
    incident.negative_count = alert.negative_count
    incident.expected_negative = alert.expected_negative
    incident.total_count = alert.total_count
    incident.negative_share = alert.negative_share
    incident.baseline_share = alert.baseline_share
    incident.score = alert.score
    incident.peak_score = alert.peak_score
    incident.reasons = list(alert.reasons)
    incident.top_posts = [p.model_dump(mode="json") for p in alert.top_posts]
    incident.top_terms = list(alert.top_terms)
    incident.networks = dict(alert.networks)
    incident.last_sequence = alert.sequence
    incident.detected_at = alert.detected_at
    incident.as_of = alert.as_of
    incident.last_seen = alert.detected_at


def _auto_resolve(incident: Incident, alert: Alert) -> None:
    # The stream's time, not the sink's: a replay into a fresh database writes the same rows.
    incident.status = IncidentStatus.RESOLVED
    incident.resolve_reason = ResolveReason.AUTO
    incident.resolved_at = alert.detected_at
    incident.resolved_by = None


# --- Moderators ---------------------------------------------------------------------------------


def list_incidents(
    session: Session,
    *,
    statuses: list[IncidentStatus],
    hashtags: list[str],
    cursor: str | None,
    limit: int,
    base_url: str,
) -> Page[IncidentRead]:
    rows = repository.list_incidents(
        session,
        statuses=statuses,
        hashtags=[t for t in map(normalize_hashtag, hashtags) if t],
        cursor=cursor,
        limit=limit + 1,
    )
    return page_of(
        rows,
        limit=limit,
        key=repository.incident_key,
        item=lambda row: IncidentRead.from_row(row, base_url=base_url),
    )


def get_incident(session: Session, incident_id: str, *, base_url: str) -> IncidentRead:
    return IncidentRead.from_row(_incident(session, incident_id), base_url=base_url)


def acknowledge(
    session: Session, incident_id: str, moderator: Moderator, *, now: datetime, base_url: str
) -> IncidentRead:
    """Someone is on it. Acknowledging an acknowledged incident changes nothing; a resolved
    one cannot be acknowledged (409)."""
    incident = _incident(session, incident_id, for_update=True)
    if incident.status is IncidentStatus.RESOLVED:
        raise Conflict(f"incident {incident_id} is resolved: there is nothing to acknowledge")
    if incident.status is IncidentStatus.FIRING:
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.acknowledged_by = moderator.name
        incident.acknowledged_at = now
        session.flush()
    return IncidentRead.from_row(incident, base_url=base_url)


def resolve(
    session: Session, incident_id: str, moderator: Moderator, *, now: datetime, base_url: str
) -> IncidentRead:
    """A person closes the incident (announced as ``alert.resolved``); resolving a resolved
    incident changes nothing."""
    incident = _incident(session, incident_id, for_update=True)
    read = IncidentRead.from_row(incident, base_url=base_url)
    if incident.status is IncidentStatus.RESOLVED:
        return read
    incident.status = IncidentStatus.RESOLVED
    incident.resolve_reason = ResolveReason.PERSON
    incident.resolved_by = moderator.name
    incident.resolved_at = now
    session.flush()
    read = IncidentRead.from_row(incident, base_url=base_url)
    emit(session, WebhookEventType.ALERT_RESOLVED, read.webhook_data(), now=now)
    return read


def _incident(session: Session, incident_id: str, *, for_update: bool = False) -> Incident:
    incident = repository.get_incident(session, incident_id, for_update=for_update)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


# --- Alert settings -----------------------------------------------------------------------------


def get_settings(session: Session, hashtag: str) -> AlertSettingsRead:
    """The settings of a hashtag; all null (the defaults) when it never had any."""
    tag = _hashtag(hashtag)
    row = repository.get_setting(session, tag)
    if row is None:
        return AlertSettingsRead(
            hashtag=tag,
            sensitivity=None,
            min_volume=None,
            cooldown_minutes=None,
            snoozed_until=None,
            updated_at=None,
        )
    return AlertSettingsRead.from_row(row)


def put_settings(
    session: Session, hashtag: str, body: AlertSettingsUpdate, *, now: datetime
) -> AlertSettingsRead:
    """Replace the sensitivity, minimum volume and cooldown (a snooze is kept)."""
    row = _setting_row(session, hashtag, now=now)
    row.sensitivity = body.sensitivity
    row.min_volume = body.min_volume
    row.cooldown_minutes = body.cooldown_minutes
    session.flush()
    return AlertSettingsRead.from_row(row)


def snooze(
    session: Session, hashtag: str, body: SnoozeCreate, *, now: datetime
) -> AlertSettingsRead:
    until = body.end(now)
    if until <= now:
        raise InvalidHashtag(f"snooze until {until.isoformat()} is not in the future")
    row = _setting_row(session, hashtag, now=now)
    row.snoozed_until = until
    session.flush()
    return AlertSettingsRead.from_row(row)


def unsnooze(session: Session, hashtag: str, *, now: datetime) -> AlertSettingsRead:
    """End the snooze; a hashtag that is not snoozed is left as it is."""
    tag = _hashtag(hashtag)
    row = repository.get_setting(session, tag, for_update=True)
    if row is not None and row.snoozed_until is not None:
        row.snoozed_until = None
        row.updated_at = now
        session.flush()
    return get_settings(session, tag)


def _setting_row(session: Session, hashtag: str, *, now: datetime) -> AlertSetting:
    tag = _hashtag(hashtag)
    row = repository.get_setting(session, tag, for_update=True)
    if row is None:
        row = AlertSetting(hashtag=tag)
        session.add(row)
    row.updated_at = now
    return row


def _hashtag(hashtag: str) -> str:
    tag = normalize_hashtag(hashtag)
    if not tag or len(tag) > 255:
        raise InvalidHashtag(f"{hashtag!r} is not a hashtag (1-255 characters, `#` optional)")
    return tag
