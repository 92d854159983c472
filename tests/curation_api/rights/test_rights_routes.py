"""Rights through the API: the manual flow, the audit trail, the proof, the inbox, timers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contract import RIGHTS_COMMANDS_TOPIC, RightsCommand, decode
from curation_api.app import create_app
from curation_api.rights import timers
from curation_api.rights.proof import sha256_of
from curation_api.settings import ApiSettings
from database.models import OutboxMessage
from tests.curation_api.curation_factories import MODERATOR, T0, scored_post, store
from tests.curation_api.rights_factories import grant, put_brand

NOW = T0 + timedelta(days=1)


def feed_ids(client: TestClient) -> list[str]:
    return [p["post_id"] for p in client.get("/v1/feeds/wall/posts").json()["items"]]


def test_the_manual_flow_puts_a_post_in_the_feed_with_a_proof(
    client: TestClient, session: Session
) -> None:
    put_brand(client)
    client.put(
        "/v1/brands/mybrand/templates/request",
        json={"text": "Hi {handle}, reply {approval_hashtag} ({terms_url}) for {brand}"},
        headers=MODERATOR,
    )
    client.put("/v1/feeds/wall", json={"title": "W", "hashtags": ["mybrand"]}, headers=MODERATOR)
    (post,) = store(session, scored_post(text="<script>alert(1)</script> #mybrand"))
    client.post(f"/v1/posts/{post.post_id}/approve", headers=MODERATOR)
    assert feed_ids(client) == []

    queued = client.post(f"/v1/posts/{post.post_id}/rights/request", headers=MODERATOR).json()
    assert queued["state"] == "queued"
    assert queued["request_text"].startswith("Hi @alice@example.social, reply #YesMyBrand (")
    assert "/terms/mybrand/1" in queued["request_text"]
    assert queued["post_permalink"] == post.permalink
    (row,) = session.scalars(select(OutboxMessage)).all()
    command = decode(RightsCommand, row.value)
    assert (row.topic, command.text, command.request_id) == (
        RIGHTS_COMMANDS_TOPIC,
        queued["request_text"],
        queued["request_id"],
    )

    sent = client.post(f"/v1/posts/{post.post_id}/rights/sent", headers=MODERATOR)
    assert sent.json()["state"] == "awaiting_reply"
    grant(client, post.post_id, note="DM: yes <b>ok</b>")
    assert feed_ids(client) == [post.post_id]

    history = client.get(f"/v1/posts/{post.post_id}/rights", headers=MODERATOR).json()
    assert [(t["from_state"], t["to_state"]) for t in history["transitions"]] == [
        (None, "queued"),
        ("queued", "awaiting_reply"),
        ("awaiting_reply", "granted"),
    ]
    assert {t["actor_kind"] for t in history["transitions"]} == {"moderator"}

    proof = client.get(f"/v1/posts/{post.post_id}/rights/proof", headers=MODERATOR).json()
    assert proof["sha256"] == sha256_of(proof["record"])
    assert proof["record"]["terms"]["version"] == 1
    assert proof["record"]["consent"]["note"] == "DM: yes <b>ok</b>"
    page = client.get(f"/v1/posts/{post.post_id}/rights/proof.html", headers=MODERATOR)
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")

    revoked = client.post(
        f"/v1/posts/{post.post_id}/rights", json={"decision": "revoked"}, headers=MODERATOR
    )
    assert revoked.json()["state"] == "revoked"
    assert feed_ids(client) == []
    after = client.get(f"/v1/posts/{post.post_id}/rights/proof", headers=MODERATOR).json()
    assert (after["state"], after["sha256"]) == ("revoked", proof["sha256"])


def test_an_impossible_move_is_409_and_an_unknown_post_404(
    client: TestClient, session: Session
) -> None:
    put_brand(client)
    (post,) = store(session, scored_post())
    revoke = {"decision": "revoked"}
    response = client.post(f"/v1/posts/{post.post_id}/rights", json=revoke, headers=MODERATOR)
    assert response.status_code == 409
    assert "cannot revoke" in response.json()["detail"]
    assert client.post("/v1/posts/x:1/rights/request", headers=MODERATOR).status_code == 404


def test_a_grant_without_terms_is_refused(client: TestClient, session: Session) -> None:
    put_brand(client, terms=None)
    (post,) = store(session, scored_post())
    response = client.post(
        f"/v1/posts/{post.post_id}/rights", json={"decision": "granted"}, headers=MODERATOR
    )
    assert response.status_code == 409


def test_terms_versions_are_public_and_numbered(client: TestClient) -> None:
    put_brand(client)
    second = client.post("/v1/brands/mybrand/terms", json={"text": "v2 ü"}, headers=MODERATOR)
    assert second.json()["version"] == 2
    public = client.get("/terms/mybrand/2")
    assert public.text == "v2 ü"
    assert public.headers["X-Content-SHA256"] == second.json()["sha256"]
    assert client.get("/terms/mybrand/3").status_code == 404


def test_the_inbox_and_the_queue_filter_by_rights_state(
    client: TestClient, session: Session
) -> None:
    put_brand(client)
    asked, granted, untouched = store(session, scored_post(), scored_post(), scored_post())
    body = {"post_ids": [asked.post_id, granted.post_id]}
    assert client.post("/v1/rights/requests", json=body, headers=MODERATOR).status_code == 200
    grant(client, granted.post_id)

    inbox = client.get("/v1/rights", params={"state": "queued"}, headers=MODERATOR).json()
    assert [r["post_id"] for r in inbox["items"]] == [asked.post_id]
    queue = client.get("/v1/queue", params={"rights": "granted,none"}, headers=MODERATOR).json()[
        "items"
    ]
    assert {(p["post_id"], p["rights_state"]) for p in queue} == {
        (granted.post_id, "granted"),
        (untouched.post_id, None),
    }


def test_a_window_ending_at_noon_drops_the_post_at_noon(
    api_settings: ApiSettings, sessions: sessionmaker[Session], session: Session
) -> None:
    clock = [NOW]
    with TestClient(create_app(api_settings, sessions=sessions, clock=lambda: clock[0])) as client:
        put_brand(client)
        client.put(
            "/v1/feeds/wall", json={"title": "W", "hashtags": ["mybrand"]}, headers=MODERATOR
        )
        (post,) = store(session, scored_post())
        client.post(f"/v1/posts/{post.post_id}/approve", headers=MODERATOR)
        noon = NOW + timedelta(hours=2)
        grant(client, post.post_id, ends_at=noon.isoformat())
        clock[0] = noon - timedelta(microseconds=1)
        assert feed_ids(client) == [post.post_id]
        clock[0] = noon
        assert feed_ids(client) == []


def test_an_unanswered_request_is_reminded_once_then_expires(
    client: TestClient, session: Session
) -> None:
    put_brand(client, reminder_after_s=3 * 86400, expire_after_s=14 * 86400)
    (post,) = store(session, scored_post())
    client.post(f"/v1/posts/{post.post_id}/rights/request", headers=MODERATOR)
    sent_at = datetime.fromisoformat(
        client.post(f"/v1/posts/{post.post_id}/rights/sent", headers=MODERATOR).json()["updated_at"]
    )
    session.expire_all()
    assert timers.process_due(session, sent_at + timedelta(days=2)) == 0
    assert timers.process_due(session, sent_at + timedelta(days=3)) == 1
    assert timers.process_due(session, sent_at + timedelta(days=4)) == 0
    kinds = [json.loads(m.value)["kind"] for m in session.scalars(select(OutboxMessage))]
    assert kinds == ["send_request", "send_reminder"]
    assert timers.process_due(session, sent_at + timedelta(days=14)) == 1
    session.commit()
    history = client.get(f"/v1/posts/{post.post_id}/rights", headers=MODERATOR).json()
    assert history["state"] == "expired"
    assert history["transitions"][-1]["actor_kind"] == "timer"
