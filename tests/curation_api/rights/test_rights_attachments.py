"""Files attached to a manual rights decision: kept with their hash, cited once, in the proof."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.rights.attachments import clean_filename
from curation_api.settings import ApiSettings
from tests.curation_api.curation_factories import MODERATOR, scored_post, store
from tests.curation_api.rights_factories import grant, put_brand

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


def upload(
    client: TestClient,
    post_id: str,
    data: bytes = PNG,
    *,
    content_type: str = "image/png",
    filename: str = "dm-screenshot.png",
) -> dict[str, object]:
    response = client.post(
        f"/v1/posts/{post_id}/rights/attachments",
        params={"filename": filename},
        content=data,
        headers=MODERATOR | {"Content-Type": content_type},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_screenshot_backs_a_manual_grant_and_its_hash_is_in_the_proof(
    client: TestClient, session: Session
) -> None:
    put_brand(client)
    (post,) = store(session, scored_post())
    shot = upload(client, post.post_id)
    assert shot["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (shot["size"], shot["transition_id"]) == (len(PNG), None)

    grant(client, post.post_id, attachment_ids=[shot["id"]])

    proof = client.get(f"/v1/posts/{post.post_id}/rights/proof", headers=MODERATOR).json()
    (cited,) = proof["record"]["consent"]["attachments"]
    assert (cited["id"], cited["sha256"], cited["filename"]) == (
        shot["id"],
        shot["sha256"],
        "dm-screenshot.png",
    )
    history = client.get(f"/v1/posts/{post.post_id}/rights", headers=MODERATOR).json()
    (attachment,) = history["attachments"]
    assert attachment["transition_id"] == history["transitions"][-1]["id"]

    download = client.get(f"/v1/rights/attachments/{shot['id']}", headers=MODERATOR)
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    digest = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    assert download.headers["repr-digest"] == f"sha-256=:{digest}:"


def test_an_attachment_is_cited_by_one_decision_and_only_on_its_own_post(
    client: TestClient, session: Session
) -> None:
    put_brand(client)
    mine, other = store(session, scored_post(), scored_post())
    shot = upload(client, mine.post_id)

    elsewhere = client.post(
        f"/v1/posts/{other.post_id}/rights",
        json={"decision": "granted", "brand": "mybrand", "attachment_ids": [shot["id"]]},
        headers=MODERATOR,
    )
    assert elsewhere.status_code == 404
    assert f"has no rights attachment {shot['id']}" in elsewhere.json()["detail"]
    # The refused decision changed nothing: the other post has no rights yet.
    assert client.get(f"/v1/posts/{other.post_id}/rights", headers=MODERATOR).status_code == 404

    grant(client, mine.post_id, attachment_ids=[shot["id"]])
    again = client.post(
        f"/v1/posts/{mine.post_id}/rights",
        json={"decision": "revoked", "attachment_ids": [shot["id"]]},
        headers=MODERATOR,
    )
    assert again.status_code == 409
    assert "already cited" in again.json()["detail"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"<html><script>alert(1)</script>", "image/png", 415, "not image/png"),
        (PNG, "text/html", 415, "is not kept"),
        (PNG, "", 415, "is not kept"),
        (b"", "image/png", 400, "empty"),
        (b"\xff\xfe\x00bad", "text/plain", 415, "not text/plain"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused(
    client: TestClient, session: Session, data: bytes, content_type: str, status: int, words: str
) -> None:
    (post,) = store(session, scored_post())
    response = client.post(
        f"/v1/posts/{post.post_id}/rights/attachments",
        content=data,
        headers=MODERATOR | {"Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_an_upload_over_the_limit_is_413_and_unknown_posts_404(
    api_settings: ApiSettings, sessions: sessionmaker[Session], session: Session
) -> None:
    small = api_settings.model_copy(update={"rights_attachment_max_bytes": 32})
    with TestClient(create_app(small, sessions=sessions)) as client:
        (post,) = store(session, scored_post())
        url = f"/v1/posts/{post.post_id}/rights/attachments"
        headers = MODERATOR | {"Content-Type": "image/png"}
        too_big = client.post(url, content=PNG, headers=headers)
        assert too_big.status_code == 413
        assert "at most 32" in too_big.json()["detail"]

        def chunks() -> Iterator[bytes]:
            yield PNG[:20]
            yield PNG[20:]

        streamed = client.post(url, content=chunks(), headers=headers)
        assert streamed.status_code == 413
        unknown = client.post("/v1/posts/x:1/rights/attachments", content=PNG[:30], headers=headers)
        assert unknown.status_code == 404


def test_attachments_need_the_moderator_key(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post())
    response = client.post(
        f"/v1/posts/{post.post_id}/rights/attachments",
        content=PNG,
        headers={"Content-Type": "image/png"},
    )
    assert response.status_code == 401
    assert client.get("/v1/rights/attachments/1").status_code == 401


def test_a_filename_keeps_only_its_last_part() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\me\\shot\x00.png") == "shot.png"
    assert clean_filename(None) == "attachment"
