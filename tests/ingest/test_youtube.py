"""The YouTube connector against a fake Data API v3 that speaks the documented search API."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import Platform
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import (
    AuthFailed,
    BudgetExhausted,
    ConfigError,
    JobSpec,
)
from ingest.connectors.runner import MemoryHealth, PollingRunner
from ingest.connectors.youtube import YouTubeConnector
from ingest.connectors.youtube.quota import next_pacific_midnight
from tests.conftest import wait_until
from tests.ingest.fake_youtube import API_KEY, FakeYouTube, rfc3339
from tests.ingest.ingest_fakes import START, FakeClock, RecordingProducer
from tests.ingest.polling_checks import (
    PollingHarness,
    assert_secrets_hidden,
    capture_every_log,
    check_a_malformed_body_keeps_the_position,
    job_on,
)
from tests.ingest.polling_checks import connect as connect_to
from tests.ingest.restart_harness import check_restarts_lose_nothing

#: START is 04:00 in Los Angeles (PST); the quota resets at the next local midnight.
MIDNIGHT_PACIFIC = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def server(clock: FakeClock) -> FakeYouTube:
    return FakeYouTube(now=clock.now)


def make_job(
    *hashtags: str,
    poll_interval_s: float = 900.0,
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> JobSpec:
    return job_on(
        "youtube",
        *hashtags,
        poll_interval_s=poll_interval_s,
        credentials={"api_key": API_KEY} if credentials is None else credentials,
        **options,
    )


def connect(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path, **options: Any
) -> YouTubeConnector:
    job = options.pop("job", None) or make_job(state_dir=str(tmp_path / "state"), **options)
    return connect_to(YouTubeConnector, job, server.client(), clock)


@pytest.fixture
def connector(server: FakeYouTube, clock: FakeClock, tmp_path: Path) -> YouTubeConnector:
    return connect(server, clock, tmp_path, max_results=5)


def ids(items: Any) -> list[str]:
    return [item["id"]["videoId"] for item in items]


def make_runner(
    connector: YouTubeConnector, producer: RecordingProducer, tmp_path: Path, clock: FakeClock
) -> PollingRunner:
    job = make_job(state_dir=str(tmp_path / "state"))
    positions = CheckpointStore(tmp_path / "checkpoints")
    return PollingRunner(job, connector, producer, positions, MemoryHealth(), now=clock.now)


# --- what is fetched ----------------------------------------------------------------------------


def test_first_poll_reads_the_newest_page_with_the_documented_request(
    server: FakeYouTube, connector: YouTubeConnector
) -> None:
    published = server.publish_many(7, age_s=60)

    result = connector.fetch("brand", None)

    assert ids(result.items) == published[:5]  # one page (backfill_pages=1), newest first
    assert server.search_params == [
        {
            "part": "snippet",
            "q": "#brand",
            "type": "video",
            "order": "date",
            "maxResults": "5",
            "key": API_KEY,
        }
    ]
    assert result.position is not None
    assert json.loads(result.position)["after"] == rfc3339(START - timedelta(seconds=60))


def test_later_polls_ask_from_the_newest_instant_and_drop_the_videos_seen_there(
    server: FakeYouTube, connector: YouTubeConnector, clock: FakeClock
) -> None:
    server.publish_many(2)
    position = connector.fetch("brand", None).position
    late = server.publish()  # the same second, indexed after the poll
    clock.advance(60)
    newer = server.publish()

    result = connector.fetch("brand", position)

    assert server.search_params[-1]["publishedAfter"] == rfc3339(START)
    assert sorted(ids(result.items)) == sorted(ids([late, newer]))
    assert connector.fetch("brand", result.position).items == []


def test_page_tokens_are_followed_within_a_poll(
    server: FakeYouTube, connector: YouTubeConnector, clock: FakeClock
) -> None:
    position = connector.fetch("brand", None).position
    clock.advance(60)
    published = server.publish_many(12)

    result = connector.fetch("brand", position)

    assert sorted(ids(result.items)) == sorted(published)
    assert not result.more
    tokens = [p.get("pageToken") for p in server.search_params[1:]]
    assert len(tokens) == 3
    assert tokens[0] is None
    assert len(set(tokens)) == 3


def test_a_poll_cut_by_the_page_cap_drains_the_older_rest_before_moving_on(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path
) -> None:
    connector = connect(server, clock, tmp_path, max_results=5, max_pages=2)
    producer = RecordingProducer()
    runner = make_runner(connector, producer, tmp_path, clock)
    runner.poll_once()
    published: list[str] = []
    for _ in range(23):
        clock.advance(10)
        published += server.publish_many(1)

    assert runner.poll_once() == 23

    assert Counter(producer.native_ids) == Counter(published)
    # 10 newest, then a window capped by publishedBefore, then the last 3: the gap is closed.
    assert [p.get("publishedBefore") is not None for p in server.search_params[1:]] == [
        False,
        False,
        True,
        True,
        True,
    ]
    position = CheckpointStore(tmp_path / "checkpoints").load(runner.position_key("brand"))
    assert position is not None
    assert set(json.loads(position)) == {"after", "after_ids"}
    assert json.loads(position)["after"] == rfc3339(clock.now())


def test_more_videos_in_one_second_than_a_fetch_reads_do_not_stall_the_job(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path
) -> None:
    connector = connect(server, clock, tmp_path, max_results=2, max_pages=1)
    producer = RecordingProducer()
    runner = make_runner(connector, producer, tmp_path, clock)
    runner.poll_once()
    clock.advance(60)
    older = server.publish_many(1, age_s=30)
    same_second = server.publish_many(5)

    assert runner.poll_once() == 6

    assert Counter(producer.native_ids) == Counter(older + same_second)


# --- the daily quota ----------------------------------------------------------------------------


def test_quota_running_out_mid_poll_keeps_what_was_fetched_and_the_job_waits_for_midnight(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path
) -> None:
    connector = connect(server, clock, tmp_path, max_results=5, daily_quota=300)
    producer = RecordingProducer()
    runner = make_runner(connector, producer, tmp_path, clock)
    runner.poll_once()  # 100 units
    published: list[str] = []
    for _ in range(12):  # three pages: only two fit in what is left of the quota
        clock.advance(10)
        published += server.publish_many(1)
    health = runner.health
    assert isinstance(health, MemoryHealth)
    stop = threading.Event()
    worker = threading.Thread(target=runner.run, args=(stop,))

    worker.start()
    wait_until(lambda: health.errors, timeout=10, message="the quota error")
    stop.set()
    worker.join(timeout=10)

    assert "daily quota is spent (300 of 300 units used" in health.errors[-1]
    assert health.backoff_s == (MIDNIGHT_PACIFIC - clock.now()).total_seconds()
    assert not health.failing
    assert sorted(producer.native_ids) == sorted(published[2:])  # the 10 newest
    assert server.units_used == 300
    assert 403 not in server.responses
    budget = connector.budget()
    assert budget is not None
    assert (budget.remaining, budget.limit, budget.unit) == (0, 300, "units")
    assert budget.resets_at == MIDNIGHT_PACIFIC

    clock.current = MIDNIGHT_PACIFIC
    server.units_used = 0
    runner.poll_once()
    assert Counter(producer.native_ids) == Counter(published)  # the older two, once


def test_youtube_saying_quota_exceeded_is_a_wait_not_an_auth_failure(
    clock: FakeClock, tmp_path: Path
) -> None:
    server = FakeYouTube(now=clock.now, daily_quota=100)  # another app spent the rest
    connector = connect(server, clock, tmp_path)
    position = connector.fetch("brand", None).position

    with pytest.raises(BudgetExhausted) as exhausted:
        connector.fetch("brand", position)

    assert str(exhausted.value) == (
        "youtube: The request cannot be completed because you have exceeded your quota."
    )
    assert exhausted.value.resets_at == MIDNIGHT_PACIFIC
    with pytest.raises(BudgetExhausted):  # the ledger now knows: YouTube is not asked again
        connector.fetch("brand", position)
    assert server.responses == [200, 403]


def test_the_quota_ledger_survives_a_restart_and_resets_at_pacific_midnight(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path
) -> None:
    first = connect(server, clock, tmp_path, daily_quota=200)
    first.fetch("brand", None)
    first.fetch("other", None)

    restarted = connect(server, clock, tmp_path, daily_quota=200)
    with pytest.raises(BudgetExhausted) as exhausted:
        restarted.fetch("brand", None)
    assert exhausted.value.resets_at == MIDNIGHT_PACIFIC
    assert len(server.requests) == 2

    clock.current = MIDNIGHT_PACIFIC - timedelta(seconds=1)
    with pytest.raises(BudgetExhausted):
        restarted.fetch("brand", None)
    clock.current = MIDNIGHT_PACIFIC
    restarted.fetch("brand", None)
    assert len(server.requests) == 3
    assert API_KEY not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))


@pytest.mark.parametrize(
    ("moment", "reset"),
    [
        ("2025-03-01T12:00:00+00:00", "2025-03-02T08:00:00+00:00"),  # PST
        ("2025-03-09T12:00:00+00:00", "2025-03-10T07:00:00+00:00"),  # PDT from 2 a.m. today
        ("2025-07-01T06:59:00+00:00", "2025-07-01T07:00:00+00:00"),  # 23:59 PDT
        ("2025-11-02T07:30:00+00:00", "2025-11-03T08:00:00+00:00"),  # PST again from today
    ],
)
def test_the_quota_day_ends_at_midnight_in_los_angeles(moment: str, reset: str) -> None:
    assert next_pacific_midnight(datetime.fromisoformat(moment)).isoformat() == reset


def test_the_smallest_safe_poll_interval_spreads_the_quota_and_a_faster_job_is_warned(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    job = make_job("a", "b", "c", poll_interval_s=60, state_dir=str(tmp_path))

    with caplog.at_level(logging.WARNING, logger="ingest.connectors.youtube.search"):
        connector = connect(server, clock, tmp_path, job=job)

    # 10,000 units / (100 per search x 3 hashtags) = 33 polls a day: one per 2592 s.
    assert connector.min_poll_interval_s() == pytest.approx(2592.0)
    assert "every 2592s or more spreads it over the day" in caplog.text


# --- mapping ------------------------------------------------------------------------------------


def test_a_search_result_maps_to_a_raw_post(
    server: FakeYouTube, connector: YouTubeConnector, clock: FakeClock
) -> None:
    server.publish(
        age_s=90,
        title="Rock &amp; Roll: Dana&#39;s #Brand &quot;review&quot;",
        description="Shot on #GoPro &lt;3 #brand",
        thumbnails=("default", "medium"),
    )

    [item] = connector.fetch("brand", None).items
    post = connector.normalize(item, "brand", clock.now())

    assert post is not None
    assert post.post_id == "youtube:vid00000001"
    assert post.platform is Platform.YOUTUBE
    assert post.text == 'Rock & Roll: Dana\'s #Brand "review"\n\nShot on #GoPro <3 #brand'
    assert post.hashtags == ["brand", "gopro"]
    assert (post.author.id, post.author.handle, post.author.display_name) == (
        "UCx7Bz0fake0channel00001",
        "Dana Runs",
        "Dana Runs",
    )
    assert [(m.type, m.url) for m in post.media] == [
        ("image", "https://i.ytimg.com/vi/vid00000001/mqdefault.jpg")
    ]
    assert post.permalink == "https://www.youtube.com/watch?v=vid00000001"
    assert post.created_at == START - timedelta(seconds=90)
    assert post.collected_at == clock.now()
    assert post.language is None
    assert post.engagement.likes is None


def test_channel_results_are_skipped_and_a_malformed_video_is_dead_lettered(
    server: FakeYouTube, connector: YouTubeConnector, clock: FakeClock, tmp_path: Path
) -> None:
    good = server.publish(age_s=30)
    server.publish_channel()
    broken = server.publish(age_s=20)
    del broken["snippet"]["channelId"]
    last = server.publish(age_s=10)
    producer = RecordingProducer()

    assert make_runner(connector, producer, tmp_path, clock).poll_once() == 2

    assert sorted(producer.native_ids) == sorted(ids([good, last]))
    [dead] = producer.dead_letters
    assert dead.stage == "ingest.youtube"
    assert "channelId" in dead.reason
    assert json.loads(dead.original)["id"]["videoId"] == broken["id"]["videoId"]


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "sleeps"),
    [("rate_limit_next", [1.0]), ("too_many_next", [7.0]), ("fail_next", [1.0])],
)
def test_rate_limits_and_server_errors_are_retried(
    server: FakeYouTube,
    connector: YouTubeConnector,
    clock: FakeClock,
    fault: str,
    sleeps: list[float],
) -> None:
    published = server.publish_many(2)
    getattr(server, fault)()

    assert sorted(ids(connector.fetch("brand", None).items)) == sorted(published)
    assert clock.sleeps == sleeps


def test_an_invalid_key_fails_the_job_with_youtubes_message(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path
) -> None:
    wrong = "AIzaSyWRONG-0000000000000000000000"
    job = make_job(state_dir=str(tmp_path), credentials={"api_key": wrong})
    connector = connect(server, clock, tmp_path, job=job)

    with pytest.raises(AuthFailed, match=r"400 to GET /youtube/v3/search: API key not valid") as e:
        connector.fetch("brand", None)

    assert wrong not in str(e.value)
    assert len(server.requests) == 1


def test_forbidden_fails_the_job_with_youtubes_message(
    server: FakeYouTube, connector: YouTubeConnector
) -> None:
    server.forbid_next()

    with pytest.raises(AuthFailed, match=r"403 .*not properly authorized"):
        connector.fetch("brand", None)


@pytest.mark.parametrize(
    ("job_kwargs", "message"),
    [({"credentials": {}}, "api_key"), ({"max_results": 51}, "max_results")],
)
def test_a_job_missing_what_it_needs_is_refused_by_name(
    server: FakeYouTube,
    clock: FakeClock,
    tmp_path: Path,
    job_kwargs: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ConfigError, match=message):
        connect(server, clock, tmp_path, job=make_job(state_dir=str(tmp_path), **job_kwargs))


@pytest.mark.parametrize(
    "body", [b"<html><title>502 Bad Gateway</title></html>", b'{"kind": "youtube#x"}', b"{"]
)
def test_a_malformed_body_keeps_the_position_and_the_next_poll_gets_the_videos(
    server: FakeYouTube,
    connector: YouTubeConnector,
    clock: FakeClock,
    tmp_path: Path,
    body: bytes,
) -> None:
    job = make_job(state_dir=str(tmp_path / "state"))
    runner = PollingHarness(job, connector, tmp_path / "checkpoints", clock)
    server.publish_many(1)

    def publish() -> list[str]:
        clock.advance(60)
        return server.publish_many(2)

    check_a_malformed_body_keeps_the_position(
        runner, publish=publish, malform_next=lambda: server.malform_next(body)
    )


def test_the_key_never_reaches_logs_or_messages(
    server: FakeYouTube, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture_every_log(caplog)
    job = make_job(state_dir=str(tmp_path), daily_quota=200)
    connector = connect(server, clock, tmp_path, job=job)
    server.publish_many(3)
    server.fail_next(503)
    connector.fetch("brand", None)
    server.daily_quota = 100
    with pytest.raises(BudgetExhausted) as exhausted:
        connector.fetch("brand", None)

    assert_secrets_hidden(caplog, [API_KEY], str(exhausted.value), repr(job), repr(connector))


# --- restarts -----------------------------------------------------------------------------------


@pytest.mark.broker
def test_restarts_at_random_points_lose_nothing(broker: str, tmp_path: Path) -> None:
    clock = FakeClock()
    server = FakeYouTube(now=clock.now, daily_quota=10**9)
    tag = f"ytrestart{uuid.uuid4().hex[:6]}"
    # Two videos per page and one page per fetch: most polls go through the publishedBefore
    # window, so crashes land in the middle of it too.
    job = make_job(
        tag,
        state_dir=str(tmp_path / "state"),
        daily_quota=10**9,
        max_results=2,
        max_pages=1,
        backfill_pages=20,
    )
    published: list[str] = []

    def publish(round_number: int) -> None:
        clock.advance(300)
        for n in range(1 + round_number % 4):
            video = server.publish(age_s=n % 2, title=f"#{tag} take {n}")  # some share a second
            published.append(video["id"]["videoId"])

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(server, clock, tmp_path, job=job),
        publish=publish,
        published=published,
        checkpoint_dir=tmp_path / "checkpoints",
        rounds=10,
    )
    assert any("publishedBefore" in params for params in server.search_params)
