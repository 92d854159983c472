"""The Instagram connector against a fake Graph API that speaks the documented hashtag API."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import Platform
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import AuthFailed, ConfigError, JobSpec
from ingest.connectors.instagram import InstagramConnector
from ingest.connectors.instagram.media import UNKNOWN_AUTHOR
from ingest.connectors.runner import PollingRunner
from tests.ingest.fake_instagram import (
    IG_USER_ID,
    TOKEN,
    FakeInstagram,
    make_media,
)
from tests.ingest.ingest_fakes import FakeClock, RecordingProducer
from tests.ingest.polling_checks import (
    PollingHarness,
    assert_secrets_hidden,
    capture_every_log,
    check_a_malformed_body_keeps_the_position,
    job_on,
)
from tests.ingest.polling_checks import connect as connect_to
from tests.ingest.restart_harness import check_restarts_lose_nothing


@pytest.fixture
def server(clock: FakeClock) -> FakeInstagram:
    return FakeInstagram(now=clock.now)


def make_job(
    *hashtags: str,
    poll_interval_s: float = 600.0,
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> JobSpec:
    return job_on(
        "instagram",
        *hashtags,
        poll_interval_s=poll_interval_s,
        credentials={"access_token": TOKEN} if credentials is None else credentials,
        **{"ig_user_id": IG_USER_ID, **options},
    )


def connect(
    server: FakeInstagram, clock: FakeClock, state_dir: Path, job: JobSpec | None = None
) -> InstagramConnector:
    return connect_to(
        InstagramConnector, job or make_job(state_dir=str(state_dir)), server.client(), clock
    )


@pytest.fixture
def connector(server: FakeInstagram, clock: FakeClock, tmp_path: Path) -> InstagramConnector:
    return connect(server, clock, tmp_path / "state")


def fetched_ids(connector: InstagramConnector, position: str | None = None) -> list[str]:
    return [item["id"] for item in connector.fetch("brand", position).items]


def make_runner(
    connector: InstagramConnector, producer: RecordingProducer, tmp_path: Path
) -> PollingRunner:
    job = make_job(state_dir=str(tmp_path / "state"))
    return PollingRunner(job, connector, producer, CheckpointStore(tmp_path / "checkpoints"))


# --- what is fetched ----------------------------------------------------------------------------


def test_first_poll_takes_the_last_24_hours_with_the_documented_request(
    server: FakeInstagram, connector: InstagramConnector
) -> None:
    recent = server.post_many(3, age_s=3600)
    server.post(age_s=25 * 3600, like_count=0)  # out of recent_media's window, never on top

    result = connector.fetch("brand", None)

    assert sorted(item["id"] for item in result.items) == sorted(recent)
    assert server.searches == ["brand"]
    [search] = [r for r in server.requests if r.url.path.endswith("/ig_hashtag_search")]
    assert dict(search.url.params) == {"user_id": IG_USER_ID, "q": "brand", "access_token": TOKEN}
    media_params = server.edge_requests("recent_media")[0].url.params
    assert media_params["user_id"] == IG_USER_ID
    assert media_params["limit"] == "50"
    assert media_params["fields"] == (
        "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,"
        "children{media_type,media_url}"
    )
    assert len(server.edge_requests("top_media")) == 1


def test_top_media_adds_popular_older_posts_once(
    server: FakeInstagram, connector: InstagramConnector
) -> None:
    recent = server.post(age_s=60, like_count=500)  # on both edges
    old_star = server.post(age_s=30 * 3600, like_count=9000)

    ids = fetched_ids(connector)

    assert sorted(ids) == sorted([recent["id"], old_star["id"]])


def test_the_hashtag_id_is_searched_once_and_remembered_across_restarts(
    server: FakeInstagram, clock: FakeClock, tmp_path: Path
) -> None:
    connect(server, clock, tmp_path / "state").fetch("brand", None)
    connect(server, clock, tmp_path / "state").fetch("brand", None)

    assert server.searches == ["brand"]


def test_paging_follows_next_and_stops_where_the_cursor_repeats(
    clock: FakeClock, tmp_path: Path
) -> None:
    server = FakeInstagram(now=clock.now, page_size=4)
    server.repeat_cursor = True
    ids = server.post_many(10, age_s=60)
    job = make_job(state_dir=str(tmp_path / "state"), edges="recent_media")
    connector = connect(server, clock, tmp_path / "state", job)

    result = connector.fetch("brand", None)

    assert sorted(item["id"] for item in result.items) == sorted(ids)  # each once
    afters = [r.url.params.get("after") for r in server.edge_requests()]
    # Three pages; the third hands back its own cursor and URL as "next": not requested again.
    assert len(afters) == 3
    assert len(set(afters)) == 3
    assert all(r.url.params.get_list("access_token") == [TOKEN] for r in server.requests)


def test_later_polls_return_only_media_not_seen_yet_whatever_their_timestamps(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    first = connector.fetch("brand", None)
    assert first.items == []
    seen = server.post_many(5, age_s=600)
    second = connector.fetch("brand", first.position)
    clock.advance(600)
    # Out of order: one published "now", one backdated before the media already seen.
    newer = server.post(age_s=0)
    older = server.post(age_s=3 * 3600)

    third = connector.fetch("brand", second.position)

    assert sorted(item["id"] for item in second.items) == sorted(seen)
    assert sorted(item["id"] for item in third.items) == sorted([newer["id"], older["id"]])
    assert connector.fetch("brand", third.position).items == []


def test_the_position_forgets_media_a_day_after_they_were_last_served(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    old = server.post(age_s=60, like_count=0)
    position = connector.fetch("brand", None).position
    assert position is not None
    assert old["id"] in json.loads(position)["seen"]

    for _ in range(10):  # polls every 5 h: served until 20 h old, forgotten 25 h later
        clock.advance(5 * 3600)
        position = connector.fetch("brand", position).position

    assert position is not None
    assert old["id"] not in json.loads(position)["seen"]


def test_a_gap_longer_than_the_24_hour_window_is_logged_as_a_possible_loss(
    connector: InstagramConnector,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    position = connector.fetch("brand", None).position
    clock.advance(30 * 3600)  # the worker was down

    with caplog.at_level(logging.WARNING, logger="ingest.connectors.instagram.hashtag_media"):
        connector.fetch("brand", position)

    assert "beyond Instagram's 24 h window" in caplog.text


def test_a_poll_interval_longer_than_6_hours_is_refused(
    server: FakeInstagram, clock: FakeClock, tmp_path: Path
) -> None:
    job = make_job(state_dir=str(tmp_path), poll_interval_s=7 * 3600)

    with pytest.raises(ConfigError, match=r"poll at least every 21600s or posts are lost"):
        connect(server, clock, tmp_path, job)


@pytest.mark.parametrize(
    ("job_kwargs", "message"),
    [
        ({"credentials": {}}, "access_token"),
        ({"ig_user_id": ""}, "ig_user_id"),
        ({"edges": "recent_media,stories"}, "edges"),
    ],
)
def test_a_job_missing_what_it_needs_is_refused_by_name(
    server: FakeInstagram,
    clock: FakeClock,
    tmp_path: Path,
    job_kwargs: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ConfigError, match=message):
        connect(server, clock, tmp_path, make_job(state_dir=str(tmp_path), **job_kwargs))
    assert server.requests == []


# --- the hashtag budget -------------------------------------------------------------------------


def test_a_31st_hashtag_is_refused_before_the_api_is_asked_even_after_a_restart(
    server: FakeInstagram, clock: FakeClock, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    thirty = [f"tag{n}" for n in range(30)]
    first = connect(server, clock, state, make_job(*thirty, state_dir=str(state)))
    for tag in thirty:
        first.fetch(tag, None)
        clock.advance(60)
    budget = first.budget()
    assert budget is not None
    assert budget.remaining == 0

    restarted = connect(server, clock, state, make_job("brandnew", state_dir=str(state)))
    server.requests.clear()
    with pytest.raises(ConfigError) as refused:
        restarted.fetch("brandnew", None)

    assert str(refused.value) == (
        "Instagram allows 30 unique hashtags per 7 days per account; #brandnew would be the "
        "31st; the oldest frees up at 2025-03-08T12:00+00:00"
    )
    assert server.requests == []
    # A hashtag already in the week's 30 is still polled; the budget is not spent again.
    restarted.fetch("tag7", None)
    assert "brandnew" not in server.searches


def test_a_hashtag_slot_frees_up_seven_days_after_its_first_use(
    server: FakeInstagram, clock: FakeClock, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    thirty = [f"tag{n}" for n in range(30)]
    connector = connect(server, clock, state, make_job(*thirty, state_dir=str(state)))
    for tag in thirty:
        connector.fetch(tag, None)
    clock.advance(7 * 24 * 3600 + 1)

    connector.fetch("brandnew", None)

    assert server.searches[-1] == "brandnew"
    budget = connector.budget()
    assert budget is not None
    assert (budget.remaining, budget.limit, budget.unit) == (29, 30, "hashtags")
    assert budget.resets_at == clock.now() + timedelta(days=7)


def test_hashtags_searched_by_other_apps_on_the_account_count_against_the_budget(
    server: FakeInstagram, connector: InstagramConnector
) -> None:
    server.searched_elsewhere = [f"1784999{n:03d}" for n in range(29)]
    connector.fetch("brand", None)

    with pytest.raises(ConfigError, match=r"#second would be the 31st \(29 of them searched"):
        connector.fetch("second", None)


# --- mapping ------------------------------------------------------------------------------------


def test_media_maps_to_a_raw_post(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    server.post(
        media=make_media(
            id="17912345678901234",
            timestamp=clock.now() - timedelta(minutes=30),
            caption="Rain &amp; shine in my #Brand #RunClub kicks 👟 #2025",
            media_type="CAROUSEL_ALBUM",
            like_count=None,  # hidden by the owner
            comments_count=4,
            children=[
                ("IMAGE", "https://cdn.example/1.jpg"),
                ("VIDEO", "https://cdn.example/2.mp4"),
            ],
        )
    )

    [item] = connector.fetch("brand", None).items
    post = connector.normalize(item, "brand", clock.now())

    assert post is not None
    assert post.post_id == "instagram:17912345678901234"
    assert post.platform is Platform.INSTAGRAM
    assert post.text == "Rain & shine in my #Brand #RunClub kicks 👟 #2025"
    assert post.hashtags == ["brand", "runclub"]
    assert post.author == UNKNOWN_AUTHOR
    assert [(m.type, m.url) for m in post.media] == [
        ("image", "https://cdn.example/1.jpg"),
        ("video", "https://cdn.example/2.mp4"),
    ]
    assert post.permalink == "https://www.instagram.com/p/C901234/"
    assert post.engagement.likes is None  # hidden, not zero
    assert post.engagement.replies == 4
    assert post.created_at == clock.now() - timedelta(minutes=30)
    assert post.language is None


@pytest.mark.parametrize(("media_type", "kind"), [("IMAGE", "image"), ("VIDEO", "video")])
def test_single_media_and_visible_likes(
    server: FakeInstagram,
    connector: InstagramConnector,
    clock: FakeClock,
    media_type: str,
    kind: str,
) -> None:
    server.post(media_type=media_type, like_count=42, caption=None)

    [item] = connector.fetch("brand", None).items
    post = connector.normalize(item, "brand", clock.now())

    assert post is not None
    assert [m.type for m in post.media] == [kind]
    assert post.engagement.likes == 42
    assert (post.text, post.hashtags) == ("", ["brand"])


def test_a_malformed_media_is_dead_lettered_and_the_rest_produced(
    server: FakeInstagram, connector: InstagramConnector, tmp_path: Path
) -> None:
    good = server.post_many(2, age_s=60)
    broken = server.post(age_s=60)
    broken["timestamp"] = "yesterday-ish"
    producer = RecordingProducer()

    assert make_runner(connector, producer, tmp_path).poll_once() == 2

    assert sorted(producer.native_ids) == sorted(good)
    [dead] = producer.dead_letters
    assert dead.stage == "ingest.instagram"
    assert "timestamp" in dead.reason
    assert json.loads(dead.original)["id"] == broken["id"]


# --- errors and rate limits ---------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [(4, 403), (17, 400), (32, 403), (613, 400)])
def test_throttling_waits_and_retries_instead_of_failing_the_job(
    server: FakeInstagram,
    connector: InstagramConnector,
    clock: FakeClock,
    code: int,
    status: int,
) -> None:
    ids = server.post_many(2, age_s=60)
    server.throttle_next(code=code, status=status)

    assert sorted(fetched_ids(connector)) == sorted(ids)

    assert server.responses[0] == status
    assert sum(clock.sleeps) == pytest.approx(900.0)  # throttle_wait_s, not a 1 s backoff


def test_app_usage_at_100_percent_waits_before_the_next_call(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    server.app_usage = {"call_count": 100, "total_time": 20, "total_cputime": 20}

    connector.fetch("brand", None)

    assert 429 not in server.responses
    assert 403 not in server.responses
    assert clock.sleeps[0] == pytest.approx(900.0)


def test_app_usage_above_90_percent_slows_the_calls_down(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    server.app_usage = {"call_count": 95, "total_time": 20, "total_cputime": 20}

    connector.fetch("brand", None)  # search, recent_media, top_media (+ the budget check)

    assert clock.sleeps
    assert all(s == pytest.approx(30.0) for s in clock.sleeps)


def test_server_errors_are_retried_with_backoff(
    server: FakeInstagram, connector: InstagramConnector, clock: FakeClock
) -> None:
    ids = server.post_many(1, age_s=60)
    server.fail_next(500, times=3)

    assert fetched_ids(connector) == ids
    assert clock.sleeps[:3] == [1.0, 2.0, 4.0]


def test_an_expired_token_fails_the_job_with_metas_message_and_no_token(
    server: FakeInstagram, connector: InstagramConnector
) -> None:
    server.expire_token_next()

    with pytest.raises(AuthFailed, match=r"400 to GET .*Session has expired") as failed:
        connector.fetch("brand", None)

    assert TOKEN not in str(failed.value)
    assert len(server.requests) == 1  # not retried


@pytest.mark.parametrize(
    "body", [b"<html>Sorry, something went wrong.</html>", b'{"paging": {}}', b'{"data": [']
)
def test_a_malformed_body_keeps_the_position_and_the_next_poll_gets_the_posts(
    server: FakeInstagram,
    connector: InstagramConnector,
    clock: FakeClock,
    tmp_path: Path,
    body: bytes,
) -> None:
    job = make_job(state_dir=str(tmp_path / "state"))
    runner = PollingHarness(job, connector, tmp_path / "checkpoints", clock)

    new = check_a_malformed_body_keeps_the_position(
        runner,
        publish=lambda: server.post_many(2, age_s=60),
        malform_next=lambda: server.malform_next(body),
    )

    assert sorted(runner.producer.native_ids) == sorted(new)


def test_the_token_never_reaches_logs_or_messages(
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    capture_every_log(caplog)
    server = FakeInstagram(now=clock.now, page_size=2)
    server.post_many(5, age_s=60)
    job = make_job(state_dir=str(tmp_path))
    connector = connect(server, clock, tmp_path, job)
    server.throttle_next()
    server.fail_next(500)
    connector.fetch("brand", None)
    server.expire_token_next()
    with pytest.raises(AuthFailed) as failed:
        connector.fetch("brand", None)

    assert_secrets_hidden(caplog, [TOKEN], str(failed.value), repr(job), repr(connector))


# --- restarts -----------------------------------------------------------------------------------


@pytest.mark.broker
def test_restarts_at_random_points_lose_nothing(broker: str, tmp_path: Path) -> None:
    clock = FakeClock()
    server = FakeInstagram(now=clock.now, page_size=3)
    tag = f"igrestart{uuid.uuid4().hex[:6]}"
    job = make_job(tag, state_dir=str(tmp_path / "state"))
    published: list[str] = []

    def publish(round_number: int) -> None:
        clock.advance(20 * 60)
        for n in range(1 + round_number % 4):
            # Backdated by up to an hour: arrival order is not timestamp order.
            media = server.post(tags=[tag], age_s=(n * 1700) % 3600, caption=f"#{tag} {n}")
            published.append(media["id"])

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(server, clock, tmp_path / "state", job),
        publish=publish,
        published=published,
        checkpoint_dir=tmp_path / "checkpoints",
        rounds=10,
    )
