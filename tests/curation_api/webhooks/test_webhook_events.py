"""Events written with the change of state they announce: only subscribed, enabled endpoints
get a delivery; approving a post and granting or revoking rights emit theirs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from curation_api.webhooks.events import WebhookEventType, emit
from database.webhook_models import DeliveryStatus, WebhookDelivery, WebhookEvent
from tests.curation_api.curation_factories import MODERATOR, scored_post, store
from tests.curation_api.rights_factories import grant, put_brand
from tests.curation_api.webhooks.webhook_factories import Clock, alert_data, create_endpoint


def deliveries(session: Session) -> list[tuple[int, str, dict[str, Any]]]:
    """(endpoint id, event type, payload) of every delivery, in order."""
    rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    return [(row.endpoint_id, row.event.type, row.event.payload) for row in rows]


def test_emit_queues_a_delivery_for_each_subscribed_enabled_endpoint_only(
    webhook_client: TestClient, session: Session, clock: Clock
) -> None:
    alerts = create_endpoint(webhook_client, events=["alert.fired"])
    also = create_endpoint(webhook_client, events=["alert.fired", "post.approved"], format="slack")
    create_endpoint(webhook_client, events=["post.approved"])
    create_endpoint(webhook_client, events=["alert.fired"], enabled=False)

    emit(session, WebhookEventType.ALERT_FIRED, alert_data(), now=clock.now)

    queued = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [d.endpoint_id for d in queued] == [alerts["id"], also["id"]]
    assert {d.event_id for d in queued} == {queued[0].event_id}
    assert queued[0].event_id.startswith("msg_")
    for delivery in queued:
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert delivery.next_attempt_at == clock.now
    payload = queued[0].event.payload
    assert payload == {
        "type": "alert.fired",
        "timestamp": clock.now.isoformat(),
        "data": alert_data(),
    }


def test_an_event_nobody_subscribed_to_is_not_stored(session: Session, clock: Clock) -> None:
    emit(session, WebhookEventType.RIGHTS_REVOKED, {"post_id": "x"}, now=clock.now)
    assert session.scalars(select(WebhookEvent)).all() == []


def test_emit_rolls_back_with_the_callers_transaction(
    webhook_client: TestClient, session: Session, clock: Clock
) -> None:
    create_endpoint(webhook_client)
    emit(session, WebhookEventType.ALERT_FIRED, alert_data(), now=clock.now)
    session.rollback()
    assert deliveries(session) == []


def test_approving_a_post_emits_post_approved_once(
    webhook_client: TestClient, session: Session
) -> None:
    endpoint = create_endpoint(webhook_client, events=["post.approved"])
    (post,) = store(session, scored_post(hashtags=["mybrand", "trail"]))
    for _ in range(2):  # the second approve changes nothing, so it announces nothing
        response = webhook_client.post(
            f"/v1/posts/{post.post_id}/approve", headers=MODERATOR | {"X-Actor": "dana"}
        )
        assert response.status_code == 200
    webhook_client.post(f"/v1/posts/{post.post_id}/reject", headers=MODERATOR)

    ((endpoint_id, event_type, payload),) = deliveries(session)
    assert (endpoint_id, event_type) == (endpoint["id"], "post.approved")
    data = payload["data"]
    assert (data["post_id"], data["permalink"], data["actor"]) == (
        post.post_id,
        post.permalink,
        "dana",
    )
    assert data["hashtags"] == ["mybrand", "trail"]


def test_granting_and_revoking_rights_emit_their_events(
    webhook_client: TestClient, session: Session
) -> None:
    create_endpoint(webhook_client, events=["rights.granted", "rights.revoked"])
    put_brand(webhook_client)
    (post,) = store(session, scored_post())
    granted = grant(webhook_client, post.post_id, scope=["website", "social"])
    revoked = webhook_client.post(
        f"/v1/posts/{post.post_id}/rights", json={"decision": "revoked"}, headers=MODERATOR
    )
    assert revoked.status_code == 200, revoked.text

    (_, first, grant_event), (_, second, revoke_event) = deliveries(session)
    assert (first, second) == ("rights.granted", "rights.revoked")
    data = grant_event["data"]
    assert (data["post_id"], data["request_id"], data["terms_version"]) == (
        post.post_id,
        granted["request_id"],
        1,
    )
    assert data["channels"] == ["website", "social"]
    assert data["starts_at"] is not None
    assert data["actor"] == {"kind": "moderator", "name": "moderator"}
    assert revoke_event["data"]["post_id"] == post.post_id
    assert revoke_event["data"]["state"] == "revoked"
