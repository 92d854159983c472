"""Bluesky search (polling, backfill) against a fake PDS: sessions, refusals, windows and paging,
rate limits, normalization of PostViews, and a restart test on the real broker."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import Platform
from ingest.connectors.base import AuthFailed, ConfigError
from ingest.connectors.bluesky import BlueskyConnector
from tests.ingest.fake_bluesky import FakeBlueskyXrpc
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.polling_checks import connect, job_on
from tests.ingest.restart_harness import check_restarts_lose_nothing

CREDENTIALS = {"identifier": "brand.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}


@pytest.fixture
def server(clock: FakeClock) -> FakeBlueskyXrpc:
    return FakeBlueskyXrpc(now=clock.now)


def make_connector(
    server: FakeBlueskyXrpc,
    clock: FakeClock,
    *,
    credentials: dict[str, str] | None = None,
    hashtags: tuple[str, ...] = ("brand",),
    **options: Any,
) -> BlueskyConnector:
    job = job_on(
        "bluesky",
        *hashtags,
        job_id="bsky-1",
        credentials=CREDENTIALS if credentials is None else credentials,
        **{"base_url": server.base_url, **options},
    )
    return connect(BlueskyConnector, job, server.client(), clock)


def publish(server: FakeBlueskyXrpc, clock: FakeClock, count: int, **fields: Any) -> list[str]:
    """``count`` posts, one a second; their AT URIs, oldest first."""
    uris = []
    for _ in range(count):
        clock.advance(1)
        uris.append(server.post(**fields)["uri"])
    return uris


def uris(items: Sequence[Any]) -> list[object]:
    return [item["uri"] for item in items]


def test_search_logs_in_and_normalizes_post_views(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    server.post(
        "Über café ☕ #Brand and #summer",
        tag="Brand",
        handle="carla.example.com",
        display_name="Carla",
        images=[("bafkreiimage1", "A red running shoe")],
        counts=(4, 3, 12, 1),
    )
    connector = make_connector(server, clock)

    result = connector.fetch("brand", None)
    post = connector.normalize(result.items[0], "brand", clock.now())

    login, search = server.requests
    assert login.method == "POST"
    assert login.url.path == "/xrpc/com.atproto.server.createSession"
    assert json.loads(login.content) == {
        "identifier": "brand.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    assert search.headers["Authorization"] == "Bearer access-1"
    assert dict(search.url.params) == {
        "q": "#brand",
        "tag": "brand",
        "sort": "latest",
        "limit": "100",
    }
    assert post is not None
    view = result.items[0]
    assert post.platform is Platform.BLUESKY
    assert post.native_id == view["uri"]
    assert post.hashtags == ["brand", "summer"]
    assert post.text == "Über café ☕ #Brand and #summer"
    assert (post.author.id, post.author.handle, post.author.display_name) == (
        "did:plc:alice",
        "carla.example.com",
        "Carla",
    )
    assert (
        post.permalink
        == f"https://bsky.app/profile/did:plc:alice/post/{view['uri'].rsplit('/', 1)[1]}"
    )
    assert post.language == "en"
    assert post.created_at == clock.now() - timedelta(seconds=1)
    assert (post.engagement.replies, post.engagement.reposts) == (4, 3)
    assert (post.engagement.likes, post.engagement.quotes) == (12, 1)
    [media] = post.media
    assert (
        media.url == "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:alice/bafkreiimage1@jpeg"
    )
    assert media.preview_url == (
        "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:alice/bafkreiimage1@jpeg"
    )
    assert media.alt_text == "A red running shoe"


def test_an_expired_token_is_refreshed_and_the_search_repeated(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    connector = make_connector(server, clock)
    connector.fetch("brand", None)
    server.expire_tokens()
    new = publish(server, clock, 2)

    result = connector.fetch("brand", json.dumps({"since": "2025-03-01T11:00:00Z"}))

    assert uris(result.items) == new
    assert server.refreshes == 1
    assert server.sessions_created == 1
    assert server.requests[-1].headers["Authorization"] == "Bearer access-2"


def test_a_token_that_stays_expired_fails_the_job_after_one_refresh(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    server.tokens_expire_at_once = True
    connector = make_connector(server, clock)

    with pytest.raises(AuthFailed, match="Token has expired") as failed:
        connector.fetch("brand", None)

    assert failed.value.status == 401
    assert server.refreshes == 1
    assert len(server.search_params) == 2


def test_an_anonymous_search_refused_with_html_says_a_session_is_required(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, credentials={})

    with pytest.raises(AuthFailed, match="a session is required") as failed:
        connector.fetch("brand", None)

    assert failed.value.status == 403
    assert "identifier and app_password" in str(failed.value)
    assert "Authorization" not in server.requests[0].headers


def test_a_wrong_app_password_fails_without_echoing_it(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    connector = make_connector(
        server, clock, credentials={"identifier": "brand.bsky.social", "app_password": "wrong-pw"}
    )

    with pytest.raises(AuthFailed, match="Invalid identifier or password") as failed:
        connector.fetch("brand", None)

    assert "wrong-pw" not in str(failed.value)
    assert "wrong-pw" not in repr(connector)


def test_half_of_the_credentials_is_a_config_error_naming_the_missing_one(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    with pytest.raises(ConfigError, match="credential app_password is missing"):
        make_connector(server, clock, credentials={"identifier": "brand.bsky.social"})


def test_windows_page_back_with_the_cursor_over_several_fetches(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    history = publish(server, clock, 250)
    connector = make_connector(server, clock, max_pages=1)

    first = connector.fetch("brand", None)  # backfill_pages=1: the newest page of history
    assert uris(first.items) == history[-100:]
    assert not first.more

    new = publish(server, clock, 150)
    second = connector.fetch("brand", first.position)
    assert second.more  # one page of a two-page window
    assert uris(second.items) == new[-100:]
    third = connector.fetch("brand", second.position)
    assert uris(third.items) == new[:50]
    assert third.more  # the window's last page: the overlap with the history already returned
    fourth = connector.fetch("brand", third.position)
    assert (fourth.items, fourth.more) == ([], False)
    fifth = connector.fetch("brand", fourth.position)
    assert (fifth.items, fifth.more) == ([], False)

    windows = server.search_params[1:]
    newest_history = json.loads(first.position or "")["newest"]
    assert windows[0]["since"] == windows[1]["since"] < newest_history  # overlap before it
    assert ["cursor" in w and w["cursor"] for w in windows] == [False, "100", "200", False]
    assert windows[3]["since"] > newest_history  # the next window starts after the first


def test_a_post_indexed_late_within_the_overlap_is_still_found(
    server: FakeBlueskyXrpc, clock: FakeClock
) -> None:
    connector = make_connector(server, clock)
    publish(server, clock, 3)
    first = connector.fetch("brand", None)
    # Written 20 s ago, indexed only now: it sorts before posts already returned.
    clock.advance(1)
    late = server.post(created_at=clock.now() - timedelta(seconds=20))

    second = connector.fetch("brand", first.position)

    assert uris(second.items) == [late["uri"]]


def test_a_429_waits_for_the_ratelimit_reset(server: FakeBlueskyXrpc, clock: FakeClock) -> None:
    publish(server, clock, 1)
    server.spend_rate_limit(reset_in_s=30)
    connector = make_connector(server, clock)

    result = connector.fetch("brand", None)

    assert len(result.items) == 1
    assert clock.sleeps == [30.0]
    budget = connector.budget()
    assert budget is not None
    assert budget.limit == 3000
    assert budget.remaining == 2998  # the session, then the search


@pytest.mark.broker
def test_restarts_at_random_points_lose_no_post(
    broker: str, server: FakeBlueskyXrpc, clock: FakeClock, tmp_path: Path
) -> None:
    tag = f"bsky{uuid.uuid4().hex[:8]}"
    job = job_on(
        "bluesky",
        tag,
        job_id=f"bsky-restart-{tag}",
        credentials=CREDENTIALS,
        base_url=server.base_url,
        max_pages=1,
        backfill_pages=10,
    )
    rng = random.Random(11)
    published: list[str] = []

    def publish_round(_: int) -> None:
        for _ in range(rng.randint(0, 140)):
            clock.advance(rng.choice([0, 1, 2]))
            published.append(server.post(f"new #{tag} drop", tag=tag)["uri"])

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(BlueskyConnector, job, server.client(), clock),
        publish=publish_round,
        published=published,
        checkpoint_dir=tmp_path / "checkpoints",
    )
