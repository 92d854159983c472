"""The public feed's page cache in one API process: what changes a page changes it at once
(approval, revocation, the feed's definition, a rights window's end at its moment), hits are
answered without the page's query, HEAD and If-None-Match work on hits and misses alike.
Several worker processes: ``tests/e2e/test_feed_workers.py``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.feeds.cache import FeedPageCache, FeedVersions
from curation_api.settings import ApiSettings
from curation_api.sink.repository import upsert_scored_posts
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from tests.curation_api.curation_factories import MODERATOR, MODERATOR_KEY, T0, scored_post, store
from tests.curation_api.rights_factories import grant, put_brand

FEED = "/v1/feeds/wall/posts"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=1))


@pytest.fixture
def client(
    api_settings: ApiSettings, sessions: sessionmaker[Session], clock: Clock
) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, sessions=sessions, clock=clock)) as client:
        put_brand(client)
        response = client.put(
            "/v1/feeds/wall", json={"title": "Wall", "hashtags": ["mybrand"]}, headers=MODERATOR
        )
        assert response.status_code == 201, response.text
        yield client


@pytest.fixture
def page_queries(connection: Connection) -> Iterator[list[str]]:
    """The statements that read posts, as the test's connection sends them."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM posts" in statement:
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    yield seen
    event.remove(connection, "before_cursor_execute", record)


def shown(client: TestClient, **headers: str) -> list[str]:
    response = client.get(FEED, headers=headers)
    assert response.status_code == 200, response.text
    return [item["post_id"] for item in response.json()["items"]]


def publish(client: TestClient, post_id: str, **rights: Any) -> None:
    assert client.post(f"/v1/posts/{post_id}/approve", headers=MODERATOR).status_code == 200
    grant(client, post_id, **rights)


def test_a_hit_is_answered_without_reading_the_posts(
    client: TestClient, session: Session, page_queries: list[str]
) -> None:
    (post,) = store(session, scored_post())
    publish(client, post.post_id)
    first = client.get(FEED)
    rendered = len(page_queries)
    assert rendered > 0
    again = client.get(FEED)
    assert len(page_queries) == rendered
    assert again.content == first.content
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_approving_a_post_shows_it_and_revoking_its_rights_takes_it_away_at_once(
    client: TestClient, session: Session
) -> None:
    first, second = store(session, scored_post(), scored_post())
    publish(client, first.post_id)
    assert shown(client) == [first.post_id]
    publish(client, second.post_id)
    assert sorted(shown(client)) == sorted([first.post_id, second.post_id])
    grant(client, first.post_id, decision="revoked", note="asked us to stop")
    assert shown(client) == [second.post_id]
    assert client.post(f"/v1/posts/{second.post_id}/reject", headers=MODERATOR).status_code == 200
    assert shown(client) == []


def test_a_rights_window_ending_at_noon_drops_its_post_at_noon(
    client: TestClient, session: Session, clock: Clock
) -> None:
    noon = datetime(2025, 6, 3, 12, 0, tzinfo=T0.tzinfo)
    clock.now = noon - timedelta(minutes=5)
    (post,) = store(session, scored_post())
    publish(client, post.post_id, starts_at=clock.now.isoformat(), ends_at=noon.isoformat())
    clock.now = noon - timedelta(seconds=3)
    assert shown(client) == [post.post_id]
    response = client.get(FEED)
    # Nobody's cache may keep it past noon either.
    assert response.headers["Cache-Control"] == "public, max-age=3, stale-while-revalidate=0"
    clock.now = noon - timedelta(microseconds=1)
    assert shown(client) == [post.post_id]
    clock.now = noon
    assert shown(client) == []


def test_a_window_that_starts_later_shows_its_post_from_then(
    client: TestClient, session: Session, clock: Clock
) -> None:
    start = clock.now + timedelta(hours=2)
    (post,) = store(session, scored_post())
    publish(client, post.post_id, starts_at=start.isoformat())
    assert shown(client) == []
    clock.now = start
    assert shown(client) == [post.post_id]


def test_changing_the_feeds_hashtags_changes_its_page(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post(hashtags=["mybrand"]))
    publish(client, post.post_id)
    assert shown(client) == [post.post_id]
    body = {"title": "Wall", "hashtags": ["other"]}
    assert client.put("/v1/feeds/wall", json=body, headers=MODERATOR).status_code == 200
    assert shown(client) == []
    assert client.delete("/v1/feeds/wall", headers=MODERATOR).status_code == 204
    assert client.get(FEED).status_code == 404


def test_a_newer_scoring_of_a_shown_post_changes_its_page(
    client: TestClient, session: Session
) -> None:
    (post,) = store(session, scored_post(text="first words #mybrand"))
    publish(client, post.post_id)
    assert client.get(FEED).json()["items"][0]["text"] == "first words #mybrand"
    edited = post.model_copy(
        update={"text": "edited words #mybrand", "scored_at": post.scored_at + timedelta(hours=1)}
    )
    store(session, edited)
    assert client.get(FEED).json()["items"][0]["text"] == "edited words #mybrand"


