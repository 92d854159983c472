"""Webhooks: the endpoints people register, the events the product emits, and the outbox of
deliveries (one per endpoint and event) with every attempt to send one.

An event and its deliveries are written in the transaction of the change of state they
announce; the delivery worker (``curation_api/webhooks/delivery.py``) sends the due ones. The
event id is the ``webhook-id`` header: stable across retries and redeliveries, so receivers
dedupe on it.

Secrets are stored readable because signing needs them (an HMAC key cannot be hashed away);
they are never logged and leave the API only once, when created or rotated.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.columns import big_id, string_enum
from database.engine import Base, UtcDateTime

EVENT_ID_LENGTH = 40
EVENT_TYPE_LENGTH = 40


class WebhookFormat(StrEnum):
    SLACK = "slack"  # an incoming-webhook body (Slack, Mattermost, Rocket.Chat)
    STANDARD = "standard"  # signed JSON, Standard Webhooks


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up, or the endpoint was disabled


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text)
    format: Mapped[WebhookFormat] = mapped_column(string_enum(WebhookFormat, "format"))
    # The event types it subscribed to (values of WebhookEventType); endpoints are few, so the
    # subscription test runs in Python over the enabled ones.
    events: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(Text)
    # `whsec_<base64>` for the standard format; the previous one signs too until it expires.
    secret: Mapped[str | None] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the worker disabled it (410 Gone, too many failed events); cleared on re-enable.
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Events given up on in a row; a delivered event resets it.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(EVENT_ID_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_LENGTH))
    # The body of a standard delivery: {"type", "timestamp", "data"}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event to one endpoint: the outbox row the worker polls while it is pending."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    endpoint_id: Mapped[int] = mapped_column(
        big_id(), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(string_enum(DeliveryStatus, "status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    event: Mapped[WebhookEvent] = relationship(lazy="joined", innerjoin=True)
    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise")

    __table_args__ = (
        # The worker's poll: pending deliveries, soonest due first.
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # An endpoint's delivery log, newest first, keyset on id.
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )


class WebhookAttempt(Base):
    """One HTTP request of a delivery, kept for the delivery log."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        big_id(), ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_webhook_attempts_delivery_id_id", "delivery_id", "id"),)
