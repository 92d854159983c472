"""The moderation queue, approve/reject, and the audit trail, over HTTP."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from contract import DetectedLanguage, Platform, RiskLevel, Sentiment
from tests.curation_api.curation_factories import (
    ENGLISH,
    MODERATOR,
    MODERATOR_KEY,
    T0,
    scored_post,
    store,
)

UNSUPPORTED = DetectedLanguage(code="fr", confidence=0.91, supported=False)


def queue(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/queue", params=params, headers=MODERATOR)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(page: dict[str, Any]) -> list[str]:
    return [item["post_id"] for item in page["items"]]


def approve(client: TestClient, post_id: str, **headers: str) -> Any:
    return client.post(f"/v1/posts/{post_id}/approve", headers={**MODERATOR, **headers})


# --- Authentication -------------------------------------------------------------------------


def test_queue_without_a_key_is_401_with_a_challenge(client: TestClient) -> None:
    response = client.get("/v1/queue")
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}],
)
def test_a_wrong_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    assert client.get("/v1/queue", headers=headers).status_code == 401


def test_the_key_is_accepted_as_a_bearer_token(client: TestClient) -> None:
    headers = {"Authorization": f"Bearer {MODERATOR_KEY}"}
    assert client.get("/v1/queue", headers=headers).status_code == 200


# --- The queue ------------------------------------------------------------------------------


def test_queue_shows_pending_posts_newest_first(client: TestClient, session: Session) -> None:
    old, new, approved = store(
        session,
        scored_post(created_at=T0),
        scored_post(created_at=T0 + timedelta(hours=1)),
        scored_post(created_at=T0 + timedelta(hours=2)),
    )
    approve(client, approved.post_id)

    page = queue(client)

    assert ids(page) == [new.post_id, old.post_id]
    assert page["next_cursor"] is None
    item = page["items"][0]
    assert item["status"] == "pending"
    assert item["hashtags"] == ["mybrand"]
    assert item["sentiment"]["label"] == "positive"
    assert item["safety"]["risk"] == "none"
    assert item["media"][0]["url"].startswith("https://cdn.example/")
    assert item["author"]["handle"] == "alice@example.social"


def test_queue_with_status_all_includes_moderated_posts(
    client: TestClient, session: Session
) -> None:
    pending, approved = store(session, scored_post(), scored_post())
    approve(client, approved.post_id)

    assert set(ids(queue(client, status="all"))) == {pending.post_id, approved.post_id}
    assert ids(queue(client, status="approved")) == [approved.post_id]


def test_queue_filters_by_hashtag_sentiment_and_risk(client: TestClient, session: Session) -> None:
    brand, other, angry, risky = store(
        session,
        scored_post(hashtags=["mybrand"]),
        scored_post(hashtags=["other"]),
        scored_post(hashtags=["mybrand"], sentiment=Sentiment.NEGATIVE),
        scored_post(hashtags=["mybrand", "other"], risk=RiskLevel.FLOOR),
    )

    assert set(ids(queue(client, hashtag="#MyBrand"))) == {
        brand.post_id,
        angry.post_id,
        risky.post_id,
    }
    assert set(ids(queue(client, hashtag=["other", "nope"]))) == {other.post_id, risky.post_id}
    assert ids(queue(client, sentiment="negative")) == [angry.post_id]
    assert set(ids(queue(client, risk="floor,high"))) == {risky.post_id}
    assert ids(queue(client, hashtag="other", risk=["none"])) == [other.post_id]


def test_queue_filters_by_low_confidence(client: TestClient, session: Session) -> None:
    confident, guessed, guessed_approved = store(
        session,
        scored_post(),
        scored_post(detected_language=UNSUPPORTED, low_confidence=True),
        scored_post(detected_language=UNSUPPORTED, low_confidence=True),
    )
    approve(client, guessed_approved.post_id)

    assert ids(queue(client, low_confidence="true")) == [guessed.post_id]
    assert ids(queue(client, low_confidence="false")) == [confident.post_id]
    assert set(ids(queue(client))) == {confident.post_id, guessed.post_id}
    assert set(ids(queue(client, status="all", low_confidence=True))) == {
        guessed.post_id,
        guessed_approved.post_id,
    }
    assert ids(queue(client, low_confidence=True, sentiment="negative")) == []


def test_low_confidence_pages_walk_every_matching_post_once(
    client: TestClient, session: Session
) -> None:
    # Interleaved with confident posts and tied on created_at, so that a page boundary falls
    # between posts the filter skips.
    posts = store(
        session,
        *(
            scored_post(
                created_at=T0 + timedelta(seconds=i // 2),
                detected_language=UNSUPPORTED if i % 3 else None,
                low_confidence=bool(i % 3),
            )
            for i in range(9)
        ),
    )
    expected = [
        p.post_id
        for p in sorted(posts, key=lambda p: (p.created_at, p.post_id), reverse=True)
        if p.low_confidence
    ]

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = queue(client, low_confidence=True, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(expected) == 6
    assert seen == expected


def test_an_unknown_filter_value_is_422(client: TestClient) -> None:
    response = client.get("/v1/queue", params={"risk": "catastrophic"}, headers=MODERATOR)
    assert response.status_code == 422
    response = client.get("/v1/queue", params={"low_confidence": "maybe"}, headers=MODERATOR)
    assert response.status_code == 422


def test_keyset_pages_walk_every_post_once_despite_ties_on_created_at(
    client: TestClient, session: Session
) -> None:
    # Whole seconds and equal created_at: the order then rests on post_id alone.
    posts = store(
        session,
        *(scored_post(created_at=T0) for _ in range(5)),
        *(scored_post(created_at=T0 + timedelta(seconds=1)) for _ in range(2)),
    )
    expected = [
        p.post_id for p in sorted(posts, key=lambda p: (p.created_at, p.post_id), reverse=True)
    ]

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = queue(client, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == expected


def test_a_page_that_ends_exactly_at_the_last_post_has_no_next_cursor(
    client: TestClient, session: Session
) -> None:
    store(session, scored_post(), scored_post())
    assert queue(client, limit=2)["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'["2025-06-01T12:00:00+00:00"]').decode(),
        base64.urlsafe_b64encode(b'["2025-06-01T12:00:00", "mastodon:1"]').decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    ],
)
def test_a_cursor_the_api_did_not_issue_is_400(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/queue", params={"cursor": cursor}, headers=MODERATOR)
    assert response.status_code == 400
    assert "invalid cursor" in response.json()["detail"]


# --- One post, approve and reject -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "low_confidence", "expected"),
    [
        (ENGLISH, False, {"code": "en", "confidence": 0.98, "supported": True}),
        (UNSUPPORTED, True, {"code": "fr", "confidence": 0.91, "supported": False}),
        (
            DetectedLanguage(code=None, confidence=0.0, supported=False),
            True,
            {"code": None, "confidence": 0.0, "supported": False},
        ),
        (None, False, None),
    ],
)
def test_a_post_shows_its_detected_language_like_the_contract(
    client: TestClient,
    session: Session,
    language: DetectedLanguage | None,
    low_confidence: bool,
    expected: dict[str, Any] | None,
) -> None:
    (post,) = store(session, scored_post(detected_language=language, low_confidence=low_confidence))

    body = client.get(f"/v1/posts/{post.post_id}", headers=MODERATOR).json()

    assert body["detected_language"] == expected
    assert body["low_confidence"] is low_confidence
    if language is not None:
        assert DetectedLanguage.model_validate(body["detected_language"]) == language


def test_an_unknown_post_is_404_with_its_id(client: TestClient) -> None:
    for response in (
        client.get("/v1/posts/mastodon:404", headers=MODERATOR),
        approve(client, "mastodon:404"),
        client.get("/v1/posts/mastodon:404/actions", headers=MODERATOR),
    ):
        assert response.status_code == 404
        assert "mastodon:404" in response.json()["detail"]


def test_post_ids_with_colons_and_slashes_work_in_the_path(
    client: TestClient, session: Session
) -> None:
    (post,) = store(
        session,
        scored_post(platform=Platform.BLUESKY, native_id="at://did:plc:abc/app.bsky.feed.post/3k"),
    )

    assert client.get(f"/v1/posts/{post.post_id}", headers=MODERATOR).json()["post_id"] == (
        "bluesky:at://did:plc:abc/app.bsky.feed.post/3k"
    )
    assert approve(client, post.post_id).json()["status"] == "approved"
    assert (
        len(client.get(f"/v1/posts/{post.post_id}/actions", headers=MODERATOR).json()["items"]) == 1
    )


def test_approve_records_who_when_and_why(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post())

    response = client.post(
        f"/v1/posts/{post.post_id}/approve",
        json={"note": "great shot"},
        headers={**MODERATOR, "X-Actor": "ana"},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["moderated_by"]) == ("approved", "ana")
    assert body["moderated_at"] is not None
    (action,) = client.get(f"/v1/posts/{post.post_id}/actions", headers=MODERATOR).json()["items"]
    assert (action["action"], action["actor"], action["note"]) == ("approve", "ana", "great shot")


def test_without_x_actor_the_audit_log_names_the_moderator(
    client: TestClient, session: Session
) -> None:
    (post,) = store(session, scored_post())
    assert (
        client.post(f"/v1/posts/{post.post_id}/reject", headers=MODERATOR).json()["moderated_by"]
        == "moderator"
    )


def test_approving_an_approved_post_changes_nothing_and_logs_once(
    client: TestClient, session: Session
) -> None:
    (post,) = store(session, scored_post())
    first = approve(client, post.post_id, **{"X-Actor": "ana"}).json()

    again = approve(client, post.post_id, **{"X-Actor": "bob"})

    assert again.status_code == 200
    assert again.json() == first
    actions = client.get(f"/v1/posts/{post.post_id}/actions", headers=MODERATOR).json()["items"]
    assert len(actions) == 1


def test_rejecting_an_approved_post_is_a_second_action(
    client: TestClient, session: Session
) -> None:
    (post,) = store(session, scored_post())
    approve(client, post.post_id)
    rejected = client.post(f"/v1/posts/{post.post_id}/reject", headers=MODERATOR).json()

    assert rejected["status"] == "rejected"
    actions = client.get(f"/v1/posts/{post.post_id}/actions", headers=MODERATOR).json()["items"]
    assert [a["action"] for a in actions] == ["approve", "reject"]


def test_the_audit_trail_pages_oldest_first(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post())
    for verb in ("approve", "reject", "approve"):
        client.post(f"/v1/posts/{post.post_id}/{verb}", headers=MODERATOR)

    url = f"/v1/posts/{post.post_id}/actions"
    first = client.get(url, params={"limit": 2}, headers=MODERATOR).json()
    second = client.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=MODERATOR
    ).json()

    verbs = [a["action"] for a in first["items"] + second["items"]]
    assert verbs == ["approve", "reject", "approve"]
    assert second["next_cursor"] is None


def test_an_unknown_field_in_the_note_body_is_422(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post())
    response = client.post(
        f"/v1/posts/{post.post_id}/approve", json={"reason": "typo"}, headers=MODERATOR
    )
    assert response.status_code == 422
    assert client.get(f"/v1/posts/{post.post_id}", headers=MODERATOR).json()["status"] == "pending"
