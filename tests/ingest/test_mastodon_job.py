"""A Mastodon listening job end to end without the database: the connector the registry builds
for the job, under the polling runner, against a fake instance that speaks the documented API.

These behaviours were tested through the removed ``ugc ingest mastodon`` command; the listening
job is what replaces it, so they are checked here the way the jobs worker runs them.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract import Platform
from ingest.connectors import registry
from ingest.connectors.base import JobSpec, JobStopped, Unavailable
from ingest.connectors.runner import stoppable_sleep
from ingest.producer import DeliveryFailed
from tests.ingest.fake_mastodon import (
    RICH_CONTENT,
    RICH_TEXT,
    FakeMastodon,
    make_media,
    make_status,
)
from tests.ingest.ingest_fakes import ClockedStop, FakeClock
from tests.ingest.polling_checks import (
    PollingHarness,
    check_a_malformed_body_keeps_the_position,
    job_on,
)


@pytest.fixture
def server(clock: FakeClock) -> FakeMastodon:
    return FakeMastodon(now=clock.now)


def mastodon_job(server: FakeMastodon, *hashtags: str, **options: Any) -> JobSpec:
    """The job `ugc ingest add mastodon --hashtag brand --option base_url=...` stores."""
    return job_on(
        "mastodon",
        *hashtags,
        job_id="social.example",
        poll_interval_s=30.0,
        base_url=server.base_url,
        **options,
    )


def harness(
    server: FakeMastodon,
    clock: FakeClock,
    checkpoint_dir: Path,
    *hashtags: str,
    sleep: Callable[[float], None] | None = None,
    **options: Any,
) -> PollingHarness:
    """The job's connector as the jobs worker gets it from the registry (over the fake
    instance, on the fake clock; jitter=1.0 makes backoffs exact: 1 s, 2 s, 4 s...)."""
    job = mastodon_job(server, *hashtags, **options)
    connector = registry.polling_connector(
        job,
        client=server.client(),
        now=clock.now,
        sleep=sleep or clock.sleep,
        jitter=lambda: 1.0,
    )
    return PollingHarness(job, connector, checkpoint_dir, clock)


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    return tmp_path / "positions"


@pytest.fixture
def job(server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path) -> PollingHarness:
    return harness(server, clock, checkpoint_dir)


def test_posts_arriving_between_polls_are_produced_exactly_once_in_time_order(
    server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path
) -> None:
    job = harness(server, clock, checkpoint_dir, page_limit=3)
    published: list[str] = []
    for arriving in (2, 0, 1, 7, 3, 0):  # the first poll fits in its one backfill page
        published += server.post_many(arriving)
        job.poll()
        clock.advance(30)

    assert Counter(job.producer.native_ids) == Counter(published)
    assert job.producer.native_ids == published


def test_boosts_are_skipped_but_the_saved_position_passes_them(
    server: FakeMastodon, job: PollingHarness
) -> None:
    original = server.post(acct="carol@remote.example")
    boost = server.post(status=make_status(id=server.next_id(), reblog=original, content=""))

    assert job.poll() == 1
    assert job.producer.native_ids == [original["id"]]
    assert job.position == boost["id"]


def test_status_maps_to_a_raw_post_with_plain_text(
    server: FakeMastodon, job: PollingHarness, clock: FakeClock
) -> None:
    status = server.post(
        content=RICH_CONTENT,
        acct="dana@remote.example",
        account_id="2002",
        display_name="Dana",
        followers_count=4321,
        media=[make_media(id="7", type="gifv"), make_media(id="8", type="weird", description="")],
        language="fr",
        created_at="2025-03-01T10:15:00.000Z",
        url=None,
    )
    status["url"] = None  # remote statuses may lack a web URL: the permalink falls back to uri

    job.poll()

    [post] = job.producer.posts
    assert post.post_id == f"mastodon:{status['id']}"
    assert post.platform is Platform.MASTODON
    assert post.text == RICH_TEXT
    assert post.author.id == "2002"
    assert post.author.handle == "dana@remote.example"
    assert post.author.display_name == "Dana"
    assert post.author.followers == 4321
    assert [(m.type, m.url, m.alt_text) for m in post.media] == [
        ("gifv", "https://files.social.example/media/7.jpg", "A shoe"),
        ("unknown", "https://files.social.example/media/8.jpg", None),
    ]
    assert post.media[0].preview_url == "https://files.social.example/media/7_small.jpg"
    assert post.permalink == status["uri"]
    assert post.language == "fr"
    assert post.created_at.isoformat() == "2025-03-01T10:15:00+00:00"
    assert post.collected_at == clock.now()
    assert (post.engagement.likes, post.engagement.reposts, post.engagement.replies) == (5, 3, 2)
    assert post.engagement.quotes is None


def test_content_warning_is_part_of_the_text(server: FakeMastodon, job: PollingHarness) -> None:
    server.post(spoiler_text="Spoilers: season finale", content="<p>What an ending</p>")

    job.poll()

    assert job.producer.posts[0].text == "Spoilers: season finale\n\nWhat an ending"


def test_a_status_carrying_two_followed_tags_is_produced_once_with_the_polled_tag_first(
    server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path
) -> None:
    job = harness(server, clock, checkpoint_dir, "#Brand", "brandsale")
    both = server.post(tags=["brand", "BrandSale", "shoes"])
    server.post(tags=["brandsale"])

    assert job.poll() == 2

    by_id = {post.native_id: post for post in job.producer.posts}
    assert by_id[both["id"]].hashtags == ["brand", "brandsale", "shoes"]
    assert job.positions.load(job.runner.position_key("brandsale")) is not None


def test_status_missing_required_fields_goes_to_the_dead_letter_topic(
    server: FakeMastodon, job: PollingHarness
) -> None:
    good = server.post()
    broken = server.post()
    del broken["account"]
    last = server.post()

    assert job.poll() == 2

    assert job.producer.native_ids == [good["id"], last["id"]]
    [dead] = job.producer.dead_letters
    assert dead.stage == "ingest.mastodon"
    assert "account" in dead.reason
    assert json.loads(dead.original)["id"] == broken["id"]
    assert dead.key_b64 is not None
    assert job.position == last["id"]  # handled, so not fetched again


def test_spent_budget_waits_for_the_reset_before_asking_again(
    clock: FakeClock, checkpoint_dir: Path
) -> None:
    server = FakeMastodon(now=clock.now, rate_limit=2, window_s=300)
    server.post_many(1)
    job = harness(server, clock, checkpoint_dir)
    job.poll()  # remaining 1
    clock.advance(30)
    job.poll()  # remaining 0: the answer says so, with the reset time
    clock.advance(30)

    job.poll()

    assert 429 not in server.responses
    assert clock.sleeps == [pytest.approx(240.0)]


@pytest.mark.parametrize("fault", ["503", "network"])
def test_an_instance_briefly_down_is_retried_with_exponential_backoff(
    server: FakeMastodon, job: PollingHarness, clock: FakeClock, fault: str
) -> None:
    ids = server.post_many(1)
    server.unavailable_next(fault, times=3)

    assert job.poll() == 1

    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert job.producer.native_ids == ids


def test_instance_down_for_the_whole_poll_keeps_the_position_and_next_poll_catches_up(
    server: FakeMastodon, job: PollingHarness
) -> None:
    server.post_many(1)
    job.poll()
    before = job.position
    new = server.post_many(2)
    server.fail_next(503, times=5)

    with pytest.raises(Unavailable):
        job.poll()
    assert job.position == before

    assert job.poll() == 2
    assert job.producer.native_ids[-2:] == new


@pytest.mark.parametrize("body", [b"<html>Moved</html>", b'{"statuses": []}', b"[1, 2"])
def test_malformed_body_keeps_the_position_and_the_next_poll_gets_the_posts(
    server: FakeMastodon, job: PollingHarness, body: bytes
) -> None:
    server.post_many(1)
    new = check_a_malformed_body_keeps_the_position(
        job, publish=lambda: server.post_many(3), malform_next=lambda: server.malform_next(body)
    )

    assert job.position == new[-1]


def test_the_position_advances_only_after_the_broker_acknowledged(
    server: FakeMastodon, job: PollingHarness
) -> None:
    ids = server.post_many(3)
    job.producer.fail_flush = True

    with pytest.raises(DeliveryFailed):
        job.poll()
    assert job.position is None

    job.producer.fail_flush = False
    assert job.poll() == 3
    assert job.producer.native_ids == ids
    assert job.position == ids[-1]


def test_restart_resumes_from_the_saved_position_without_resending(
    server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path
) -> None:
    before_restart = server.post_many(3)
    harness(server, clock, checkpoint_dir).poll()
    after_restart = server.post_many(2)
    server.requests.clear()

    restarted = harness(server, clock, checkpoint_dir)
    assert restarted.poll() == 2

    assert restarted.producer.native_ids == after_restart
    assert server.timeline_params[0]["min_id"] == before_restart[-1]


def test_run_survives_transient_errors_and_returns_when_stopped(
    server: FakeMastodon, job: PollingHarness, clock: FakeClock
) -> None:
    ids = server.post_many(2)
    server.fail_next(503, times=5)  # the whole first poll fails
    stop = ClockedStop(clock)
    clock.on_sleep = lambda: stop.set() if clock.sleeps.count(30) == 2 else None

    job.runner.run(stop)

    assert job.producer.native_ids == ids
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 30, 30]
    assert not job.health.failing


def test_stop_during_a_rate_limit_wait_abandons_the_poll(
    server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path
) -> None:
    stop = threading.Event()
    job = harness(server, clock, checkpoint_dir, sleep=stoppable_sleep(stop))
    server.post_many(1)
    server.spend_rate_limit(reset_in_s=600)
    stop.set()  # the wait on the stop event returns at once instead of after ten minutes

    with pytest.raises(JobStopped):
        job.poll()
    assert job.position is None
    assert job.producer.posts == []
