"""Webhook endpoints through the API: create, list, read, change, delete; validation; the
secret shown once and rotated; the SSRF guard at registration."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from curation_api.webhooks.settings import WebhookSettings
from tests.curation_api.curation_factories import MODERATOR
from tests.curation_api.webhooks.webhook_factories import ALERTS, Clock, create_endpoint


def test_a_standard_endpoint_gets_a_secret_shown_only_at_creation(
    webhook_client: TestClient,
) -> None:
    created = create_endpoint(webhook_client, description="brand team")
    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a secret the Standard Webhooks libraries accept
    assert created["events"] == ALERTS
    assert (created["format"], created["enabled"]) == ("standard", True)

    shown = webhook_client.get(f"/v1/webhooks/{created['id']}", headers=MODERATOR).json()
    assert "secret" not in shown
    assert shown["description"] == "brand team"


def test_a_slack_endpoint_has_no_secret(webhook_client: TestClient) -> None:
    created = create_endpoint(webhook_client, format="slack")
    assert created["secret"] is None
    rotate = webhook_client.post(f"/v1/webhooks/{created['id']}/secret/rotate", headers=MODERATOR)
    assert rotate.status_code == 409
    assert "slack" in rotate.json()["detail"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"url": "ftp://example.com/x", "events": ["alert.fired"]}, "http"),
        ({"url": "javascript:alert(1)", "events": ["alert.fired"]}, "http"),
        ({"url": "http://127.0.0.1/x", "events": []}, "at least 1"),
        ({"url": "http://127.0.0.1/x", "events": ["alert.exploded"]}, "alert.fired"),
        ({"url": "http://127.0.0.1/x", "events": ["webhook.test"]}, "cannot be subscribed"),
        ({"url": "http://127.0.0.1/x", "events": ["alert.fired"], "format": "xml"}, "slack"),
        ({"url": "http://127.0.0.1/x", "events": ["alert.fired"], "secret": "x"}, "extra"),
        ({"url": "http://u:p@127.0.0.1/x", "events": ["alert.fired"]}, "credentials"),
    ],
)
def test_bad_endpoints_are_refused_with_a_message(
    webhook_client: TestClient, body: dict[str, Any], problem: str
) -> None:
    response = webhook_client.post("/v1/webhooks", json=body, headers=MODERATOR)
    assert response.status_code == 422, response.text
    assert problem in response.text


def test_endpoints_are_listed_oldest_first_with_a_cursor(webhook_client: TestClient) -> None:
    ids = [create_endpoint(webhook_client)["id"] for _ in range(3)]
    first = webhook_client.get("/v1/webhooks?limit=2", headers=MODERATOR).json()
    assert [e["id"] for e in first["items"]] == ids[:2]
    rest = webhook_client.get(
        "/v1/webhooks", params={"limit": 2, "cursor": first["next_cursor"]}, headers=MODERATOR
    ).json()
    assert [e["id"] for e in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None
    bad = webhook_client.get("/v1/webhooks?cursor=nonsense", headers=MODERATOR)
    assert bad.status_code == 400


def test_an_endpoint_is_changed_and_deleted(webhook_client: TestClient) -> None:
    endpoint = create_endpoint(webhook_client)
    path = f"/v1/webhooks/{endpoint['id']}"
    changed = webhook_client.patch(
        path,
        json={"events": ["post.approved", "rights.granted"], "description": None},
        headers=MODERATOR,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["post.approved", "rights.granted"]
    fixed_format = webhook_client.patch(path, json={"format": "slack"}, headers=MODERATOR)
    assert fixed_format.status_code == 422

    assert webhook_client.delete(path, headers=MODERATOR).status_code == 204
    assert webhook_client.get(path, headers=MODERATOR).status_code == 404
    assert webhook_client.delete(path, headers=MODERATOR).status_code == 404
    missing = webhook_client.patch(path, json={"enabled": False}, headers=MODERATOR)
    assert missing.status_code == 404
    assert "no webhook endpoint" in missing.json()["detail"]


def test_routes_need_the_moderator_key(webhook_client: TestClient) -> None:
    assert webhook_client.get("/v1/webhooks").status_code == 401
    assert webhook_client.post("/v1/webhooks", json={}).status_code == 401


def test_rotation_returns_a_new_secret_and_the_end_of_the_grace_period(
    webhook_client: TestClient, clock: Clock
) -> None:
    endpoint = create_endpoint(webhook_client)
    rotated = webhook_client.post(
        f"/v1/webhooks/{endpoint['id']}/secret/rotate", headers=MODERATOR
    ).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != endpoint["secret"]
    shown = webhook_client.get(f"/v1/webhooks/{endpoint['id']}", headers=MODERATOR).json()
    assert shown["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]
    clock.advance(hours=24, seconds=1)
    later = webhook_client.get(f"/v1/webhooks/{endpoint['id']}", headers=MODERATOR).json()
    assert later["previous_secret_expires_at"] is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost:8765/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(
    webhook_client: TestClient, webhook_settings: WebhookSettings, url: str
) -> None:
    webhook_client.app.state.webhook_settings = webhook_settings.model_copy(  # type: ignore[attr-defined]
        update={"webhooks_allow_private": False}
    )
    response = webhook_client.post(
        "/v1/webhooks", json={"url": url, "events": ["alert.fired"]}, headers=MODERATOR
    )
    assert response.status_code == 422, response.text
    assert "UGC_WEBHOOKS_ALLOW_PRIVATE" in response.json()["detail"]
    endpoint = create_endpoint(webhook_client, url="http://8.8.8.8/hook")
    changed = webhook_client.patch(
        f"/v1/webhooks/{endpoint['id']}", json={"url": url}, headers=MODERATOR
    )
    assert changed.status_code == 422


def test_the_openapi_document_declares_the_webhook_errors(webhook_client: TestClient) -> None:
    paths = webhook_client.get("/openapi.json").json()["paths"]
    assert {"401", "422"} <= set(paths["/v1/webhooks"]["post"]["responses"])
    assert "404" in paths["/v1/webhooks/{endpoint_id}"]["patch"]["responses"]
    assert "409" in paths["/v1/webhooks/{endpoint_id}/secret/rotate"]["post"]["responses"]
    redeliver = paths["/v1/webhooks/deliveries/{delivery_id}/redeliver"]["post"]["responses"]
    assert {"401", "404", "409"} <= set(redeliver)
