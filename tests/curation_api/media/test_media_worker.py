"""Media copies end to end: a publishable post's image is fetched from a fake CDN by the
worker, stored as WebP variants (on disk and on moto's S3), served from our origin, retried
on failure and deleted when the post stops being publishable."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from curation_api.media.repository import media_of_post
from curation_api.media.service import variants_by_post
from curation_api.media.settings import MediaSettings
from curation_api.media.storage import MediaStore
from database.media_models import MediaCopy, MediaCopyState
from database.models import Post
from tests.curation_api.curation_factories import MODERATOR, scored_post, store
from tests.curation_api.media.conftest import make_worker, media_app
from tests.curation_api.media.media_fakes import Answer, FakeCdn, jpeg, png
from tests.curation_api.rights_factories import grant, put_brand


def publishable_post(
    client: TestClient, session: Session, media: list[dict[str, str]], *, approve: bool = True
) -> str:
    """A post with ``media``, approved and granted for the website through the API."""
    post = scored_post()
    store(session, post)
    row = session.get_one(Post, post.post_id)
    row.media = media
    session.commit()
    put_brand(client)
    if approve:
        answer = client.post(f"/v1/posts/{post.post_id}/approve", headers=MODERATOR)
        assert answer.status_code == 200, answer.text
    grant(client, post.post_id)
    return post.post_id


def copies_of(sessions: sessionmaker[Session], post_id: str) -> list[MediaCopy]:
    with sessions() as session:
        rows = media_of_post(session, post_id)
        session.expunge_all()
        return rows


def test_images_of_a_publishable_post_are_stored_served_and_outlive_their_source(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    store: MediaStore,
    cdn: FakeCdn,
) -> None:
    url = cdn.serve("/a.jpg", Answer(body=jpeg(width=800, height=600)))
    media = [
        {"type": "image", "url": url, "alt_text": "red shoes"},
        {"type": "video", "url": cdn.url("/v.mp4"), "alt_text": "clip"},
    ]
    post_id = publishable_post(client, session, media)
    worker = make_worker(sessions, media_settings, store)
    try:
        done = worker.run_round()
    finally:
        worker.close()

    assert done.stored == 1
    image, video = copies_of(sessions, post_id)
    assert image.state is MediaCopyState.STORED
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 800, 600)
    assert [(v["width"], v["height"]) for v in image.variants] == [
        (320, 240),
        (640, 480),
        (800, 600),
    ]
    assert video.state is MediaCopyState.FAILED
    assert video.last_error is not None
    assert "not copied" in video.last_error

    with sessions() as read:
        shown = variants_by_post(read, [post_id])[post_id]
    assert [m.position for m in shown] == [0]
    assert shown[0].alt_text == "red shoes"
    assert shown[0].variants[0].url == f"/media/{image.id}/320.webp"

    cdn.answers["/a.jpg"] = [Answer(status=404, body=b"expired")]  # the CDN link expired
    with media_app(sessions, store) as media_client:
        served = media_client.get(f"/media/{image.id}/640.webp")
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/webp"
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        with Image.open(io.BytesIO(served.content)) as webp:
            assert (webp.format, webp.size) == ("WEBP", (640, 480))
            assert "exif" not in webp.info
        again = media_client.get(
            f"/media/{image.id}/640.webp", headers={"If-None-Match": served.headers["etag"]}
        )
        assert again.status_code == 304
        assert media_client.get(f"/media/{image.id}/1080.webp").status_code == 404


def test_revoked_rights_delete_the_stored_copies_and_the_route_answers_404(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    store: MediaStore,
    cdn: FakeCdn,
) -> None:
    url = cdn.serve("/b.png", Answer(body=png(width=400, height=200), content_type="image/png"))
    post_id = publishable_post(client, session, [{"type": "image", "url": url}])
    worker = make_worker(sessions, media_settings, store)
    try:
        worker.run_round()
        (copy,) = copies_of(sessions, post_id)
        keys = [str(v["key"]) for v in copy.variants]
        assert keys
        assert all(store.get(key) for key in keys)

        grant(client, post_id, decision="revoked", note="changed their mind")
        with media_app(sessions, store) as media_client:
            # Refused at once, before the worker has removed anything.
            assert media_client.get(f"/media/{copy.id}/320.webp").status_code == 404
        assert worker.run_round().deleted == 1
    finally:
        worker.close()

    (deleted,) = copies_of(sessions, post_id)
    assert deleted.state is MediaCopyState.DELETED
    assert all(store.get(key) is None for key in keys)


def test_a_private_address_is_refused_without_the_setting(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    directory_store: MediaStore,
    cdn: FakeCdn,
) -> None:
    url = cdn.serve("/inner.jpg", Answer(body=jpeg()))
    post_id = publishable_post(client, session, [{"type": "image", "url": url}])
    settings = media_settings.model_copy(update={"media_allow_private": False})
    worker = make_worker(sessions, settings, directory_store)
    try:
        worker.run_round()
    finally:
        worker.close()

    (copy,) = copies_of(sessions, post_id)
    assert copy.state is MediaCopyState.PENDING  # retried later, failed after the last attempt
    assert copy.last_error is not None
    assert "loopback" in copy.last_error
    assert "UGC_MEDIA_ALLOW_PRIVATE" in copy.last_error
    assert cdn.hits.get("/inner.jpg") is None


def test_too_big_or_not_an_image_fails_with_the_reason_after_the_last_attempt(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    directory_store: MediaStore,
    cdn: FakeCdn,
) -> None:
    big = cdn.serve("/big.jpg", Answer(body=jpeg() + b"\0" * 5000))
    text = cdn.serve("/page.jpg", Answer(body=b"<html>hotlinking refused</html>"))
    media = [{"type": "image", "url": big}, {"type": "image", "url": text}]
    post_id = publishable_post(client, session, media)
    settings = media_settings.model_copy(update={"media_max_bytes": 4000})
    worker = make_worker(sessions, settings, directory_store)
    try:
        for _ in range(settings.media_max_attempts):
            worker.run_round()
            _make_due(sessions, post_id)
    finally:
        worker.close()

    too_big, not_image = copies_of(sessions, post_id)
    assert (too_big.state, too_big.attempts) == (MediaCopyState.FAILED, 3)
    assert too_big.last_error is not None
    assert "larger than the limit" in too_big.last_error
    assert (not_image.state, not_image.attempts) == (MediaCopyState.FAILED, 3)
    assert not_image.last_error is not None
    assert "not a JPEG" in not_image.last_error
    assert cdn.hits["/page.jpg"] == 3


def test_a_server_error_is_retried_after_a_backoff_and_then_stored(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    directory_store: MediaStore,
    cdn: FakeCdn,
) -> None:
    url = cdn.serve("/flaky.jpg", Answer(status=500, body=b"oops"), Answer(body=jpeg()))
    post_id = publishable_post(client, session, [{"type": "image", "url": url}])
    worker = make_worker(sessions, media_settings, directory_store)
    try:
        worker.run_round()
        (first,) = copies_of(sessions, post_id)
        assert (first.state, first.attempts, first.last_error) == (
            MediaCopyState.PENDING,
            1,
            "HTTP 500 from the media URL",
        )
        assert first.next_attempt_at is not None
        assert first.next_attempt_at > first.updated_at
        assert worker.run_round().attempted == 0  # not due yet
        _make_due(sessions, post_id)
        assert worker.run_round().stored == 1
    finally:
        worker.close()
    (stored,) = copies_of(sessions, post_id)
    assert (stored.state, stored.attempts, stored.last_error) == (MediaCopyState.STORED, 2, None)


def _make_due(sessions: sessionmaker[Session], post_id: str) -> None:
    # Moves the retries' due times into the past instead of waiting for them.
    with sessions.begin() as session:
        for copy in media_of_post(session, post_id):
            if copy.next_attempt_at is not None:
                copy.next_attempt_at = copy.updated_at.replace(year=2000)


def test_the_feed_serves_our_copy_once_it_is_stored_and_the_networks_url_before(
    client: TestClient,
    session: Session,
    sessions: sessionmaker[Session],
    media_settings: MediaSettings,
    directory_store: MediaStore,
    cdn: FakeCdn,
) -> None:
    url = cdn.serve("/b.png", Answer(body=png(width=1200, height=900), content_type="image/png"))
    post_id = publishable_post(client, session, [{"type": "image", "url": url, "alt_text": "a"}])
    feed = {"title": "Wall", "hashtags": ["mybrand"]}
    assert client.put("/v1/feeds/wall", json=feed, headers=MODERATOR).status_code == 201
    (before,) = client.get("/v1/feeds/wall/posts").json()["items"][0]["media"]
    assert (before["url"], before["variants"], before["source_url"]) == (url, [], None)

    worker = make_worker(sessions, media_settings, directory_store)
    try:
        assert worker.run_round().stored == 1
    finally:
        worker.close()

    (item,) = client.get("/v1/feeds/wall/posts").json()["items"][0]["media"]  # the page changed
    (copy,) = copies_of(sessions, post_id)
    assert item["source_url"] == url
    assert item["url"] == f"/media/{copy.id}/1080.webp"
    assert [(v["width"], v["height"]) for v in item["variants"]] == [
        (320, 240),
        (640, 480),
        (1080, 810),
    ]
    assert (item["width"], item["height"], item["alt_text"]) == (1200, 900, "a")
