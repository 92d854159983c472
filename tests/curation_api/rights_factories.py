"""Brands with terms, and rights granted by hand, through the API; keyword-only arguments."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.curation_api.curation_factories import MODERATOR

TERMS = "You allow us to show your post on our website and social channels."


def put_brand(
    client: TestClient,
    *,
    slug: str = "mybrand",
    hashtags: tuple[str, ...] = ("mybrand",),
    approval_hashtag: str = "#YesMyBrand",
    terms: str | None = TERMS,
    **settings: Any,
) -> dict[str, Any]:
    """A brand (with a first terms version unless ``terms`` is None)."""
    body = {"name": slug.title(), "hashtags": list(hashtags), "approval_hashtag": approval_hashtag}
    response = client.put(f"/v1/brands/{slug}", json=body | settings, headers=MODERATOR)
    assert response.status_code in (200, 201), response.text
    if terms is not None:
        created = client.post(f"/v1/brands/{slug}/terms", json={"text": terms}, headers=MODERATOR)
        assert created.status_code == 201, created.text
    brand: dict[str, Any] = response.json()
    return brand


def grant(client: TestClient, post_id: str, *, brand: str = "mybrand", **body: Any) -> Any:
    """Record consent given by hand for ``post_id`` (website and every other channel)."""
    response = client.post(
        f"/v1/posts/{post_id}/rights",
        json={"decision": "granted", "method": "manual", "note": "said yes by e-mail"}
        | {"brand": brand}
        | body,
        headers=MODERATOR,
    )
    assert response.status_code == 200, response.text
    return response.json()