@pytest.mark.parametrize("cached", [False, True], ids=["miss", "hit"])
def test_head_and_if_none_match_on_a_miss_and_on_a_hit(
    client: TestClient, session: Session, cached: bool
) -> None:
    (post,) = store(session, scored_post())
    publish(client, post.post_id)
    if cached:
        client.get(FEED)
    head = client.head(FEED)
    assert head.status_code == 200
    assert head.content == b""
    get = client.get(FEED)
    assert head.headers["ETag"] == get.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(get.content)
    assert get.headers["ETag"].startswith('"')
    not_modified = client.get(FEED, headers={"If-None-Match": get.headers["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == get.headers["ETag"]


def test_a_query_only_the_route_understands_still_gets_the_routes_answer(
    client: TestClient, session: Session
) -> None:
    (post,) = store(session, scored_post())
    publish(client, post.post_id)
    client.get(FEED)  # cached
    assert client.get(f"{FEED}?limit=0").status_code == 422
    assert client.get(f"{FEED}?cursor=garbage").status_code == 400
    assert client.get(f"{FEED}?limit=1&limit=2").status_code == 200


def test_a_page_read_never_waits_for_the_write_lock_on_sqlite(tmp_path: Path) -> None:
    """The sink or a moderator holding SQLite's write lock must not stall public reads or the
    health check (they used to queue behind it with BEGIN IMMEDIATE, then fail)."""
    url = f"sqlite:///{tmp_path / 'ugc.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    with create_session_factory(engine).begin() as session:
        upsert_scored_posts(session, [scored_post()])
    settings = ApiSettings(database_url=url, moderator_api_key=MODERATOR_KEY)
    with TestClient(create_app(settings)) as client:
        client.put(
            "/v1/feeds/wall", json={"title": "Wall", "hashtags": ["mybrand"]}, headers=MODERATOR
        )
        writer = engine.connect()
        writing = writer.begin()  # BEGIN IMMEDIATE: the write lock, until the rollback
        writer.execute(text("UPDATE posts SET text = text"))
        try:
            assert client.get("/healthz").status_code == 200
            assert client.get(FEED).status_code == 200
            assert client.get(f"{FEED}?limit=3").status_code == 200  # a miss reads too
        finally:
            writing.rollback()
            writer.close()
    engine.dispose()


def test_a_hit_carries_the_same_cors_grant_as_a_miss(client: TestClient, session: Session) -> None:
    (post,) = store(session, scored_post())
    publish(client, post.post_id)
    origin = {"Origin": "https://shop.example"}
    miss, hit = client.get(FEED, headers=origin), client.get(FEED, headers=origin)
    for name in ("Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary"):
        assert hit.headers[name] == miss.headers[name], name
    assert hit.headers["Access-Control-Allow-Origin"] == "*"
    assert "access-control-allow-origin" not in client.get(FEED).headers  # no Origin, no grant


def test_a_hit_grants_only_the_configured_origins(
    api_settings: ApiSettings, sessions: sessionmaker[Session], session: Session
) -> None:
    settings = api_settings.model_copy(update={"cors_origins": "https://shop.example"})
    with TestClient(create_app(settings, sessions=sessions)) as client:
        put_brand(client)
        feed = {"title": "Wall", "hashtags": ["mybrand"]}
        assert client.put("/v1/feeds/wall", json=feed, headers=MODERATOR).status_code == 201
        (post,) = store(session, scored_post())
        publish(client, post.post_id)
        for _ in range(2):  # the miss, then the hit
            shop = client.get(FEED, headers={"Origin": "https://shop.example"})
            other = client.get(FEED, headers={"Origin": "https://elsewhere.example"})
            assert shop.headers["Access-Control-Allow-Origin"] == "https://shop.example"
            assert "access-control-allow-origin" not in other.headers
            assert other.headers["Vary"] == shop.headers["Vary"] == "Origin"


class _KnownVersions(FeedVersions):
    def __init__(self) -> None:
        super().__init__(sessionmaker(), poll_s=1.0)

    def get(self, slug: str) -> int | None:  # noqa: ARG002
        return 1


def test_requests_that_arrive_during_a_render_wait_for_it_instead_of_rendering_too() -> None:
    cache = FeedPageCache(_KnownVersions(), max_pages=10, max_life_s=60)
    rendering = threading.Event()
    release = threading.Event()
    renders: list[int] = []

    def render() -> bytes:
        renders.append(1)
        rendering.set()
        assert release.wait(10)
        return b"[]"

    now = T0
    pages: list[bytes] = []
    threads = [
        threading.Thread(
            target=lambda: pages.append(
                cache.render(("wall", None, 20), now, render, lambda: None).body
            )
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    assert rendering.wait(10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert pages == [b"[]"] * 8
    assert renders == [1]
