"""What moderators send and read about incidents and alert settings; :class:`IncidentRead` is
also the ``data`` of the ``alert.*`` webhook events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import quote

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contract import AlertPost
from database.models import AlertSensitivity, AlertSetting, Incident, IncidentStatus, ResolveReason


class IncidentRead(BaseModel):
    """One burst on one hashtag: the latest numbers and evidence, and what people did."""

    id: str = Field(description="The alert id: `{hashtag}:{first bucket start}`.")
    status: IncidentStatus
    hashtag: str
    window_start: AwareDatetime
    window_end: AwareDatetime
    negative_count: int = Field(description="Negative posts in the window.")
    expected_negative: float = Field(description="Negative posts the baseline expects there.")
    total_count: int
    negative_share: float
    baseline_share: float
    score: float = Field(description="The latest score, 0-1.")
    peak_score: float
    reasons: list[str] = Field(description="The signals that carried it.")
    top_posts: list[AlertPost] = Field(description="The most-engaged negative posts.")
    top_terms: list[str]
    networks: dict[str, int] = Field(description="Negative posts per network.")
    sequence: int = Field(description="The sequence of the last alert message applied.")
    detected_at: AwareDatetime
    as_of: AwareDatetime | None = Field(
        default=None,
        description="The hashtag's stream time (its newest post's date) when the last alert "
        "message was made; null for messages of older detectors.",
    )
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    acknowledged_by: str | None
    acknowledged_at: AwareDatetime | None
    resolved_by: str | None
    resolved_at: AwareDatetime | None
    resolve_reason: ResolveReason | None
    queue_url: str = Field(description="The moderation queue filtered to this incident's posts.")

    @classmethod
    def from_row(cls, incident: Incident, *, base_url: str) -> IncidentRead:
        return cls(
            id=incident.id,
            status=incident.status,
            hashtag=incident.hashtag,
            window_start=incident.window_start,
            window_end=incident.window_end,
            negative_count=incident.negative_count,
            expected_negative=incident.expected_negative,
            total_count=incident.total_count,
            negative_share=incident.negative_share,
            baseline_share=incident.baseline_share,
            score=incident.score,
            peak_score=incident.peak_score,
            reasons=incident.reasons,
            top_posts=[AlertPost.model_validate(p) for p in incident.top_posts],
            top_terms=incident.top_terms,
            networks=incident.networks,
            sequence=incident.last_sequence,
            detected_at=incident.detected_at,
            as_of=incident.as_of,
            first_seen=incident.first_seen,
            last_seen=incident.last_seen,
            acknowledged_by=incident.acknowledged_by,
            acknowledged_at=incident.acknowledged_at,
            resolved_by=incident.resolved_by,
            resolved_at=incident.resolved_at,
            resolve_reason=incident.resolve_reason,
            queue_url=queue_url(base_url, incident.id),
        )

    def webhook_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def queue_url(base_url: str, incident_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/queue?status=all&incident={quote(incident_id, safe='')}"


class AlertSettingsUpdate(BaseModel):
    """How a hashtag alerts; an absent or null field takes the spike stream's default."""

    model_config = ConfigDict(extra="forbid")

    sensitivity: AlertSensitivity | None = Field(
        default=None, description="`fewer`, `balanced` or `more` alerts."
    )
    min_volume: int | None = Field(
        default=None, ge=1, le=100_000, description="Negative posts before an alert may fire."
    )
    cooldown_minutes: int | None = Field(
        default=None, ge=0, le=7 * 24 * 60, description="Quiet time after a burst ended."
    )


class AlertSettingsRead(BaseModel):
    hashtag: str
    sensitivity: AlertSensitivity | None = Field(description="Null: the stream's default.")
    min_volume: int | None
    cooldown_minutes: int | None
    snoozed_until: AwareDatetime | None
    updated_at: AwareDatetime | None = Field(description="Null: never set (all defaults).")

    @classmethod
    def from_row(cls, row: AlertSetting) -> AlertSettingsRead:
        return cls(
            hashtag=row.hashtag,
            sensitivity=row.sensitivity,
            min_volume=row.min_volume,
            cooldown_minutes=row.cooldown_minutes,
            snoozed_until=row.snoozed_until,
            updated_at=row.updated_at,
        )


class SnoozeCreate(BaseModel):
    """Snooze until a time, or for a number of minutes (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    until: AwareDatetime | None = None
    minutes: int | None = Field(default=None, ge=1, le=90 * 24 * 60)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.until is None) == (self.minutes is None):
            raise ValueError("give either `until` or `minutes`")
        return self

    def end(self, now: datetime) -> datetime:
        return self.until if self.until is not None else now + timedelta(minutes=self.minutes or 0)
