"""The rules of webhook endpoints: registering (with the SSRF check and the secret), changing,
rotating the secret, the delivery log, redelivery and the test event."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from curation_api.kit import Conflict, DomainError, NotFound, Page, decode_cursor, page_of
from curation_api.outbound import Resolver, UnsafeUrl, check_url, resolve
from curation_api.webhooks import repository
from curation_api.webhooks.events import WebhookEventType, pending_delivery, record_event
from curation_api.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookSecretRead,
)
from curation_api.webhooks.settings import WebhookSettings
from curation_api.webhooks.signing import new_secret
from database.webhook_models import WebhookEndpoint, WebhookFormat

ID_KEY: TypeAdapter[tuple[int]] = TypeAdapter(tuple[int])


class UnsafeWebhookUrl(DomainError):
    status_code = 422
    description = "The URL is not one webhooks may be sent to (SSRF guard)"


def _checked_url(url: str, settings: WebhookSettings, resolver: Resolver) -> str:
    try:
        check_url(url, allow_private=settings.webhooks_allow_private, resolver=resolver)
    except UnsafeUrl as exc:
        raise UnsafeWebhookUrl(str(exc)) from None
    return url


def create_endpoint(
    session: Session,
    body: WebhookEndpointCreate,
    settings: WebhookSettings,
    *,
    now: datetime,
    resolver: Resolver = resolve,
) -> WebhookEndpointCreated:
    """Register an endpoint; a ``standard`` one gets its secret, shown in this answer only."""
    endpoint = WebhookEndpoint(
        url=_checked_url(body.url, settings, resolver),
        format=body.format,
        events=[e.value for e in body.events],
        enabled=body.enabled,
        description=body.description,
        secret=new_secret() if body.format is WebhookFormat.STANDARD else None,
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return WebhookEndpointCreated(
        **WebhookEndpointRead.from_row(endpoint, now=now).model_dump(), secret=endpoint.secret
    )


def list_endpoints(
    session: Session, *, cursor: str | None, limit: int, now: datetime
) -> Page[WebhookEndpointRead]:
    after = decode_cursor(cursor, ID_KEY)[0] if cursor is not None else None
    rows = repository.list_endpoints(session, after=after, limit=limit + 1)
    return page_of(
        rows,
        limit=limit,
        key=lambda row: (row.id,),
        item=lambda row: WebhookEndpointRead.from_row(row, now=now),
    )


def existing_endpoint(
    session: Session, endpoint_id: int, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = repository.get_endpoint(session, endpoint_id, for_update=for_update)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint


def update_endpoint(
    session: Session,
    endpoint_id: int,
    body: WebhookEndpointUpdate,
    settings: WebhookSettings,
    *,
    now: datetime,
    resolver: Resolver = resolve,
) -> WebhookEndpointRead:
    """Change an endpoint. Disabling it gives up its pending deliveries (they would be stale by
    the time it is enabled again); enabling it clears the reason it was disabled for."""
    endpoint = existing_endpoint(session, endpoint_id, for_update=True)
    if body.url is not None:
        endpoint.url = _checked_url(body.url, settings, resolver)
    if body.events is not None:
        endpoint.events = [e.value for e in body.events]
    if "description" in body.model_fields_set:
        endpoint.description = body.description
    if body.enabled is not None and body.enabled != endpoint.enabled:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.disabled_reason = None
            endpoint.consecutive_failures = 0
        else:
            repository.fail_pending(session, endpoint.id, "endpoint disabled", now=now)
    endpoint.updated_at = now
    session.flush()
    return WebhookEndpointRead.from_row(endpoint, now=now)


def delete_endpoint(session: Session, endpoint_id: int) -> None:
    """Delete an endpoint with its deliveries and their attempts."""
    endpoint = existing_endpoint(session, endpoint_id, for_update=True)
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, endpoint_id: int, settings: WebhookSettings, *, now: datetime
) -> WebhookSecretRead:
    """A new secret; the current one keeps signing, beside it, for the grace period."""
    endpoint = existing_endpoint(session, endpoint_id, for_update=True)
    if endpoint.format is not WebhookFormat.STANDARD:
        raise Conflict(f"webhook endpoint {endpoint_id} is in the slack format: it has no secret")
    expires = now + timedelta(seconds=settings.webhooks_secret_grace_s)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = expires
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.flush()
    return WebhookSecretRead(secret=endpoint.secret, previous_secret_expires_at=expires)


def deliveries(
    session: Session, endpoint_id: int, *, cursor: str | None, limit: int
) -> Page[WebhookDeliveryRead]:
    """One page of an endpoint's delivery log, newest first."""
    existing_endpoint(session, endpoint_id)
    before = decode_cursor(cursor, ID_KEY)[0] if cursor is not None else None
    rows = repository.deliveries_of(session, endpoint_id, before=before, limit=limit + 1)
    return page_of(rows, limit=limit, key=lambda row: (row.id,), item=WebhookDeliveryRead.from_row)


def attempts(
    session: Session, delivery_id: int, *, cursor: str | None, limit: int
) -> Page[WebhookAttemptRead]:
    """One page of a delivery's attempts, oldest first."""
    if repository.get_delivery(session, delivery_id) is None:
        raise _delivery_not_found(delivery_id)
    after = decode_cursor(cursor, ID_KEY)[0] if cursor is not None else None
    rows = repository.attempts_of(session, delivery_id, after=after, limit=limit + 1)
    return page_of(rows, limit=limit, key=lambda row: (row.id,), item=WebhookAttemptRead.from_row)


def redeliver(session: Session, delivery_id: int, *, now: datetime) -> WebhookDeliveryRead:
    """A new pending delivery of the same event to the same endpoint, due now: the same
    ``webhook-id``, so a receiver that got it already drops it."""
    delivery = repository.get_delivery(session, delivery_id)
    if delivery is None:
        raise _delivery_not_found(delivery_id)
    endpoint = existing_endpoint(session, delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict(f"webhook endpoint {endpoint.id} is disabled: enable it first")
    again = pending_delivery(endpoint.id, delivery.event_id, now=now)
    session.add(again)
    session.flush()
    return WebhookDeliveryRead.from_row(again)


def send_test(session: Session, endpoint_id: int, *, now: datetime) -> WebhookDeliveryRead:
    """A ``webhook.test`` event to this endpoint only (refused for a disabled endpoint: the
    worker does not send to it)."""
    endpoint = existing_endpoint(session, endpoint_id)
    if not endpoint.enabled:
        raise Conflict(f"webhook endpoint {endpoint.id} is disabled: enable it first")
    data = {"message": "Test event from the UGC curation API", "endpoint_id": endpoint.id}
    (delivery,) = record_event(
        session, WebhookEventType.WEBHOOK_TEST, data, now=now, endpoints=[endpoint]
    )
    return WebhookDeliveryRead.from_row(delivery)


def _delivery_not_found(delivery_id: int) -> NotFound:
    return NotFound(f"no webhook delivery with id {delivery_id}")
