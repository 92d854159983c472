"""Negative-spike incidents and the alert settings of each hashtag.

``alert_settings`` is written by moderators (API, CLI) and read by classify's spike stream every
few seconds; a NULL column means "the stream's default". ``incidents`` is written by the alerts
sink from ``ugc.alerts`` (one row per burst, keyed by the alert id) and by moderators
(acknowledge, resolve). ``incident_posts`` links an incident to the negative posts the stream
named as its evidence: a link table rather than a JSON list so that the queue filter "posts of
this incident" is a plain, indexed semi-join on both backends, composed with the queue's other
filters and its keyset pagination. It has no foreign key to ``posts``: the alert may arrive
before the scored-post sink stored its posts, and the join simply finds them once it has.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database.columns import string_enum
from database.engine import Base, UtcDateTime

HASHTAG_LENGTH = 255
INCIDENT_ID_LENGTH = 320


class AlertSensitivity(StrEnum):
    FEWER = "fewer"
    BALANCED = "balanced"
    MORE = "more"


class IncidentStatus(StrEnum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ResolveReason(StrEnum):
    AUTO = "auto"  # the stream saw the series back at its baseline
    PERSON = "person"  # a moderator resolved it


class AlertSetting(Base):
    """How one hashtag alerts; NULL columns take the spike stream's defaults."""

    __tablename__ = "alert_settings"

    hashtag: Mapped[str] = mapped_column(String(HASHTAG_LENGTH), primary_key=True)
    sensitivity: Mapped[AlertSensitivity | None] = mapped_column(
        string_enum(AlertSensitivity, "alert_sensitivity")
    )
    min_volume: Mapped[int | None] = mapped_column(Integer)
    cooldown_minutes: Mapped[int | None] = mapped_column(Integer)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Incident(Base):
    """One burst on one hashtag, as the latest alert message described it, plus what people did.

    ``last_sequence`` is the sequence of the last message applied: the sink ignores anything
    not newer, so replaying the topic changes nothing.
    """

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(INCIDENT_ID_LENGTH), primary_key=True)
    hashtag: Mapped[str] = mapped_column(String(HASHTAG_LENGTH))
    status: Mapped[IncidentStatus] = mapped_column(string_enum(IncidentStatus, "incident_status"))
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    negative_count: Mapped[int] = mapped_column(Integer)
    expected_negative: Mapped[float] = mapped_column(Float)
    total_count: Mapped[int] = mapped_column(Integer)
    negative_share: Mapped[float] = mapped_column(Float)
    baseline_share: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    peak_score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    top_posts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    top_terms: Mapped[list[str]] = mapped_column(JSON)
    networks: Mapped[dict[str, int]] = mapped_column(JSON)
    last_sequence: Mapped[int] = mapped_column(Integer)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The hashtag's stream time of the last message applied (NULL from older workers).
    as_of: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolve_reason: Mapped[ResolveReason | None] = mapped_column(
        string_enum(ResolveReason, "resolve_reason")
    )

    # The list pages newest first by (first_seen, id), optionally within a status or a hashtag.
    __table_args__ = (
        Index("ix_incidents_first_seen_id", "first_seen", "id"),
        Index("ix_incidents_status_first_seen_id", "status", "first_seen", "id"),
        Index("ix_incidents_hashtag_first_seen_id", "hashtag", "first_seen", "id"),
    )


class IncidentPost(Base):
    __tablename__ = "incident_posts"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[str] = mapped_column(String(300), primary_key=True)
