"""The X (API v2) connector against a fake X that speaks the documented recent-search API."""

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
from ingest.connectors.x import XConnector
from tests.ingest.fake_x import CLIENT_FORBIDDEN, FakeX, make_media, make_user
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

TOKEN = "x-test-bearer-s3cr3t"


@pytest.fixture
def server(clock: FakeClock) -> FakeX:
    return FakeX(now=clock.now, bearer_token=TOKEN)


def make_job(*, token: str = TOKEN, tags: tuple[str, ...] = ("brand",), **options: Any) -> JobSpec:
    credentials = {"bearer_token": token} if token else {}
    return job_on("x", *tags, job_id="x-job", credentials=credentials, **options)


def make_connector(
    server: FakeX, clock: FakeClock, *, client: httpx.Client | None = None, **job: Any
) -> XConnector:
    return connect(XConnector, make_job(**job), client or server.client(), clock)


def make_runner(connector: XConnector, tmp_path: Path, clock: FakeClock) -> PollingHarness:
    return PollingHarness(make_job(), connector, tmp_path / "checkpoints", clock)


@pytest.fixture
def runner(server: FakeX, clock: FakeClock, tmp_path: Path) -> PollingHarness:
    return make_runner(make_connector(server, clock, max_results=10), tmp_path, clock)


# --- paging and positions -----------------------------------------------------------------


def test_first_poll_takes_the_newest_backfill_pages(
    server: FakeX, clock: FakeClock, tmp_path: Path
) -> None:
    ids = server.post_many(25)
    runner = make_runner(
        make_connector(server, clock, max_results=10, backfill_pages=2), tmp_path, clock
    )

    assert runner.poll() == 20

    assert runner.producer.native_ids == ids[5:]  # oldest first on the topic
    first, second = server.search_params
    assert first["query"] == "#brand -is:retweet"
    assert first["max_results"] == "10"
    assert "since_id" not in first
    assert "next_token" not in first
    assert "author_id" in first["expansions"]
    assert "attachments.media_keys" in first["expansions"]
    assert second["next_token"]
    assert runner.position == ids[-1]


def test_later_polls_ask_since_the_position_and_follow_next_token_until_it_is_absent(
    server: FakeX, runner: PollingHarness
) -> None:
    first = server.post_many(3)
    runner.poll()
    new = server.post_many(25)
    server.requests.clear()

    assert runner.poll() == 25

    params = server.search_params
    assert [p["since_id"] for p in params] == [first[-1]] * 3
    assert ["next_token" in p for p in params] == [False, True, True]
    assert runner.producer.native_ids == first + new
    # 999…999 < 1000…000: ids of different lengths compare as numbers, not as text.
    assert len(first[0]) == 18
    assert len(new[-1]) == 19
    assert runner.position == new[-1]


def test_an_empty_result_without_data_keeps_the_position(
    server: FakeX, runner: PollingHarness
) -> None:
    server.post_many(2)
    runner.poll()
    before = runner.position
    server.requests.clear()

    assert runner.poll() == 0

    assert len(server.requests) == 1
    assert runner.position == before


def test_first_poll_of_a_silent_hashtag_saves_nothing(runner: PollingHarness) -> None:
    assert runner.poll() == 0
    assert runner.position is None


def test_the_page_cap_records_the_hole_and_the_next_fetches_fill_it_without_a_gap(
    server: FakeX, clock: FakeClock
) -> None:
    connector = make_connector(server, clock, max_results=10, max_pages=2)
    first = server.post_many(1)
    start = connector.fetch("brand", None).position
    new = server.post_many(45)

    result = connector.fetch("brand", start)

    assert result.more
    assert [t["tweet"]["id"] for t in result.items] == new[-20:]
    assert result.position is not None
    hole = json.loads(result.position)
    assert hole == {"since_id": first[0], "until_id": new[-20], "newest_id": new[-1]}

    later = server.post_many(2)  # arriving meanwhile: fetched after the hole is filled
    server.requests.clear()
    result = connector.fetch("brand", result.position)
    assert server.search_params[0]["since_id"] == first[0]
    assert server.search_params[0]["until_id"] == new[-20]
    assert [t["tweet"]["id"] for t in result.items] == new[5:25]
    assert result.more

    result = connector.fetch("brand", result.position)
    assert [t["tweet"]["id"] for t in result.items] == new[:5]
    assert not result.more
    assert result.position == new[-1]

    result = connector.fetch("brand", result.position)
    assert [t["tweet"]["id"] for t in result.items] == later


