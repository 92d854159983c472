"""The webhooks API's request and response bodies."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from curation_api.webhooks.events import SUBSCRIBABLE, WebhookEventType
from database.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookFormat,
)

URL_MAX = 2000
DESCRIPTION_MAX = 500


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return url


def _subscribable(events: list[WebhookEventType]) -> list[WebhookEventType]:
    refused = [e for e in events if e not in SUBSCRIBABLE]
    if refused:
        raise ValueError(f"{refused[0].value} cannot be subscribed to (it is sent on request)")
    return sorted(set(events), key=list(WebhookEventType).index)


Events = list[WebhookEventType]
EVENTS_DESCRIPTION = "The events to send: at least one of " + ", ".join(
    f"`{e.value}`" for e in SUBSCRIBABLE
)


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=URL_MAX, examples=["https://hooks.slack.com/services/T0/B0/x"])
    events: Events = Field(min_length=1, description=EVENTS_DESCRIPTION)
    format: WebhookFormat = Field(
        default=WebhookFormat.STANDARD,
        description=(
            "`standard`: signed JSON (Standard Webhooks); `slack`: an incoming-webhook body with "
            "blocks and a text fallback (Slack, Mattermost, Rocket.Chat)."
        ),
    )
    enabled: bool = True
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return _http_url(url)

    @field_validator("events")
    @classmethod
    def _check_events(cls, events: Events) -> Events:
        return _subscribable(events)


class WebhookEndpointUpdate(BaseModel):
    """The fields to change; the format is fixed at creation (a new endpoint changes it)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=URL_MAX)
    events: Events | None = Field(default=None, min_length=1, description=EVENTS_DESCRIPTION)
    enabled: bool | None = Field(
        default=None,
        description="Disabling fails the endpoint's pending deliveries; enabling clears the "
        "reason the worker disabled it for.",
    )
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        return None if url is None else _http_url(url)

    @field_validator("events")
    @classmethod
    def _check_events(cls, events: Events | None) -> Events | None:
        return None if events is None else _subscribable(events)


class WebhookEndpointRead(BaseModel):
    id: int
    url: str
    format: WebhookFormat
    events: list[str]
    enabled: bool
    description: str | None
    disabled_reason: str | None = Field(
        description="Why the delivery worker disabled the endpoint (410 Gone, failed events)."
    )
    consecutive_failures: int = Field(description="Events given up on in a row.")
    previous_secret_expires_at: AwareDatetime | None = Field(
        description="Until when the secret before the last rotation still signs deliveries."
    )
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @classmethod
    def from_row(cls, row: WebhookEndpoint, *, now: datetime | None = None) -> WebhookEndpointRead:
        expires = row.previous_secret_expires_at
        if expires is not None and now is not None and expires <= now:
            expires = None
        return cls(
            id=row.id,
            url=row.url,
            format=row.format,
            events=list(row.events),
            enabled=row.enabled,
            description=row.description,
            disabled_reason=row.disabled_reason,
            consecutive_failures=row.consecutive_failures,
            previous_secret_expires_at=expires,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class WebhookEndpointCreated(WebhookEndpointRead):
    secret: str | None = Field(
        description="The signing secret of a `standard` endpoint (`whsec_...`): shown this once."
    )


class WebhookSecretRead(BaseModel):
    secret: str = Field(description="The new signing secret (`whsec_...`): shown this once.")
    previous_secret_expires_at: AwareDatetime = Field(
        description="Until then deliveries carry a signature with the previous secret too."
    )


class WebhookDeliveryRead(BaseModel):
    id: int
    endpoint_id: int
    event_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: AwareDatetime | None
    created_at: AwareDatetime
    finished_at: AwareDatetime | None

    @classmethod
    def from_row(cls, row: WebhookDelivery) -> WebhookDeliveryRead:
        return cls(
            id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            event_type=row.event.type,
            status=row.status,
            attempts=row.attempts,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


class WebhookAttemptRead(BaseModel):
    id: int
    delivery_id: int
    at: AwareDatetime
    status_code: int | None = Field(description="The receiver's answer; null: none (an error).")
    latency_ms: int
    error: str | None
    response_body: str | None = Field(description="The start of the receiver's answer (2 KB).")

    @classmethod
    def from_row(cls, row: WebhookAttempt) -> WebhookAttemptRead:
        return cls(
            id=row.id,
            delivery_id=row.delivery_id,
            at=row.at,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            response_body=row.response_body,
        )
