"""Feeds: moderators define them; the public reads approved posts, cacheably."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from contract import DetectedLanguage
from tests.curation_api.curation_factories import MODERATOR, T0, scored_post, store
from tests.curation_api.rights_factories import grant, put_brand


def put_feed(client: TestClient, slug: str, *hashtags: str, title: str = "Summer") -> Any:
    return client.put(
        f"/v1/feeds/{slug}", json={"title": title, "hashtags": list(hashtags)}, headers=MODERATOR
    )


@pytest.fixture(autouse=True)
def brand(client: TestClient) -> None:
    put_brand(client, hashtags=("mybrand", "sale", "other"))


def approve(client: TestClient, *post_ids: str) -> None:
    """Approve the posts and grant their rights: what a feed that requires rights needs."""
    for post_id in post_ids:
        assert client.post(f"/v1/posts/{post_id}/approve", headers=MODERATOR).status_code == 200
        grant(client, post_id)


def public_ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["post_id"] for item in response.json()["items"]]


# --- Defining feeds -------------------------------------------------------------------------


def test_put_creates_a_feed_then_replaces_it(client: TestClient) -> None:
    created = put_feed(client, "summer", "#MyBrand", "mybrand", "Sale", title="Summer")
    assert created.status_code == 201
    assert created.json()["hashtags"] == ["mybrand", "sale"]

    replaced = put_feed(client, "summer", "sale", "beach", title="Summer 2025")

    assert replaced.status_code == 200
    body = replaced.json()
    assert (body["title"], body["hashtags"]) == ("Summer 2025", ["beach", "sale"])
    assert body["created_at"] == created.json()["created_at"]
    assert client.get("/v1/feeds/summer", headers=MODERATOR).json() == body


@pytest.mark.parametrize("slug", ["Summer", "-summer", "summer_2025", "a" * 64, "été"])
def test_a_slug_outside_lowercase_letters_digits_and_dashes_is_422(
    client: TestClient, slug: str
) -> None:
    assert put_feed(client, slug, "mybrand").status_code == 422


@pytest.mark.parametrize("hashtags", [[], ["#", "  "]])
def test_a_feed_needs_a_hashtag(client: TestClient, hashtags: list[str]) -> None:
    assert put_feed(client, "summer", *hashtags).status_code == 422


def test_defining_a_feed_needs_the_moderator_key(client: TestClient) -> None:
    response = client.put("/v1/feeds/summer", json={"title": "x", "hashtags": ["a"]})
    assert response.status_code == 401
    assert client.get("/v1/feeds").status_code == 401


def test_feeds_are_listed_in_slug_order_page_by_page(client: TestClient) -> None:
    for slug in ("c", "a", "b"):
        put_feed(client, slug, "mybrand")

    first = client.get("/v1/feeds", params={"limit": 2}, headers=MODERATOR).json()
    rest = client.get(
        "/v1/feeds", params={"limit": 2, "cursor": first["next_cursor"]}, headers=MODERATOR
    ).json()

    assert [f["slug"] for f in first["items"] + rest["items"]] == ["a", "b", "c"]
    assert rest["next_cursor"] is None


def test_a_deleted_feed_is_gone(client: TestClient) -> None:
    put_feed(client, "summer", "mybrand")
    assert client.delete("/v1/feeds/summer", headers=MODERATOR).status_code == 204
    assert client.get("/v1/feeds/summer/posts").status_code == 404
    assert client.delete("/v1/feeds/summer", headers=MODERATOR).status_code == 404


# --- The public feed ------------------------------------------------------------------------


def test_the_public_feed_shows_only_approved_posts_with_its_hashtags(
    client: TestClient, session: Session
) -> None:
    old, new, other_tag, _pending, rejected = store(
        session,
        scored_post(hashtags=["mybrand"], created_at=T0),
        scored_post(hashtags=["other", "sale"], created_at=T0 + timedelta(minutes=1)),
        scored_post(hashtags=["other"]),
        scored_post(hashtags=["mybrand"]),
        scored_post(hashtags=["mybrand"]),
    )
    approve(client, old.post_id, new.post_id, other_tag.post_id, rejected.post_id)
    client.post(f"/v1/posts/{rejected.post_id}/reject", headers=MODERATOR)
    put_feed(client, "summer", "mybrand", "sale")

    assert public_ids(client.get("/v1/feeds/summer/posts")) == [new.post_id, old.post_id]


def test_the_public_feed_shows_no_scores_and_no_moderation_data(
    client: TestClient, session: Session
) -> None:
    unsure = DetectedLanguage(code="pt", confidence=0.4, supported=False)
    (post,) = store(session, scored_post(detected_language=unsure, low_confidence=True))
    approve(client, post.post_id)
    put_feed(client, "summer", "mybrand")

    (item,) = client.get("/v1/feeds/summer/posts").json()["items"]

    assert set(item) == {
        "post_id", "platform", "text", "author", "media", "permalink", "created_at", "hashtags",
    }  # fmt: skip
    assert item["author"] == {"handle": "alice@example.social", "display_name": "Alice"}


def test_the_public_feed_pages_with_a_cursor(client: TestClient, session: Session) -> None:
    posts = store(session, *(scored_post(created_at=T0) for _ in range(3)))
    approve(client, *(p.post_id for p in posts))
    put_feed(client, "summer", "mybrand")

    first = client.get("/v1/feeds/summer/posts", params={"limit": 2})
    rest = client.get(
        "/v1/feeds/summer/posts", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )

    assert public_ids(first) + public_ids(rest) == sorted((p.post_id for p in posts), reverse=True)


def test_an_unchanged_page_is_304_and_a_changed_one_gets_a_new_etag(
    client: TestClient, session: Session
) -> None:
    first_post, second_post = store(session, scored_post(), scored_post())
    approve(client, first_post.post_id)
    put_feed(client, "summer", "mybrand")

    response = client.get("/v1/feeds/summer/posts")
    etag = response.headers["ETag"]
    assert etag.startswith('"')  # strong: the same bytes
    assert response.headers["Cache-Control"] == "public, max-age=10, stale-while-revalidate=30"

    unchanged = client.get("/v1/feeds/summer/posts", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["ETag"] == etag

    approve(client, second_post.post_id)
    changed = client.get("/v1/feeds/summer/posts", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_an_unknown_feed_is_404(client: TestClient) -> None:
    response = client.get("/v1/feeds/nope/posts")
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_browsers_may_read_the_public_feed_from_any_site_but_not_moderator_routes(
    client: TestClient,
) -> None:
    put_feed(client, "summer", "mybrand")
    origin = {"Origin": "https://shop.example"}

    public = client.get("/v1/feeds/summer/posts", headers=origin)
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in public.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/v1/feeds/summer/posts",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200

    private = client.get("/v1/feeds", headers={**origin, **MODERATOR})
    assert "Access-Control-Allow-Origin" not in private.headers
