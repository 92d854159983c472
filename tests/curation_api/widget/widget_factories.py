"""Feeds with published posts, through the API as moderators make them; keyword-only
arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from contract import Media, ScoredPost
from tests.curation_api.curation_factories import MODERATOR, scored_post, store
from tests.curation_api.rights_factories import grant

HOSTILE_TEXT = "<img src=x onerror=alert(1)>"
HOSTILE_PERMALINK = "javascript:alert(1)"


def put_feed(
    client: TestClient,
    slug: str,
    *,
    hashtags: Sequence[str],
    title: str = "Trail Peak",
    requires_rights: bool = True,
) -> None:
    body = {"title": title, "hashtags": list(hashtags), "requires_rights": requires_rights}
    response = client.put(f"/v1/feeds/{slug}", json=body, headers=MODERATOR)
    assert response.status_code in (200, 201), response.text


def moderate(client: TestClient, post_id: str, verb: str) -> None:
    response = client.post(f"/v1/posts/{post_id}/{verb}", headers=MODERATOR)
    assert response.status_code == 200, response.text


def publish(client: TestClient, session: Session, *posts: ScoredPost) -> list[ScoredPost]:
    """Store the posts, approve them and grant their rights: what a public feed shows."""
    store(session, *posts)
    for post in posts:
        moderate(client, post.post_id, "approve")
        grant(client, post.post_id)
    return list(posts)


def with_image(post: ScoredPost, url: str, *, alt_text: str | None = None) -> ScoredPost:
    """``post`` showing one image at ``url``."""
    return post.model_copy(update={"media": [Media(type="image", url=url, alt_text=alt_text)]})


def hostile_post(**fields: Any) -> ScoredPost:
    """A post whose text is markup and whose permalink is script: both must stay inert."""
    post = scored_post(text=HOSTILE_TEXT, **fields)
    return post.model_copy(
        update={
            "permalink": HOSTILE_PERMALINK,
            "media": [Media(type="image", url="x", alt_text='"><script>alert(2)</script>')],
        }
    )


def actions(client: TestClient, post_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/posts/{post_id}/actions", headers=MODERATOR)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def status_of(client: TestClient, post_id: str) -> str:
    response = client.get(f"/v1/posts/{post_id}", headers=MODERATOR)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status
