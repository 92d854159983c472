"""The Reddit connector against a fake Reddit that speaks the documented search API."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import Platform
from ingest.connectors.base import AuthFailed, ConfigError, JobSpec
from ingest.connectors.reddit import RedditConnector
from tests.ingest.fake_reddit import FakeReddit
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.polling_checks import (
    PollingHarness,
    assert_secrets_hidden,
    capture_every_log,
    check_a_malformed_body_keeps_the_position,
    connect,
    job_on,
)
from tests.ingest.restart_harness import check_restarts_lose_nothing

TOKEN = "reddit-test-token-s3cr3t"
SECRET = "app-secret-s3cr3t"


@pytest.fixture
def server(clock: FakeClock) -> FakeReddit:
    return FakeReddit(now=clock.now, access_token=TOKEN, client_secret=SECRET)


def make_job(
    *, credentials: dict[str, str] | None = None, tags: tuple[str, ...] = ("brand",), **options: Any
) -> JobSpec:
    credentials = {"access_token": TOKEN} if credentials is None else credentials
    return job_on("reddit", *tags, job_id="reddit-job", credentials=credentials, **options)


def make_connector(server: FakeReddit, clock: FakeClock, **job: Any) -> RedditConnector:
    return connect(RedditConnector, make_job(**job), server.client(), clock)


def make_runner(connector: RedditConnector, tmp_path: Path, clock: FakeClock) -> PollingHarness:
    return PollingHarness(make_job(), connector, tmp_path / "checkpoints", clock)


def saved_name(runner: PollingHarness) -> str | None:
    """The fullname of the newest post the saved position marks."""
    position = runner.decoded_position
    return position["name"] if position is not None else None


@pytest.fixture
def runner(server: FakeReddit, clock: FakeClock, tmp_path: Path) -> PollingHarness:
    return make_runner(make_connector(server, clock, limit=10), tmp_path, clock)


def ids(items: Any) -> list[str]:
    return [child["data"]["id"] for child in items]


# --- paging and positions -----------------------------------------------------------------


def test_first_poll_takes_the_newest_backfill_pages(
    server: FakeReddit, clock: FakeClock, tmp_path: Path
) -> None:
    published = server.post_many(25)
    runner = make_runner(make_connector(server, clock, limit=10, backfill_pages=2), tmp_path, clock)

    assert runner.poll() == 20

    assert sorted(runner.producer.native_ids) == sorted(published[5:])
    first, second = server.search_params
    assert first == {
        "q": "brand",
        "sort": "new",
        "limit": "10",
        "type": "link",
        "include_over_18": "on",
    }
    assert second["after"] == f"t3_{published[15]}"
    assert runner.decoded_position == {
        "created_utc": server.posts[-1]["created_utc"],
        "name": f"t3_{published[-1]}",
    }


def test_later_polls_page_back_with_after_until_they_reach_the_position(
    server: FakeReddit, runner: PollingHarness
) -> None:
    first = server.post_many(3)
    runner.poll()
    new = server.post_many(25)
    server.requests.clear()

    assert runner.poll() == 25

    assert [p.get("after") for p in server.search_params] == [None, f"t3_{new[15]}", f"t3_{new[5]}"]
    assert sorted(runner.producer.native_ids) == sorted(first + new)
    assert len(runner.producer.native_ids) == 28  # the position's post is not fetched again
    assert saved_name(runner) == f"t3_{new[-1]}"
    # base-36 ids of different lengths order as numbers: "zzzzzz" < "1000000"
    assert len(first[0]) == 6
    assert len(new[-1]) == 7


def test_a_poll_with_nothing_new_asks_once_and_keeps_the_position(
    server: FakeReddit, runner: PollingHarness
) -> None:
    server.post_many(3)
    runner.poll()
    before = runner.decoded_position
    server.requests.clear()

    assert runner.poll() == 0

    assert len(server.requests) == 1
    assert runner.decoded_position == before


def test_posts_of_the_same_second_are_ordered_by_id(
    server: FakeReddit, runner: PollingHarness
) -> None:
    first = server.post(created_utc=1740830000.0)
    runner.poll()
    same_second = server.post(created_utc=1740830000.0)

    assert runner.poll() == 1
    assert runner.poll() == 0

    assert runner.producer.native_ids == [first["id"], same_second["id"]]


def test_the_page_cap_records_where_to_go_on_and_the_next_fetches_leave_no_gap(
    server: FakeReddit, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, limit=10, max_pages=2)
    server.post_many(1)
    start = connector.fetch("brand", None).position
    new = server.post_many(45)

    result = connector.fetch("brand", start)
    assert result.more
    assert result.position is not None
    assert sorted(ids(result.items)) == sorted(new[-20:])
    position = json.loads(result.position)
    assert position["after"] == f"t3_{new[-20]}"
    assert position["newest"]["name"] == f"t3_{new[-1]}"
    assert position["name"] == json.loads(start or "")["name"]

    later = server.post_many(2)  # arriving meanwhile: fetched once the old position is reached
    result = connector.fetch("brand", result.position)
    assert server.search_params[-2]["after"] == f"t3_{new[-20]}"
    assert sorted(ids(result.items)) == sorted(new[5:25])
    assert result.more

    result = connector.fetch("brand", result.position)
    assert sorted(ids(result.items)) == sorted(new[:5])
    assert not result.more
    assert result.position is not None
    assert json.loads(result.position)["name"] == f"t3_{new[-1]}"

    assert sorted(ids(connector.fetch("brand", result.position).items)) == sorted(later)


def test_a_backlog_beyond_the_page_cap_is_produced_whole_in_one_poll(
    server: FakeReddit, clock: FakeClock, tmp_path: Path
) -> None:
    runner = make_runner(make_connector(server, clock, limit=10, max_pages=1), tmp_path, clock)
    first = server.post_many(1)
    runner.poll()
    new = server.post_many(35)

    assert runner.poll() == 35

    assert sorted(runner.producer.native_ids) == sorted(first + new)


def test_a_listing_that_ends_before_the_position_moves_on_and_says_so(
    server: FakeReddit, runner: PollingHarness, caplog: pytest.LogCaptureFixture
) -> None:
    server.post_many(1)
    runner.poll()
    new = server.post_many(30)
    server.listing_depth = 15  # Reddit stops listings after so many results

    assert runner.poll() == 15

    assert sorted(runner.producer.native_ids[1:]) == sorted(new[-15:])
    assert saved_name(runner) == f"t3_{new[-1]}"
    assert "the listing ended before the position" in caplog.text


# --- which posts count, and normalization -------------------------------------------------


def test_only_posts_using_the_hashtag_are_kept(server: FakeReddit, runner: PollingHarness) -> None:
    kept = [
        server.post(title="My #Brand haul"),
        server.post(title="Weekly thread", selftext="Shoes!\n\n\\#brand #running"),
    ]
    server.post(title="Which brand of shoes?")  # the bare word
    server.post(title="#brandnew shoes")  # another hashtag
    server.post(title="Shoes", selftext="see https://example.com/page#brand")
    server.post(title="Shoes", selftext="see [this](https://example.com/#brand)")

    runner.poll()

    assert sorted(runner.producer.native_ids) == sorted(p["id"] for p in kept)
    assert saved_name(runner) == server.posts[-1]["name"]


def test_a_job_can_choose_to_count_the_bare_word(
    server: FakeReddit, clock: FakeClock, tmp_path: Path
) -> None:
    runner = make_runner(make_connector(server, clock, match="word"), tmp_path, clock)
    word = server.post(title="Which brand of shoes?")
    hashtag = server.post(title="My #brand haul")
    server.post(title="Brandy for sale")

    assert runner.poll() == 2
    assert sorted(runner.producer.native_ids) == sorted([word["id"], hashtag["id"]])


def test_deleted_posts_are_skipped_but_the_position_passes_them(
    server: FakeReddit, runner: PollingHarness
) -> None:
    kept = server.post()
    server.delete(server.post(selftext="about #brand"))

    assert runner.poll() == 1

    assert runner.producer.native_ids == [kept["id"]]
    assert saved_name(runner) == server.posts[-1]["name"]


def test_a_post_normalizes_to_a_raw_post(
    server: FakeReddit, runner: PollingHarness, clock: FakeClock
) -> None:
    post = server.post(
        title="Rate my #Brand & <new> kicks",
        selftext="**Bought them** at R&D store.\n\n> quote\n\n#RunningClub",
        author="dana",
        author_fullname="t2_abc123",
        score=57,
        num_comments=12,
        num_crossposts=1,
        over_18=True,
        created_utc=1740830400.0,
        url="https://i.redd.it/abc123.jpg",
        is_self=False,
        preview={
            "images": [
                {"source": {"url": "https://preview.redd.it/abc123.jpg?width=640&s=deadbeef"}}
            ]
        },
    )

    runner.poll()

    [raw] = runner.producer.posts
    assert raw.post_id == f"reddit:{post['id']}"
    assert raw.platform is Platform.REDDIT
    assert raw.text == (
        "Rate my #Brand & <new> kicks\n\n**Bought them** at R&D store.\n\n> quote\n\n#RunningClub"
    )
    assert raw.hashtags == ["brand", "runningclub"]
    assert (raw.author.id, raw.author.handle, raw.author.followers) == ("t2_abc123", "dana", None)
    assert [(m.type, m.url, m.preview_url, m.alt_text) for m in raw.media] == [
        (
            "image",
            "https://i.redd.it/abc123.jpg",
            "https://preview.redd.it/abc123.jpg?width=640&s=deadbeef",
            None,
        )
    ]
    assert raw.permalink == f"https://www.reddit.com{post['permalink']}"
    assert raw.language is None
    assert raw.created_at.isoformat() == "2025-03-01T12:00:00+00:00"
    assert raw.collected_at == clock.now()
    assert (raw.engagement.likes, raw.engagement.replies, raw.engagement.reposts) == (57, 12, 1)
    assert raw.engagement.quotes is None


def test_media_comes_from_galleries_videos_and_link_previews(
    server: FakeReddit, runner: PollingHarness
) -> None:
    gallery = server.post(
        is_gallery=True,
        gallery_data={"items": [{"media_id": "m1", "caption": "Left shoe"}, {"media_id": "m2"}]},
        media_metadata={
            "m1": {"e": "Image", "s": {"u": "https://preview.redd.it/m1.jpg?a=1&amp;s=2"}},
            "m2": {"e": "Image", "s": {"u": "https://preview.redd.it/m2.jpg"}},
        },
    )
    video = server.post(
        is_video=True,
        url="https://v.redd.it/xyz",
        media={"reddit_video": {"fallback_url": "https://v.redd.it/xyz/DASH_720.mp4"}},
    )
    link = server.post(
        url="https://example.com/review",
        preview={"images": [{"source": {"url": "https://external-preview.redd.it/r.jpg"}}]},
    )
    text_only = server.post()

    runner.poll()

    media = {
        p.native_id: [(m.type, m.url, m.alt_text) for m in p.media] for p in runner.producer.posts
    }
    assert media[gallery["id"]] == [
        ("image", "https://preview.redd.it/m1.jpg?a=1&s=2", "Left shoe"),
        ("image", "https://preview.redd.it/m2.jpg", None),
    ]
    assert media[video["id"]] == [("video", "https://v.redd.it/xyz/DASH_720.mp4", None)]
    assert media[link["id"]] == [("image", "https://external-preview.redd.it/r.jpg", None)]
    assert media[text_only["id"]] == []


def test_a_negative_score_is_no_like_count(server: FakeReddit, runner: PollingHarness) -> None:
    server.post(score=-4)
    runner.poll()
    assert runner.producer.posts[0].engagement.likes is None


@pytest.mark.parametrize("breakage", ["no title", "not a post"])
def test_a_malformed_item_is_dead_lettered_and_the_rest_produced(
    server: FakeReddit, runner: PollingHarness, breakage: str
) -> None:
    good, broken, last = server.post(), server.post(), server.post()

    def mangle(child: dict[str, Any]) -> None:
        if child["data"]["id"] == broken["id"]:
            if breakage == "no title":
                del child["data"]["title"]
            else:
                child["kind"] = "t1"

    server.mangle = mangle

    assert runner.poll() == 2

    assert sorted(runner.producer.native_ids) == sorted([good["id"], last["id"]])
    [dead] = runner.producer.dead_letters
    assert dead.stage == "ingest.reddit"
    assert ("title" if breakage == "no title" else "kind t3") in dead.reason
    assert json.loads(dead.original)["data"]["id"] == broken["id"]
    assert saved_name(runner) == f"t3_{last['id']}"


# --- rate limits, retries and errors ------------------------------------------------------


def test_429_waits_until_the_reset_then_retries(
    server: FakeReddit, runner: PollingHarness, clock: FakeClock
) -> None:
    published = server.post_many(2)
    server.spend_rate_limit(reset_in_s=42)

    assert runner.poll() == 2

    assert server.responses == [429, 200]
    assert clock.sleeps == [pytest.approx(42.0)]
    assert sorted(runner.producer.native_ids) == sorted(published)


@pytest.mark.parametrize("remaining", ["0.0", "0.4"])
def test_less_than_one_request_left_waits_for_the_reset_before_asking_again(
    server: FakeReddit, clock: FakeClock, remaining: str
) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        response.headers["X-Ratelimit-Remaining"] = remaining
        response.headers["X-Ratelimit-Reset"] = "120"
        return response

    connector = RedditConnector.from_job(
        make_job(),
        client=httpx.Client(transport=httpx.MockTransport(handle)),
        now=clock.now,
        sleep=clock.sleep,
    )
    connector.fetch("brand", None)
    clock.advance(20)

    connector.fetch("brand", None)

    assert clock.sleeps == [pytest.approx(100.0)]
    budget = connector.budget()
    assert budget is not None
    assert budget.remaining == 0


@pytest.mark.parametrize("fault", ["503", "network"])
def test_unavailable_reddit_is_retried_with_exponential_backoff(
    server: FakeReddit, runner: PollingHarness, clock: FakeClock, fault: str
) -> None:
    published = server.post_many(1)
    server.unavailable_next(fault, times=3)

    assert runner.poll() == 1

    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert runner.producer.native_ids == published


def test_a_refused_token_fails_the_job_with_reddits_message(
    server: FakeReddit, clock: FakeClock, tmp_path: Path
) -> None:
    server.post_many(1)
    runner = make_runner(
        make_connector(server, clock, credentials={"access_token": "expired"}), tmp_path, clock
    )

    runner.runner.run(threading.Event())  # returns instead of polling on

    assert runner.health.failing
    assert runner.health.last_error == "reddit answered 401 to GET /search: Unauthorized"
    assert len(server.requests) == 1
    assert runner.decoded_position is None


@pytest.mark.parametrize("body", [b"<!doctype html><p>we broke</p>", b'{"kind": "t3"}', b"{"])
def test_a_malformed_body_keeps_the_position_and_the_next_poll_gets_the_posts(
    server: FakeReddit, runner: PollingHarness, body: bytes
) -> None:
    server.post_many(1)

    check_a_malformed_body_keeps_the_position(
        runner, publish=lambda: server.post_many(3), malform_next=lambda: server.malform_next(body)
    )


# --- anonymous and app-only access --------------------------------------------------------


def test_anonymous_search_paces_requests_so_the_limit_is_never_hit(
    server: FakeReddit, clock: FakeClock, tmp_path: Path
) -> None:
    runner = make_runner(make_connector(server, clock, credentials={}, limit=5), tmp_path, clock)
    server.post_many(3)
    runner.poll()
    server.post_many(22)
    for _ in range(5):
        runner.poll()  # 5 pages, then 4 polls of one page each, without time passing

    assert 429 not in server.responses
    requests = server.search_requests
    assert len(requests) == 10
    assert {(r.url.host, r.url.path) for r in requests} == {("www.reddit.com", "/search.json")}
    assert all("Authorization" not in r.headers for r in requests)
    assert clock.sleeps == [pytest.approx(6.0)] * 9
    assert len(runner.producer.native_ids) == 25


def test_anonymous_retries_are_paced_too(server: FakeReddit, clock: FakeClock) -> None:
    connector = make_connector(server, clock, credentials={})
    server.fail_next(503)

    connector.fetch("brand", None)

    assert clock.sleeps == [1.0, pytest.approx(5.0)]  # the backoff, then the rest of the 6 s


def test_a_descriptive_user_agent_is_sent(server: FakeReddit, clock: FakeClock) -> None:
    agent = "linux:com.example.listening:1.2 (by /u/brandteam)"
    make_connector(server, clock, user_agent=agent).fetch("brand", None)
    assert server.requests[0].headers["User-Agent"] == agent


def test_app_only_oauth_gets_a_token_reuses_it_and_renews_it_when_refused(
    server: FakeReddit, clock: FakeClock
) -> None:
    app = {"client_id": "app-id", "client_secret": SECRET}
    connector = make_connector(server, clock, credentials=app)

    connector.fetch("brand", None)
    connector.fetch("brand", None)
    server.revoke_tokens()
    connector.fetch("brand", None)

    grants = [r for r in server.requests if r.method == "POST"]
    assert len(grants) == 2
    assert grants[0].url == "https://www.reddit.com/api/v1/access_token"
    assert grants[0].content == b"grant_type=client_credentials"
    searches = server.search_requests
    assert [r.headers["Authorization"] for r in searches] == [
        "Bearer app-token-1",
        "Bearer app-token-1",
        "Bearer app-token-1",  # refused: one new token, and the request again
        "Bearer app-token-2",
    ]
    assert server.responses[-3:] == [401, 200, 200]  # refused, granted, answered


def test_an_app_only_token_is_renewed_before_it_expires(
    server: FakeReddit, clock: FakeClock
) -> None:
    connector = make_connector(
        server, clock, credentials={"client_id": "app-id", "client_secret": SECRET}
    )
    connector.fetch("brand", None)
    clock.advance(86400 - 30)

    connector.fetch("brand", None)

    assert server.granted == ["app-token-1", "app-token-2"]
    assert 401 not in server.responses


def test_a_wrong_client_secret_fails_with_reddits_message(
    server: FakeReddit, clock: FakeClock
) -> None:
    connector = make_connector(
        server, clock, credentials={"client_id": "app-id", "client_secret": "wrong"}
    )
    with pytest.raises(AuthFailed, match="401 to POST /api/v1/access_token: Unauthorized"):
        connector.fetch("brand", None)


@pytest.mark.parametrize(
    ("credentials", "options", "named"),
    [
        ({"client_id": "app-id"}, {}, "'client_secret' is missing"),
        ({}, {"access": "oauth"}, "'access_token'"),
        ({"access_token": TOKEN}, {"access": "scrape"}, "access must be oauth or anonymous"),
        ({"access_token": TOKEN}, {"limit": 500}, "limit must be 1 to 100"),
        ({"access_token": TOKEN}, {"match": "fuzzy"}, "match must be hashtag or word"),
    ],
)
def test_incomplete_settings_are_config_errors_naming_what_is_missing(
    server: FakeReddit,
    clock: FakeClock,
    credentials: dict[str, str],
    options: dict[str, Any],
    named: str,
) -> None:
    with pytest.raises(ConfigError, match=named):
        make_connector(server, clock, credentials=credentials, **options)


def test_credentials_never_appear_in_messages_or_logs(
    server: FakeReddit, clock: FakeClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    capture_every_log(caplog)
    server.post_many(1)
    server.spend_rate_limit(reset_in_s=5)
    server.fail_next(503)
    connector = make_connector(server, clock)
    make_runner(connector, tmp_path, clock).poll()
    app = make_connector(
        server, clock, credentials={"client_id": "app-id", "client_secret": SECRET}
    )
    app.fetch("brand", None)

    failures = []
    for credentials in (
        {"access_token": f"{TOKEN}-old"},
        {"client_id": "x", "client_secret": SECRET},
    ):
        runner = make_runner(
            make_connector(server, clock, credentials=credentials), tmp_path, clock
        )
        with pytest.raises(AuthFailed) as failure:
            runner.poll()
        failures.append(str(failure.value))
        runner.runner.run(threading.Event())

    assert_secrets_hidden(
        caplog, [TOKEN, SECRET], *failures, repr(connector), repr(app), repr(make_job())
    )


# --- restarts -----------------------------------------------------------------------------


@pytest.mark.broker
def test_killed_at_random_points_the_topic_ends_with_every_post(
    broker: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    server = FakeReddit(now=clock.now, access_token=TOKEN)
    tag = f"brand{uuid.uuid4().hex[:8]}"
    # small pages and a low cap so that restarts land in the middle of a backlog
    job = job_on(
        "reddit",
        tag,
        job_id=f"reddit-restart-{tag}",
        credentials={"access_token": TOKEN},
        limit=5,
        max_pages=2,
        backfill_pages=50,
    )
    published: list[str] = []

    def publish(round_number: int) -> None:
        for n in range((7 * round_number + 5) % 23):
            post = server.post(title=f"Day {round_number}.{n} with #{tag}")
            if n % 9 == 4:
                server.delete(post)  # listed, skipped, never on the topic
            else:
                published.append(post["id"])

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(RedditConnector, job, server.client(), clock),
        publish=publish,
        published=published,
        checkpoint_dir=tmp_path / "checkpoints",
    )
