"""The delivery worker against a real local receiver: signed deliveries, rotation, retries with
backoff, 410, timeouts, giving up, restarts, the SSRF guard at delivery time, redelivery.

The worker is driven one round at a time with the test's clock, so backoff needs no waiting.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from curation_api.webhooks import service
from curation_api.webhooks.delivery import DeliveryWorker
from curation_api.webhooks.events import WebhookEventType, emit
from curation_api.webhooks.receiver import WebhookReceiver
from curation_api.webhooks.schemas import WebhookEndpointCreate
from curation_api.webhooks.settings import WebhookSettings
from database.webhook_models import WebhookDelivery
from tests.conftest import wait_until
from tests.curation_api.curation_factories import MODERATOR
from tests.curation_api.webhooks.webhook_factories import Clock, alert_data, create_endpoint


def fire(session: Session, clock: Clock, **data: Any) -> None:
    emit(session, WebhookEventType.ALERT_FIRED, alert_data(**data), now=clock.now)
    session.commit()


def log_of(client: TestClient, endpoint_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/{endpoint_id}/deliveries", headers=MODERATOR)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def attempts_of(client: TestClient, delivery_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/deliveries/{delivery_id}/attempts", headers=MODERATOR)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_delivery_arrives_signed_so_that_the_receiver_verifies_it(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.secret = endpoint["secret"]
    fire(session, clock)

    assert worker.run_round().delivered == 1
    (got,) = receiver.received
    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "alert.fired"
    assert payload["data"]["hashtag"] == "trailpeak"
    assert got.signature == "ok"
    assert got.headers["content-type"] == "application/json"
    (delivery,) = log_of(webhook_client, endpoint["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        1,
        204,
    )
    assert delivery["event_id"] == got.headers["webhook-id"]
    assert worker.run_round().attempted == 0  # delivered once only


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    old = endpoint["secret"]
    new = webhook_client.post(
        f"/v1/webhooks/{endpoint['id']}/secret/rotate", headers=MODERATOR
    ).json()["secret"]
    fire(session, clock)
    worker.run_round()
    during = receiver.received[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(during.body, during.headers)

    clock.advance(hours=24, seconds=1)
    fire(session, clock)
    worker.run_round()
    after = receiver.received[-1]
    # The clock moved a day past the real time, so compare the signature itself rather than
    # verify() (which also checks freshness).
    webhook_id = after.headers["webhook-id"]
    signature = Webhook(new).sign(webhook_id, clock.now, after.body)
    assert after.headers["webhook-signature"] == signature


def test_a_receiver_that_is_down_gets_it_later_with_the_same_webhook_id(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.fail = 3
    fire(session, clock)
    start = clock.now

    waits = []
    for _ in range(3):
        assert worker.run_round().retrying == 1
        (delivery,) = log_of(webhook_client, endpoint["id"])
        assert delivery["status"] == "pending"
        due = _at(delivery["next_attempt_at"])
        waits.append((due - clock.now).total_seconds())
        assert worker.run_round().attempted == 0  # not due yet
        clock.now = due
    assert waits == [30.0, 60.0, 120.0]  # doubling from the base (the largest jitter draw)

    assert worker.run_round().delivered == 1
    assert [r.status for r in receiver.received] == [503, 503, 503, 204]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    (delivery,) = log_of(webhook_client, endpoint["id"])
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 4)
    attempts = attempts_of(webhook_client, delivery["id"])
    assert [a["status_code"] for a in attempts] == [503, 503, 503, 204]
    assert [a["error"] for a in attempts] == ["HTTP 503"] * 3 + [None]
    assert all(a["latency_ms"] >= 0 for a in attempts)
    assert _at(attempts[0]["at"]) == start


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_backoff_is_jittered_and_capped(
    sessions: sessionmaker[Session], webhook_settings: WebhookSettings
) -> None:
    worker = DeliveryWorker(sessions, webhook_settings, draw=lambda ceiling: ceiling / 2)
    assert [worker.backoff.delay_s(n, worker.draw) for n in (1, 2, 3)] == [15.0, 30.0, 60.0]
    assert worker.backoff.delay_s(30, lambda c: c) == webhook_settings.webhooks_backoff_cap_s
    assert worker.backoff.delay_s(1, lambda _c: 0.0) == 1.0  # never a hot loop
    worker.close()


def test_410_gone_disables_the_endpoint_and_stops_its_pending_deliveries(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.status = 410
    fire(session, clock)
    fire(session, clock, hashtag="other")

    assert worker.run_round().attempted == 1
    shown = webhook_client.get(f"/v1/webhooks/{endpoint['id']}", headers=MODERATOR).json()
    assert shown["enabled"] is False
    assert "410 Gone" in shown["disabled_reason"]
    log = log_of(webhook_client, endpoint["id"])
    assert [d["status"] for d in log] == ["failed", "failed"]
    assert log[0]["attempts"] == 0
    assert "endpoint disabled" in log[0]["last_error"]
    clock.advance(days=1)
    assert worker.run_round().attempted == 0
    assert len(receiver.received) == 1

    enabled = webhook_client.patch(
        f"/v1/webhooks/{endpoint['id']}", json={"enabled": True}, headers=MODERATOR
    ).json()
    assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)


def test_a_redirect_is_not_followed_but_failed(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.status = 307
    receiver.answer_headers = {"Location": "http://169.254.169.254/latest/meta-data"}
    fire(session, clock)
    assert worker.run_round().retrying == 1
    assert len(receiver.received) == 1
    (delivery,) = log_of(webhook_client, endpoint["id"])
    assert (delivery["last_status_code"], delivery["last_error"]) == (307, "HTTP 307")


def test_a_timeout_is_a_failed_attempt(
    webhook_client: TestClient,
    sessions: sessionmaker[Session],
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    webhook_settings: WebhookSettings,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.hold = threading.Event()  # answers only when released
    fire(session, clock)
    settings = webhook_settings.model_copy(update={"webhooks_timeout_s": 0.2})
    worker = DeliveryWorker(sessions, settings, clock=clock, draw=lambda c: c)
    try:
        assert worker.run_round().retrying == 1
    finally:
        receiver.hold.set()
        worker.close()
    (delivery,) = log_of(webhook_client, endpoint["id"])
    (attempt,) = attempts_of(webhook_client, delivery["id"])
    assert attempt["status_code"] is None
    assert attempt["error"] == "timed out after 0.2 s"
    assert delivery["status"] == "pending"


def test_a_delivery_is_given_up_about_three_days_after_it_was_queued(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.status = 500
    fire(session, clock)
    deadline = clock.now + timedelta(days=3)
    rounds = 0
    while True:
        done = worker.run_round()
        rounds += 1
        (delivery,) = log_of(webhook_client, endpoint["id"])
        if delivery["status"] != "pending":
            break
        clock.now = _at(delivery["next_attempt_at"])
        assert clock.now <= deadline
    assert done.given_up == 1
    assert delivery["status"] == "failed"
    assert clock.now == deadline  # the last try falls on the deadline
    assert delivery["attempts"] == rounds == len(receiver.received)
    assert 10 <= rounds <= 25  # 30 s doubling to a 6 h cap fills three days
    shown = webhook_client.get(f"/v1/webhooks/{endpoint['id']}", headers=MODERATOR).json()
    assert (shown["enabled"], shown["consecutive_failures"]) == (True, 1)


def test_an_endpoint_is_disabled_after_too_many_failed_events_in_a_row(
    webhook_client: TestClient,
    sessions: sessionmaker[Session],
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    webhook_settings: WebhookSettings,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.status = 500
    settings = webhook_settings.model_copy(
        update={"webhooks_disable_after": 2, "webhooks_retry_for_s": 60}
    )
    worker = DeliveryWorker(sessions, settings, clock=clock, draw=lambda c: c)
    for _ in range(2):
        fire(session, clock)
        worker.run_round()
        clock.advance(seconds=60)
        worker.run_round()
    worker.close()
    shown = webhook_client.get(f"/v1/webhooks/{endpoint['id']}", headers=MODERATOR).json()
    assert shown["enabled"] is False
    assert shown["disabled_reason"] == "2 events in a row could not be delivered"


def test_a_new_worker_delivers_what_was_pending_before_a_restart(
    webhook_client: TestClient,
    sessions: sessionmaker[Session],
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    webhook_settings: WebhookSettings,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    receiver.fail = 1
    fire(session, clock)
    first = DeliveryWorker(sessions, webhook_settings, clock=clock, draw=lambda c: c)
    assert first.run_round().retrying == 1
    first.close()
    fire(session, clock, hashtag="second")

    clock.advance(minutes=1)
    again = DeliveryWorker(sessions, webhook_settings, clock=clock, draw=lambda c: c)
    assert again.run_round().delivered == 2
    again.close()
    assert [d["status"] for d in log_of(webhook_client, endpoint["id"])] == ["delivered"] * 2


def test_a_claim_left_by_a_crashed_worker_is_sent_again_after_its_lease(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    fire(session, clock)
    assert worker._claim(clock.now) is not None  # claimed, then the worker "died"
    assert worker.run_round().attempted == 0
    clock.advance(minutes=1)
    assert worker.run_round().delivered == 1
    assert log_of(webhook_client, endpoint["id"])[0]["status"] == "delivered"


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("127.0.0.1", ["127.0.0.1"]),
        ("10.0.0.7", ["10.0.0.7"]),
        ("169.254.169.254", ["169.254.169.254"]),
        ("[::1]", ["::1"]),
        ("hooks.example.com", ["127.0.0.1"]),  # a name that now resolves to loopback
        ("hooks.example.com", ["93.184.216.34", "::ffff:10.0.0.1"]),  # one bad answer is enough
    ],
)
def test_a_delivery_to_a_private_address_is_a_failed_attempt_not_a_crash(
    webhook_client: TestClient,
    sessions: sessionmaker[Session],
    session: Session,
    clock: Clock,
    webhook_settings: WebhookSettings,
    host: str,
    addresses: list[str],
) -> None:
    # Registered while its name resolved to a public address; DNS changed since.
    public = WebhookSettings(webhooks_allow_private=False)
    service.create_endpoint(
        session,
        WebhookEndpointCreate(url=f"http://{host}/hook", events=[WebhookEventType.ALERT_FIRED]),
        public,
        now=clock.now,
        resolver=lambda _host, _port: ["93.184.216.34"],
    )
    fire(session, clock)
    strict = webhook_settings.model_copy(update={"webhooks_allow_private": False})
    worker = DeliveryWorker(
        sessions, strict, clock=clock, draw=lambda c: c, resolver=lambda _h, _p: addresses
    )
    assert worker.run_round().retrying == 1
    worker.close()
    (delivery,) = session.scalars(select(WebhookDelivery)).all()
    (attempt,) = attempts_of(webhook_client, delivery.id)
    assert attempt["status_code"] is None
    assert attempt["error"].startswith(f"refused: host {host.strip('[]')!r} resolves to ")
    assert "UGC_WEBHOOKS_ALLOW_PRIVATE" in attempt["error"]


def test_redelivery_sends_the_same_webhook_id_again(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    fire(session, clock)
    worker.run_round()
    (delivered,) = log_of(webhook_client, endpoint["id"])
    response = webhook_client.post(
        f"/v1/webhooks/deliveries/{delivered['id']}/redeliver", headers=MODERATOR
    )
    assert response.status_code == 202, response.text
    again = response.json()
    assert (again["event_id"], again["status"]) == (delivered["event_id"], "pending")
    assert again["id"] != delivered["id"]
    worker.run_round()
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.json() == second.json()
    missing = webhook_client.post("/v1/webhooks/deliveries/999999/redeliver", headers=MODERATOR)
    assert missing.status_code == 404


def test_the_test_event_goes_to_that_endpoint_only(
    webhook_client: TestClient,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    other = create_endpoint(webhook_client, url=receiver.url)
    response = webhook_client.post(f"/v1/webhooks/{endpoint['id']}/test", headers=MODERATOR)
    assert response.status_code == 202, response.text
    assert response.json()["event_type"] == "webhook.test"
    assert worker.run_round().delivered == 1
    assert receiver.received[0].json()["type"] == "webhook.test"
    assert log_of(webhook_client, other["id"]) == []


def test_run_finishes_and_returns_when_asked_to_stop(
    webhook_client: TestClient,
    sessions: sessionmaker[Session],
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    webhook_settings: WebhookSettings,
) -> None:
    endpoint = create_endpoint(webhook_client, url=receiver.url)
    fire(session, clock)
    stop = threading.Event()
    worker = DeliveryWorker(sessions, webhook_settings, clock=clock)
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    wait_until(lambda: receiver.received, timeout=10, message="the delivery")
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    worker.close()
    assert log_of(webhook_client, endpoint["id"])[0]["status"] == "delivered"
