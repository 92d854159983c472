"""The webhooks' queries: endpoints, the delivery log, and the worker's poll of due
deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from database.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def get_endpoint(
    session: Session, endpoint_id: int, *, for_update: bool = False
) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def list_endpoints(session: Session, *, after: int | None, limit: int) -> list[WebhookEndpoint]:
    """Endpoints oldest first, keyset on id."""
    statement = select(WebhookEndpoint).order_by(WebhookEndpoint.id).limit(limit)
    if after is not None:
        statement = statement.where(WebhookEndpoint.id > after)
    return list(session.scalars(statement))


def get_delivery(session: Session, delivery_id: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id)


def deliveries_of(
    session: Session, endpoint_id: int, *, before: int | None, limit: int
) -> list[WebhookDelivery]:
    """An endpoint's deliveries newest first (``ix_webhook_deliveries_endpoint_id_id``)."""
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before is not None:
        statement = statement.where(WebhookDelivery.id < before)
    return list(session.scalars(statement))


def attempts_of(
    session: Session, delivery_id: int, *, after: int | None, limit: int
) -> list[WebhookAttempt]:
    """A delivery's attempts oldest first (``ix_webhook_attempts_delivery_id_id``)."""
    statement = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(WebhookAttempt.id > after)
    return list(session.scalars(statement))


def due_deliveries(session: Session, now: datetime, *, limit: int) -> list[WebhookDelivery]:
    """Pending deliveries of enabled endpoints due by ``now``, soonest first
    (``ix_webhook_deliveries_status_next_attempt_at``), locked with SKIP LOCKED on PostgreSQL
    so that two workers never send the same delivery at once (SQLite has a single writer)."""
    statement = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    return list(session.scalars(statement).unique())


def fail_pending(session: Session, endpoint_id: int, reason: str, *, now: datetime) -> int:
    """Give up every pending delivery of an endpoint (it was disabled); how many."""
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(
            status=DeliveryStatus.FAILED,
            last_error=reason,
            next_attempt_at=None,
            finished_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