def test_a_backlog_beyond_the_page_cap_is_produced_whole_in_one_poll(
    server: FakeX, clock: FakeClock, tmp_path: Path
) -> None:
    runner = make_runner(
        make_connector(server, clock, max_results=10, max_pages=1), tmp_path, clock
    )
    first = server.post_many(1)
    runner.poll()
    new = server.post_many(35)

    assert runner.poll() == 35  # the runner fetches again at once while the result says more

    assert sorted(runner.producer.native_ids, key=int) == first + new
    assert runner.position == new[-1]


# --- normalization ------------------------------------------------------------------------


def test_a_tweet_with_expansions_normalizes_to_a_raw_post(
    server: FakeX, runner: PollingHarness, clock: FakeClock
) -> None:
    user = make_user(id="42", username="dana", name="Dana D", followers=4321)
    tweet = server.post(
        tags=["Brand"],
        text="New #Brand shoes &amp; a #RunningClub run &lt;3 #1",
        user=user,
        media=[
            make_media(key="3_7", type="photo", alt_text="A red shoe"),
            make_media(key="7_8", type="video", alt_text=None),
            make_media(key="16_9", type="animated_gif", alt_text=""),
        ],
        lang="fr",
        metrics={"retweet_count": 7, "reply_count": 2, "like_count": 11, "quote_count": 1},
    )

    runner.poll()

    [post] = runner.producer.posts
    assert post.post_id == f"x:{tweet['id']}"
    assert post.platform is Platform.X
    assert post.text == "New #Brand shoes & a #RunningClub run <3 #1"
    assert post.hashtags == ["brand", "runningclub"]
    assert (post.author.id, post.author.handle) == ("42", "dana")
    assert (post.author.display_name, post.author.followers) == ("Dana D", 4321)
    assert [(m.type, m.url, m.alt_text) for m in post.media] == [
        ("image", "https://pbs.twimg.com/media/3_7.jpg", "A red shoe"),
        ("video", "https://pbs.twimg.com/ext_tw_video_thumb/7_8.jpg", None),
        ("gifv", "https://pbs.twimg.com/ext_tw_video_thumb/16_9.jpg", None),
    ]
    assert post.permalink == f"https://x.com/dana/status/{tweet['id']}"
    assert post.language == "fr"
    assert post.created_at.isoformat() == "2025-03-01T11:00:00+00:00"
    assert post.collected_at == clock.now()
    engagement = post.engagement
    assert (engagement.likes, engagement.reposts, engagement.replies, engagement.quotes) == (
        11,
        7,
        2,
        1,
    )


@pytest.mark.parametrize("lang", ["und", "qme", "zxx"])
def test_a_tweet_without_a_language_has_none(
    server: FakeX, runner: PollingHarness, lang: str
) -> None:
    server.post(lang=lang)
    runner.poll()
    assert runner.producer.posts[0].language is None


def test_a_long_post_takes_its_full_text_and_hashtags_from_note_tweet(
    server: FakeX, runner: PollingHarness
) -> None:
    tweet = server.post(text="A long story about #brand …")
    tweet["note_tweet"] = {
        "text": "A long story about #brand shoes that goes on and on #LongRun",
        "entities": {"hashtags": [{"start": 19, "end": 25, "tag": "brand"}]},
    }

    runner.poll()

    [post] = runner.producer.posts
    assert post.text.endswith("goes on and on #LongRun")
    assert post.hashtags == ["brand", "longrun"]


