"""What ``ugc up`` shows of incidents, and the receiver endpoint it registers, against a stand-in
for the API's two routes (the real path runs in test_up.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ugc.up_alerts import DEMO_ENDPOINT, IncidentWatch, register_receiver


def _incident(status: str = "firing", sequence: int = 1) -> dict[str, Any]:
    return {
        "id": "trailpeak:2026-03-02T10:00:00+00:00",
        "hashtag": "trailpeak",
        "status": status,
        "sequence": sequence,
        "negative_count": 31,
        "expected_negative": 0.5,
        "negative_share": 0.7,
        "peak_score": 1.0,
        "top_terms": ["recall", "jacket"],
        "queue_url": "http://127.0.0.1:8000/v1/queue?status=all&incident=x",
    }


def test_each_change_of_an_incident_is_one_line_and_nothing_else_repeats() -> None:
    answers = [[_incident()], [_incident()], [_incident(sequence=2)], [_incident("resolved", 3)]]

    def api(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/alerts"
        return httpx.Response(200, json={"items": answers.pop(0), "next_cursor": None})

    watch = IncidentWatch()
    with httpx.Client(transport=httpx.MockTransport(api), base_url="http://api") as client:
        first, again, grown, resolved = (watch.news(client) for _ in range(4))
    assert len(first) == 1
    assert first[0].startswith("#trailpeak FIRED: 31 negative posts (baseline 0.5), 70% negative")
    assert "terms: recall, jacket" in first[0]
    assert "queue: http://127.0.0.1:8000/v1/queue" in first[0]
    assert again == []
    assert grown[0].startswith("#trailpeak firing:")
    assert "queue:" not in grown[0]
    assert resolved[0].startswith("#trailpeak resolved:")


def test_an_api_that_does_not_answer_shows_nothing() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(api), base_url="http://api") as client:
        assert IncidentWatch().news(client) == []


def test_the_receiver_replaces_the_endpoint_an_earlier_run_made() -> None:
    calls: list[tuple[str, str]] = []
    created: dict[str, Any] = {}

    def api(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path))
        if request.method == "GET":
            items = [{"id": 7, "description": DEMO_ENDPOINT}, {"id": 8, "description": "mine"}]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        if request.method == "DELETE":
            return httpx.Response(204)
        created.update(json.loads(request.content))
        return httpx.Response(201, json={"id": 9, "secret": "whsec_c2VjcmV0"})

    said: list[str] = []
    with httpx.Client(transport=httpx.MockTransport(api), base_url="http://api") as client:
        secret = register_receiver(client, 4567, said.append)
    assert secret == "whsec_c2VjcmV0"
    assert ("DELETE", "/v1/webhooks/7") in calls
    assert ("DELETE", "/v1/webhooks/8") not in calls
    assert created["url"] == "http://127.0.0.1:4567/"
    assert created["format"] == "standard"
    assert "alert.fired" in created["events"]
    assert said == []
