"""Webhook endpoints made through the API, alert data, and a clock the test moves;
keyword-only arguments."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from contract import utcnow
from tests.curation_api.curation_factories import MODERATOR

ALERTS = ["alert.fired", "alert.updated", "alert.resolved"]


def create_endpoint(
    client: TestClient,
    *,
    url: str = "http://127.0.0.1:9/hook",
    events: list[str] | None = None,
    format: str = "standard",
    **fields: Any,
) -> dict[str, Any]:
    """A new endpoint (subscribed to the alerts unless told), with its secret."""
    body = {"url": url, "events": events or ALERTS, "format": format} | fields
    response = client.post("/v1/webhooks", json=body, headers=MODERATOR)
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    return endpoint


def alert_data(**fields: Any) -> dict[str, Any]:
    """The data of an alert event (an incident), as issue 12's contract describes it."""
    return {
        "id": "trailpeak:2026-12-04T10:00:00+00:00",
        "status": "firing",
        "hashtag": "trailpeak",
        "window_start": "2026-12-04T10:00:00+00:00",
        "window_end": "2026-12-04T10:35:00+00:00",
        "negative_count": 70,
        "expected_negative": 3.2,
        "total_count": 90,
        "negative_share": 0.78,
        "baseline_share": 0.12,
        "score": 0.99,
        "peak_score": 0.99,
        "reasons": ["negative volume"],
        "top_posts": [
            {
                "post_id": "mastodon:1",
                "text": "My TrailPeak boots <fell apart> & I want a refund",
                "permalink": "https://example.social/@bob/1",
                "network": "mastodon",
                "engagement": 420,
                "followers": 9000,
            }
        ],
        "top_terms": ["recall", "refund"],
        "networks": {"mastodon": 50, "bluesky": 20},
        "queue_url": "http://127.0.0.1:8000/v1/queue?incident=trailpeak",
    } | fields


class Clock:
    """Starts at the real time (signatures are checked against it) and moves when told."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