def test_retweets_are_skipped_even_when_search_returns_them(
    server: FakeX, clock: FakeClock
) -> None:
    connector = make_connector(server, clock)
    original = server.post()
    marked = server.post(retweet_of=original["id"])
    unmarked = server.post(text="RT @bob: old client retweet #brand")  # no referenced_tweets
    author = server.users[original["author_id"]]

    def item(tweet: dict[str, Any]) -> dict[str, Any]:
        return {"tweet": tweet, "author": author, "media": []}

    assert connector.normalize(item(marked), "brand", clock.now()) is None
    assert connector.normalize(item(unmarked), "brand", clock.now()) is None
    assert connector.normalize(item(original), "brand", clock.now()) is not None
    # and search is asked not to return them in the first place
    result = connector.fetch("brand", None)
    assert {t["tweet"]["id"] for t in result.items} == {original["id"], unmarked["id"]}


@pytest.mark.parametrize("breakage", ["no created_at", "author not in includes"])
def test_a_malformed_tweet_is_dead_lettered_and_the_rest_produced(
    server: FakeX, runner: PollingHarness, breakage: str
) -> None:
    good = server.post()
    broken = server.post(user=make_user(id="999", username="ghost"))
    last = server.post()
    if breakage == "no created_at":
        del broken["created_at"]
    else:
        del server.users["999"]

    assert runner.poll() == 2

    assert runner.producer.native_ids == [good["id"], last["id"]]
    [dead] = runner.producer.dead_letters
    assert dead.stage == "ingest.x"
    assert ("created_at" if breakage == "no created_at" else "includes.users") in dead.reason
    assert json.loads(dead.original)["tweet"]["id"] == broken["id"]
    assert runner.position == last["id"]


# --- rate limits, retries and errors ------------------------------------------------------


@pytest.mark.parametrize("shape", ["errors", "problem"])
def test_429_in_either_body_shape_waits_until_the_reset_then_retries(
    server: FakeX, runner: PollingHarness, clock: FakeClock, shape: str
) -> None:
    ids = server.post_many(2)
    server.spend_rate_limit(reset_in_s=42, shape=shape)

    assert runner.poll() == 2

    assert server.responses == [429, 200]
    assert clock.sleeps == [pytest.approx(42.0)]
    assert runner.producer.native_ids == ids


def test_a_spent_budget_waits_for_the_reset_before_asking_again(
    clock: FakeClock, tmp_path: Path
) -> None:
    server = FakeX(now=clock.now, bearer_token=TOKEN, rate_limit=2, window_s=900)
    server.post_many(1)
    runner = make_runner(make_connector(server, clock), tmp_path, clock)
    runner.poll()
    clock.advance(60)
    runner.poll()  # remaining 0: the headers say so, with the reset time
    clock.advance(60)

    runner.poll()

    assert 429 not in server.responses
    assert clock.sleeps == [pytest.approx(780.0)]


def test_budget_is_what_the_last_headers_said(server: FakeX, clock: FakeClock) -> None:
    connector = make_connector(server, clock)
    assert connector.budget() is None

    connector.fetch("brand", None)

    budget = connector.budget()
    assert budget is not None
    assert (budget.remaining, budget.limit) == (449, 450)
    assert budget.resets_at is not None
    assert budget.resets_at.timestamp() == int(clock.now().timestamp()) + 900


@pytest.mark.parametrize("fault", ["503", "network"])
def test_unavailable_x_is_retried_with_exponential_backoff(
    server: FakeX, runner: PollingHarness, clock: FakeClock, fault: str
) -> None:
    ids = server.post_many(1)
    server.unavailable_next(fault, times=3)

    assert runner.poll() == 1

    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert runner.producer.native_ids == ids


