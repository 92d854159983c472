"""The events the product announces to webhook endpoints, and :func:`emit`, which writes one
into the outbox of the caller's transaction.

Callers (moderation, rights, the alerts sink) call :func:`emit` where the state changes, in the
same transaction: the event and its deliveries commit or roll back with the change, and the
delivery worker sends them later. Nothing here touches the network.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from database.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent


class WebhookEventType(StrEnum):
    ALERT_FIRED = "alert.fired"
    ALERT_UPDATED = "alert.updated"
    ALERT_RESOLVED = "alert.resolved"
    POST_APPROVED = "post.approved"
    RIGHTS_GRANTED = "rights.granted"
    RIGHTS_REVOKED = "rights.revoked"
    # Sent by `POST /v1/webhooks/{id}/test` to that endpoint only; nobody subscribes to it.
    WEBHOOK_TEST = "webhook.test"


SUBSCRIBABLE = tuple(t for t in WebhookEventType if t is not WebhookEventType.WEBHOOK_TEST)


def new_event_id() -> str:
    """A `webhook-id`: ``msg_`` and 32 random hex digits."""
    return f"msg_{uuid.uuid4().hex}"


def emit(
    session: Session, event_type: WebhookEventType, data: dict[str, Any], *, now: datetime
) -> None:
    """Write one event row and one pending delivery per enabled endpoint subscribed to it, in
    the caller's transaction (flush only, never commit, never a network call).

    With no subscriber nothing is written: an event nobody will receive is not kept.
    """
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
    ).all()
    subscribed = [e for e in endpoints if event_type.value in e.events]
    if subscribed:
        record_event(session, event_type, data, now=now, endpoints=subscribed)


def record_event(
    session: Session,
    event_type: WebhookEventType,
    data: dict[str, Any],
    *,
    now: datetime,
    endpoints: list[WebhookEndpoint],
) -> list[WebhookDelivery]:
    """The event row and a pending delivery of it to each of ``endpoints``, flushed."""
    event = WebhookEvent(
        id=new_event_id(),
        type=event_type.value,
        payload={
            "type": event_type.value,
            "timestamp": now.isoformat(),
            "data": to_jsonable_python(data),
        },
        created_at=now,
    )
    session.add(event)
    session.flush()
    deliveries = [pending_delivery(endpoint.id, event.id, now=now) for endpoint in endpoints]
    session.add_all(deliveries)
    session.flush()
    return deliveries


def pending_delivery(endpoint_id: int, event_id: str, *, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event_id=event_id,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
