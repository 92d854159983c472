"""HTTP routes of webhook endpoints, their delivery log and redelivery (moderators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from curation_api.kit import (
    Conflict,
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    Page,
    SessionDep,
    Unauthorized,
    error_responses,
)
from curation_api.webhooks import service
from curation_api.webhooks.schemas import (
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookSecretRead,
)
from curation_api.webhooks.service import UnsafeWebhookUrl
from curation_api.webhooks.settings import WebhookSettings

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

Limit = Annotated[int, Query(ge=1, le=200)]


def get_webhook_settings(request: Request) -> WebhookSettings:
    """The webhook settings of this app: ``app.state.webhook_settings`` when the caller set
    it (tests, the demo), else read once from the environment and kept there."""
    settings: WebhookSettings | None = getattr(request.app.state, "webhook_settings", None)
    if settings is None:
        settings = request.app.state.webhook_settings = WebhookSettings()
    return settings


WebhookSettingsDep = Annotated[WebhookSettings, Depends(get_webhook_settings)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Unauthorized, UnsafeWebhookUrl),
)
def create_endpoint(
    body: WebhookEndpointCreate,
    _moderator: ModeratorDep,
    session: SessionDep,
    settings: WebhookSettingsDep,
    now: NowDep,
) -> WebhookEndpointCreated:
    """Register an endpoint. A `standard` endpoint's signing secret is in this answer only."""
    return service.create_endpoint(session, body, settings, now=now)


@router.get("", responses=error_responses(Unauthorized, InvalidCursor))
def list_endpoints(
    _moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    cursor: CursorQuery = None,
    limit: Limit = 50,
) -> Page[WebhookEndpointRead]:
    """The endpoints, oldest first."""
    return service.list_endpoints(session, cursor=cursor, limit=limit, now=now)


@router.get("/{endpoint_id}", responses=error_responses(Unauthorized, NotFound))
def get_endpoint(
    endpoint_id: int, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> WebhookEndpointRead:
    return WebhookEndpointRead.from_row(service.existing_endpoint(session, endpoint_id), now=now)


@router.patch("/{endpoint_id}", responses=error_responses(Unauthorized, NotFound, UnsafeWebhookUrl))
def update_endpoint(
    endpoint_id: int,
    body: WebhookEndpointUpdate,
    _moderator: ModeratorDep,
    session: SessionDep,
    settings: WebhookSettingsDep,
    now: NowDep,
) -> WebhookEndpointRead:
    """Change an endpoint's URL, events, description, or enable/disable it."""
    return service.update_endpoint(session, endpoint_id, body, settings, now=now)


@router.delete(
    "/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Unauthorized, NotFound),
)
def delete_endpoint(endpoint_id: int, _moderator: ModeratorDep, session: SessionDep) -> Response:
    """Delete an endpoint with its delivery log."""
    service.delete_endpoint(session, endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{endpoint_id}/secret/rotate", responses=error_responses(Unauthorized, NotFound, Conflict)
)
def rotate_secret(
    endpoint_id: int,
    _moderator: ModeratorDep,
    session: SessionDep,
    settings: WebhookSettingsDep,
    now: NowDep,
) -> WebhookSecretRead:
    """A new signing secret (shown once). Until `previous_secret_expires_at` deliveries are
    signed with both, so receivers can switch without losing any."""
    return service.rotate_secret(session, endpoint_id, settings, now=now)


@router.get(
    "/{endpoint_id}/deliveries",
    responses=error_responses(Unauthorized, NotFound, InvalidCursor),
)
def list_deliveries(
    endpoint_id: int,
    _moderator: ModeratorDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Limit = 50,
) -> Page[WebhookDeliveryRead]:
    """The endpoint's delivery log, newest first: status, attempts, last answer, next try."""
    return service.deliveries(session, endpoint_id, cursor=cursor, limit=limit)


@router.post(
    "/{endpoint_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(Unauthorized, NotFound, Conflict),
)
def send_test(
    endpoint_id: int, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> WebhookDeliveryRead:
    """Queue a `webhook.test` event to this endpoint only; the delivery worker sends it."""
    return service.send_test(session, endpoint_id, now=now)


@router.get(
    "/deliveries/{delivery_id}/attempts",
    responses=error_responses(Unauthorized, NotFound, InvalidCursor),
)
def list_attempts(
    delivery_id: int,
    _moderator: ModeratorDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Limit = 50,
) -> Page[WebhookAttemptRead]:
    """Every attempt of a delivery, oldest first: status code, latency, error, answer."""
    return service.attempts(session, delivery_id, cursor=cursor, limit=limit)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(Unauthorized, NotFound, Conflict),
)
def redeliver(
    delivery_id: int, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> WebhookDeliveryRead:
    """Send the delivery's event again (a new delivery, the same `webhook-id`)."""
    return service.redeliver(session, delivery_id, now=now)