@pytest.mark.parametrize(
    ("token", "forbidden", "message"),
    [
        ("wrong-token", False, "401 to GET /2/tweets/search/recent: Unauthorized"),
        (TOKEN, True, "403 to GET /2/tweets/search/recent: Client Forbidden: When authenticating"),
    ],
)
def test_refused_credentials_fail_the_job_with_xs_message(
    server: FakeX,
    clock: FakeClock,
    tmp_path: Path,
    token: str,
    forbidden: bool,
    message: str,
) -> None:
    server.post_many(1)
    if forbidden:
        server.respond_next(403, CLIENT_FORBIDDEN)
    runner = make_runner(make_connector(server, clock, token=token), tmp_path, clock)

    runner.runner.run(threading.Event())  # returns instead of polling on

    assert runner.health.failing
    assert runner.health.last_error is not None
    assert message in runner.health.last_error
    assert len(server.requests) == 1  # not retried
    assert runner.position is None


@pytest.mark.parametrize(
    "body", [b"<html>Over capacity</html>", b'{"data": {"id": "1"}}', b"[1, 2", b"[]"]
)
def test_a_malformed_body_keeps_the_position_and_the_next_poll_gets_the_tweets(
    server: FakeX, runner: PollingHarness, body: bytes
) -> None:
    server.post_many(1)

    new = check_a_malformed_body_keeps_the_position(
        runner, publish=lambda: server.post_many(3), malform_next=lambda: server.malform_next(body)
    )

    assert runner.producer.native_ids[-3:] == new
    assert runner.position == new[-1]


def test_an_unreadable_position_starts_over_with_a_backfill(
    server: FakeX, clock: FakeClock
) -> None:
    connector = make_connector(server, clock)
    ids = server.post_many(2)

    result = connector.fetch("brand", "not-a-position")

    assert "since_id" not in server.search_params[0]
    assert [t["tweet"]["id"] for t in result.items] == ids


def test_missing_bearer_token_is_a_config_error_naming_it(server: FakeX, clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="'bearer_token' is missing"):
        make_connector(server, clock, token="")


@pytest.mark.parametrize("max_results", [5, 101, "many"])
def test_max_results_outside_what_x_accepts_is_a_config_error(
    server: FakeX, clock: FakeClock, max_results: object
) -> None:
    with pytest.raises(ConfigError, match="max_results"):
        make_connector(server, clock, max_results=max_results)


def test_the_bearer_token_never_appears_in_messages_or_logs(
    server: FakeX, clock: FakeClock, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    capture_every_log(caplog)
    server.post_many(1)
    server.spend_rate_limit(reset_in_s=5, shape="problem")
    server.fail_next(503)
    connector = make_connector(server, clock)
    make_runner(connector, tmp_path, clock).poll()
    assert server.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"

    refused = make_connector(server, clock, token=f"{TOKEN}-revoked")
    runner = make_runner(refused, tmp_path, clock)
    with pytest.raises(AuthFailed) as failure:
        runner.poll()
    runner.runner.run(threading.Event())

    assert_secrets_hidden(
        caplog, [TOKEN], str(failure.value), repr(connector), repr(make_job()), str(runner.health)
    )


# --- restarts -----------------------------------------------------------------------------


@pytest.mark.broker
def test_killed_at_random_points_the_topic_ends_with_every_tweet(
    broker: str, tmp_path: Path
) -> None:
    clock = FakeClock()
    server = FakeX(now=clock.now, bearer_token=TOKEN)
    tag = f"brand{uuid.uuid4().hex[:8]}"
    # small pages and a low cap so that restarts land in the middle of a hole
    job = job_on(
        "x",
        tag,
        job_id=f"x-restart-{tag}",
        credentials={"bearer_token": TOKEN},
        max_results=10,
        max_pages=2,
        backfill_pages=50,
    )
    published: list[str] = []

    def publish(round_number: int) -> None:
        published.extend(server.post_many((7 * round_number + 5) % 31, tags=[tag]))

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(XConnector, job, server.client(), clock),
        publish=publish,
        published=published,
        checkpoint_dir=tmp_path / "checkpoints",
    )
