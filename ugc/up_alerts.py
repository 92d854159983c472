"""What ``ugc up`` adds for spike alerts: a local webhook receiver registered as a signed
endpoint, and the incidents shown on the console as they fire, grow and resolve.

The receiver is ``ugc webhooks listen`` as a child, so a newcomer sees the whole path: the
detector fires, the alerts sink stores the incident, the delivery worker signs and posts it,
and the receiver prints it with "signature ok". Its endpoint is made again on every run (the
port is new each time), replacing the one a previous run made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

#: How ``ugc up`` recognises the endpoint it made on an earlier run.
DEMO_ENDPOINT = "ugc up: the local receiver (ugc webhooks listen)"
DEMO_EVENTS = ["alert.fired", "alert.updated", "alert.resolved", "rights.granted"]


def register_receiver(client: httpx.Client, port: int, say: Callable[[str], None]) -> str | None:
    """Point a signed (Standard Webhooks) endpoint at the receiver on ``port``, replacing the
    one an earlier run made; returns its secret for the receiver, or None (said why)."""
    listed = client.get("/v1/webhooks", params={"limit": 100})
    if listed.status_code >= 300:
        say(f"could not list webhooks: {listed.text}")
        return None
    for endpoint in listed.json()["items"]:
        if endpoint.get("description") == DEMO_ENDPOINT:
            client.delete(f"/v1/webhooks/{endpoint['id']}")
    created = client.post(
        "/v1/webhooks",
        json={
            "url": f"http://127.0.0.1:{port}/",
            "events": DEMO_EVENTS,
            "format": "standard",
            "description": DEMO_ENDPOINT,
        },
    )
    if created.status_code >= 300:
        say(f"could not register the local webhook receiver: {created.text}")
        return None
    secret = created.json().get("secret")
    return secret if isinstance(secret, str) else None


class IncidentWatch:
    """Remembers what it has shown of each incident, so that each change is one line."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[str, int]] = {}

    def news(self, client: httpx.Client) -> list[str]:
        """Lines for incidents that are new, or changed since the last call."""
        try:
            response = client.get("/v1/alerts", params={"limit": 20})
            items: list[dict[str, Any]] = response.json()["items"]
        except (httpx.HTTPError, ValueError, KeyError):
            return []
        lines = []
        for incident in reversed(items):
            seen = (str(incident["status"]), int(incident["sequence"]))
            if self._shown.get(incident["id"]) == seen:
                continue
            first = incident["id"] not in self._shown
            self._shown[incident["id"]] = seen
            lines.append(describe(incident, first=first))
        return lines


def describe(incident: dict[str, Any], *, first: bool) -> str:
    """One console line: what fired (or changed), against what baseline, and where to look."""
    status = incident["status"]
    verb = "FIRED" if first and status == "firing" else status
    line = (
        f"#{incident['hashtag']} {verb}: {incident['negative_count']} negative posts "
        f"(baseline {incident['expected_negative']:.1f}), "
        f"{incident['negative_share']:.0%} negative, score {incident['peak_score']:.2f}"
    )
    if incident.get("top_terms"):
        line += f"; terms: {', '.join(incident['top_terms'][:5])}"
    if first:
        line += f"; queue: {incident['queue_url']}"
    return line
