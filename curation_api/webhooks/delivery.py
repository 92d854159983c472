"""``ugc webhooks deliver``: sends the webhook outbox.

Every state lives in the database, so a restart loses nothing: a delivery is *claimed* in a
short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never claim the
same one; its ``next_attempt_at`` moves past the request's timeout, a lease), sent with no
transaction open (a slow receiver never holds a database lock), and its outcome recorded in a
second transaction with one :class:`~database.webhook_models.WebhookAttempt` row. A worker that
dies mid-request leaves the lease to expire and the delivery is sent again: at-least-once, and
the ``webhook-id`` (the event id) lets the receiver drop the duplicate.

Outcomes: 2xx delivered; ``410 Gone`` disables the endpoint and gives up its pending
deliveries; anything else (another status, a timeout, a refused address) is retried after an
exponential backoff with full jitter, until ``webhooks_retry_for_s`` after the delivery was
queued (a last try falls on that deadline), then given up. An endpoint whose
``webhooks_disable_after`` events in a row were given up on is disabled.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from contract import utcnow
from curation_api.outbound import GuardedTransport, Resolver, UnsafeUrl, check_url, resolve
from curation_api.polling import run_rounds
from curation_api.webhooks import repository
from curation_api.webhooks.settings import WebhookSettings
from curation_api.webhooks.signing import body_of, signed_headers
from curation_api.webhooks.slack import slack_body
from database.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookFormat,
)

log = logging.getLogger(__name__)

RESPONSE_BODY_MAX = 2048
ERROR_MAX = 2000
LEASE_MARGIN_S = 30.0
USER_AGENT = "ugc-webhooks/1"

Draw = Callable[[float], float]


def full_jitter(ceiling: float) -> float:
    return random.uniform(0.0, ceiling)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: the wait before retry ``n`` (1-based) is drawn
    from ``[0, min(cap, base * 2**(n-1))]``, at least a second (no hot loop)."""

    base_s: float
    cap_s: float

    def delay_s(self, failed_attempts: int, draw: Draw = full_jitter) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(failed_attempts - 1, 0))
        return max(1.0, draw(ceiling))


@dataclass(frozen=True)
class Claim:
    """What one attempt needs, read in the claiming transaction."""

    delivery_id: int
    endpoint_id: int
    event_id: str
    payload: dict[str, Any]
    url: str
    format: WebhookFormat
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryRound:
    attempted: int = 0
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0


