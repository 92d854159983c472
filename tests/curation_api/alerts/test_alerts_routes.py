"""The moderators' alerts API: incidents (list, get, acknowledge, resolve), alert settings and
snoozes, and the queue filtered to an incident's posts."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from contract import Alert, AlertKind, Sentiment
from curation_api.alerts import service
from database.models import WebhookEvent
from tests.curation_api.alerts.alert_factories import T0, alert, subscribe
from tests.curation_api.curation_factories import MODERATOR, scored_post, store

AS_ALICE = {**MODERATOR, "X-Actor": "alice"}


def stored(session: Session, *alerts: Alert) -> list[str]:
    ids = []
    for message in alerts:
        service.apply_alert(session, message, now=T0, base_url="http://x")
        ids.append(message.alert_id)
    session.commit()
    return ids


def path(incident_id: str, suffix: str = "") -> str:
    return f"/v1/alerts/{quote(incident_id, safe='')}{suffix}"


def test_incidents_list_newest_first_by_cursor_and_filter_by_status_and_hashtag(
    client: TestClient, session: Session
) -> None:
    older, newer, other = stored(
        session,
        alert(start=T0),
        alert(start=T0 + timedelta(days=1)),
        alert(hashtag="brewnorth", start=T0 + timedelta(hours=1)),
    )
    stored(session, alert(kind=AlertKind.RESOLVED, start=T0, sequence=2))

    first = client.get("/v1/alerts?limit=2", headers=MODERATOR).json()
    second = client.get(
        f"/v1/alerts?limit=2&cursor={first['next_cursor']}", headers=MODERATOR
    ).json()
    firing = client.get("/v1/alerts?status=firing&hashtag=%23TrailPeak", headers=MODERATOR)

    assert [i["id"] for i in first["items"]] == [newer, other]
    assert [i["id"] for i in second["items"]] == [older]
    assert second["next_cursor"] is None
    assert [i["id"] for i in firing.json()["items"]] == [newer]
    assert first["items"][0]["queue_url"].startswith("http://127.0.0.1:8000/v1/queue?")


def test_a_bad_cursor_or_status_is_refused(client: TestClient) -> None:
    assert client.get("/v1/alerts?cursor=nope", headers=MODERATOR).status_code == 400
    assert client.get("/v1/alerts?status=exploded", headers=MODERATOR).status_code == 422
    assert client.get("/v1/alerts").status_code == 401


def test_get_acknowledge_and_resolve_an_incident(client: TestClient, session: Session) -> None:
    subscribe(session)
    session.commit()
    (incident_id,) = stored(session, alert())

    got = client.get(path(incident_id), headers=MODERATOR)
    acked = client.post(path(incident_id, "/acknowledge"), headers=AS_ALICE)
    again = client.post(path(incident_id, "/acknowledge"), headers=MODERATOR)
    resolved = client.post(path(incident_id, "/resolve"), headers=AS_ALICE)
    late_ack = client.post(path(incident_id, "/acknowledge"), headers=MODERATOR)

    assert got.status_code == 200
    assert got.json()["status"] == "firing"
    assert (acked.json()["status"], acked.json()["acknowledged_by"]) == ("acknowledged", "alice")
    assert again.json()["acknowledged_by"] == "alice"
    body = resolved.json()
    assert (body["status"], body["resolved_by"], body["resolve_reason"]) == (
        "resolved",
        "alice",
        "person",
    )
    assert late_ack.status_code == 409
    assert "resolved" in late_ack.json()["detail"]
    types = [e.type for e in session.query(WebhookEvent).all()]
    assert types.count("alert.resolved") == 1


def test_an_unknown_incident_is_404(client: TestClient) -> None:
    for response in (
        client.get(path("nope:1"), headers=MODERATOR),
        client.post(path("nope:1", "/acknowledge"), headers=MODERATOR),
        client.post(path("nope:1", "/resolve"), headers=MODERATOR),
    ):
        assert response.status_code == 404
        assert "nope:1" in response.json()["detail"]


def test_alert_settings_default_to_null_and_are_replaced_by_put(client: TestClient) -> None:
    empty = client.get("/v1/alerts/settings/TrailPeak", headers=MODERATOR)
    put = client.put(
        "/v1/alerts/settings/%23TrailPeak",
        json={"sensitivity": "fewer", "min_volume": 25, "cooldown_minutes": 120},
        headers=MODERATOR,
    )
    partial = client.put(
        "/v1/alerts/settings/trailpeak", json={"sensitivity": "more"}, headers=MODERATOR
    )

    assert empty.json()["updated_at"] is None
    assert empty.json()["hashtag"] == "trailpeak"
    assert put.json()["min_volume"] == 25
    assert (partial.json()["sensitivity"], partial.json()["min_volume"]) == ("more", None)


def test_alert_settings_refuse_bad_values(client: TestClient) -> None:
    for body in ({"sensitivity": "loud"}, {"min_volume": 0}, {"surprise": 1}):
        response = client.put("/v1/alerts/settings/trailpeak", json=body, headers=MODERATOR)
        assert response.status_code == 422, body
    assert client.get("/v1/alerts/settings/%23", headers=MODERATOR).status_code == 422


def test_snooze_for_minutes_or_until_and_unsnooze(client: TestClient) -> None:
    by_minutes = client.post(
        "/v1/alerts/settings/trailpeak/snooze", json={"minutes": 30}, headers=MODERATOR
    )
    until = "2999-01-01T00:00:00Z"
    by_time = client.post(
        "/v1/alerts/settings/trailpeak/snooze", json={"until": until}, headers=MODERATOR
    )
    cleared = client.delete("/v1/alerts/settings/trailpeak/snooze", headers=MODERATOR)

    assert by_minutes.status_code == 200
    assert by_minutes.json()["snoozed_until"] is not None
    assert by_time.json()["snoozed_until"].startswith("2999-01-01T00:00:00")
    assert cleared.json()["snoozed_until"] is None


def test_a_snooze_needs_one_future_end(client: TestClient) -> None:
    for body in ({}, {"minutes": 5, "until": "2999-01-01T00:00:00Z"}, {"minutes": 0}):
        response = client.post("/v1/alerts/settings/trailpeak/snooze", json=body, headers=MODERATOR)
        assert response.status_code == 422, body
    past = client.post(
        "/v1/alerts/settings/trailpeak/snooze",
        json={"until": "2001-01-01T00:00:00Z"},
        headers=MODERATOR,
    )
    assert past.status_code == 422
    assert "not in the future" in past.json()["detail"]


def test_the_queue_filtered_to_an_incident_shows_its_posts_only(
    client: TestClient, session: Session
) -> None:
    mine = store(
        session,
        scored_post(sentiment=Sentiment.NEGATIVE, created_at=T0),
        scored_post(sentiment=Sentiment.NEGATIVE, created_at=T0 + timedelta(minutes=1)),
    )
    store(session, scored_post(sentiment=Sentiment.NEGATIVE, created_at=T0))
    (incident_id,) = stored(session, alert(post_ids=tuple(p.post_id for p in mine)))

    response = client.get(
        "/v1/queue", params={"incident": incident_id, "status": "all"}, headers=MODERATOR
    )
    unknown = client.get("/v1/queue", params={"incident": "nope"}, headers=MODERATOR)

    assert response.status_code == 200
    assert [p["post_id"] for p in response.json()["items"]] == [mine[1].post_id, mine[0].post_id]
    assert unknown.json()["items"] == []