class DeliveryWorker:
    """Sends due deliveries, one claim at a time; ``run_round`` is one poll (tests drive it
    with their own clock), ``run`` loops until a stop is asked for."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: WebhookSettings,
        *,
        clock: Callable[[], datetime] = utcnow,
        draw: Draw = full_jitter,
        resolver: Resolver = resolve,
        client: httpx.Client | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.draw = draw
        self.resolver = resolver
        self.backoff = Backoff(settings.webhooks_backoff_base_s, settings.webhooks_backoff_cap_s)
        self.client = client or httpx.Client(
            transport=GuardedTransport(
                allow_private=settings.webhooks_allow_private, resolver=resolver
            ),
            timeout=settings.webhooks_timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self.client.close()

    def run(self, stop_event: threading.Event) -> None:
        """Deliver until ``stop_event`` is set; the delivery in hand is finished first."""
        run_rounds(
            "webhook delivery worker",
            lambda stop: self.run_round(stop).attempted,
            batch_size=self.settings.webhooks_batch_size,
            poll_s=self.settings.webhooks_poll_interval_s,
            stop_event=stop_event,
            log=log,
        )

    def run_round(self, stop_event: threading.Event | None = None) -> DeliveryRound:
        """Send up to a batch of the deliveries due now, each claimed, sent and recorded."""
        attempted = delivered = retrying = given_up = 0
        for _ in range(self.settings.webhooks_batch_size):
            if stop_event is not None and stop_event.is_set():
                break
            claim = self._claim(self.clock())
            if claim is None:
                break
            outcome = self._send(claim)
            status = self._record(claim, outcome, self.clock())
            attempted += 1
            delivered += status is DeliveryStatus.DELIVERED
            retrying += status is DeliveryStatus.PENDING
            given_up += status is DeliveryStatus.FAILED
        return DeliveryRound(attempted, delivered, retrying, given_up)

    # --- the three steps of an attempt --------------------------------------------------------

    def _claim(self, now: datetime) -> Claim | None:
        with self.sessions.begin() as session:
            rows = repository.due_deliveries(session, now, limit=1)
            if not rows:
                return None
            delivery = rows[0]
            endpoint = session.get_one(WebhookEndpoint, delivery.endpoint_id)
            lease = self.settings.webhooks_timeout_s + LEASE_MARGIN_S
            delivery.next_attempt_at = now + timedelta(seconds=lease)
            return Claim(
                delivery_id=delivery.id,
                endpoint_id=endpoint.id,
                event_id=delivery.event_id,
                payload=dict(delivery.event.payload),
                url=endpoint.url,
                format=endpoint.format,
                secrets=signing_secrets(endpoint, now),
            )

    def _send(self, claim: Claim) -> Outcome:
        now = self.clock()
        if claim.format is WebhookFormat.STANDARD:
            body = body_of(claim.payload)
            headers = signed_headers(claim.event_id, now, body, claim.secrets)
        else:
            body = body_of(slack_body(claim.payload))
            headers = {"webhook-id": claim.event_id}
        headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            check_url(
                claim.url,
                allow_private=self.settings.webhooks_allow_private,
                resolver=self.resolver,
            )
            with self.client.stream("POST", claim.url, content=body, headers=headers) as response:
                answer = _read_start(response)
                code = response.status_code
        except UnsafeUrl as exc:
            return Outcome(None, _ms_since(started), f"refused: {exc}", None)
        except httpx.TimeoutException:
            timeout = self.settings.webhooks_timeout_s
            return Outcome(None, _ms_since(started), f"timed out after {timeout:g} s", None)
        except httpx.HTTPError as exc:
            return Outcome(None, _ms_since(started), f"{type(exc).__name__}: {exc}", None)
        error = None if 200 <= code < 300 else f"HTTP {code}"
        return Outcome(code, _ms_since(started), error, answer)

    def _record(self, claim: Claim, outcome: Outcome, now: datetime) -> DeliveryStatus | None:
        with self.sessions.begin() as session:
            delivery = session.get(WebhookDelivery, claim.delivery_id, with_for_update=True)
            if delivery is None:  # the endpoint was deleted meanwhile
                return None
            endpoint = session.get_one(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    at=now,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error[:ERROR_MAX] if outcome.error else None,
                    response_body=outcome.response_body,
                )
            )
            delivery.attempts += 1
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error[:ERROR_MAX] if outcome.error else None
            if outcome.delivered:
                self._finish(delivery, DeliveryStatus.DELIVERED, now)
                endpoint.consecutive_failures = 0
            elif outcome.status_code == 410:
                self._finish(delivery, DeliveryStatus.FAILED, now)
                disable(
                    session,
                    endpoint,
                    f"the receiver answered 410 Gone at {now.isoformat()}",
                    now=now,
                )
            else:
                self._retry_or_give_up(session, delivery, endpoint, now)
            status = delivery.status
        log.info(
            "webhook %s to endpoint %d: %s (%s, %d ms)",
            claim.event_id,
            claim.endpoint_id,
            status.value,
            outcome.status_code or outcome.error,
            outcome.latency_ms,
        )
        return status

    def _retry_or_give_up(
        self, session: Session, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime
    ) -> None:
        deadline = delivery.created_at + timedelta(seconds=self.settings.webhooks_retry_for_s)
        if now < deadline:
            wait = timedelta(seconds=self.backoff.delay_s(delivery.attempts, self.draw))
            delivery.next_attempt_at = min(now + wait, deadline)
            return
        self._finish(delivery, DeliveryStatus.FAILED, now)
        endpoint.consecutive_failures += 1
        limit = self.settings.webhooks_disable_after
        if limit and endpoint.consecutive_failures >= limit:
            disable(session, endpoint, f"{limit} events in a row could not be delivered", now=now)

    @staticmethod
    def _finish(delivery: WebhookDelivery, status: DeliveryStatus, now: datetime) -> None:
        delivery.status = status
        delivery.next_attempt_at = None
        delivery.finished_at = now


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The secrets that sign a delivery now: the current one, and the previous one during the
    grace period after a rotation."""
    secrets = [endpoint.secret] if endpoint.secret else []
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        secrets.append(endpoint.previous_secret)
    return tuple(secrets)


def disable(session: Session, endpoint: WebhookEndpoint, reason: str, *, now: datetime) -> None:
    """Disable an endpoint for ``reason`` and give up its pending deliveries."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    session.flush()
    why = f"endpoint disabled: {reason}"
    given_up = repository.fail_pending(session, endpoint.id, why, now=now)
    log.warning(
        "webhook endpoint %d disabled: %s (%d pending given up)", endpoint.id, reason, given_up
    )


def _read_start(response: httpx.Response) -> str:
    """The first 2 KB of the answer, as text; the rest is not read."""
    start = b""
    for chunk in response.iter_bytes():
        start += chunk
        if len(start) >= RESPONSE_BODY_MAX:
            break
    return start[:RESPONSE_BODY_MAX].decode("utf-8", "replace")


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def run_delivery_worker(settings: WebhookSettings, stop_event: threading.Event) -> None:
    """``ugc webhooks deliver``: the worker on ``settings.database_url`` until a stop."""
    from database.engine import create_db_engine, create_session_factory

    engine = create_db_engine(settings.database_url)
    worker = DeliveryWorker(create_session_factory(engine), settings)
    try:
        worker.run(stop_event)
    finally:
        worker.close()
        engine.dispose()
