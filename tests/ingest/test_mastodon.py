"""``ugc ingest mastodon``'s source (settings → job → runner + connector) against a fake
instance that speaks the documented API."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pytest

from contract import Platform
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import AuthFailed, ConfigError
from ingest.producer import DeliveryFailed
from ingest.settings import IngestSettings
from ingest.sources.mastodon import MastodonSource
from tests.ingest.fake_mastodon import (
    RICH_CONTENT,
    RICH_TEXT,
    FakeMastodon,
    make_media,
    make_status,
)
from tests.ingest.ingest_fakes import ClockedStop, FakeClock, RecordingProducer


@pytest.fixture
def server(clock: FakeClock) -> FakeMastodon:
    return FakeMastodon(now=clock.now)


@pytest.fixture
def checkpoint_dir(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


def make_source(
    server: FakeMastodon,
    producer: RecordingProducer,
    clock: FakeClock,
    checkpoint_dir: Path,
    *,
    hashtags: str = "brand",
    page_limit: int = 40,
    backfill_pages: int = 1,
    access_token: str | None = None,
    poll_interval_s: float = 30.0,
) -> MastodonSource:
    settings = IngestSettings(
        mastodon_base_url=server.base_url,
        mastodon_hashtags=hashtags,
        mastodon_page_limit=page_limit,
        mastodon_backfill_pages=backfill_pages,
        mastodon_access_token=access_token,
        mastodon_poll_interval_s=poll_interval_s,
        checkpoint_dir=checkpoint_dir,
    )
    # jitter=1.0 makes the backoff exact: 1 s, 2 s, 4 s...
    return MastodonSource(
        settings,
        producer,
        client=server.client(),
        now=clock.now,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
    )


def checkpoint(checkpoint_dir: Path, tag: str = "brand") -> str | None:
    return CheckpointStore(checkpoint_dir).load(("mastodon", "social.example", tag))


@pytest.fixture
def source(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> MastodonSource:
    return make_source(server, producer, clock, checkpoint_dir)


def test_first_poll_takes_only_the_newest_backfill_pages(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> None:
    ids = server.post_many(5)
    source = make_source(server, producer, clock, checkpoint_dir, page_limit=2, backfill_pages=2)

    assert source.poll_once() == 4

    assert sorted(producer.native_ids, key=int) == ids[1:]
    assert server.timeline_params == [{"limit": "2"}, {"limit": "2", "max_id": ids[3]}]
    assert checkpoint(checkpoint_dir) == ids[4]


def test_later_polls_page_forward_from_the_checkpoint_following_link_prev(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> None:
    first = server.post_many(2)
    source = make_source(server, producer, clock, checkpoint_dir, page_limit=2)
    source.poll_once()
    new = server.post_many(5)
    server.requests.clear()

    assert source.poll_once() == 5

    # Oldest page first, each cursor taken from the previous page's rel="prev", until empty.
    assert [p.get("min_id") for p in server.timeline_params] == [first[1], new[1], new[3], new[4]]
    assert producer.native_ids == first + new  # in time order on the topic
    assert checkpoint(checkpoint_dir) == new[4]


def test_posts_arriving_between_polls_are_produced_exactly_once(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> None:
    source = make_source(server, producer, clock, checkpoint_dir, page_limit=3)
    published: list[str] = []
    for arriving in (2, 0, 1, 7, 3, 0):  # the first poll fits in its one backfill page
        published += server.post_many(arriving)
        source.poll_once()
        clock.advance(30)

    assert Counter(producer.native_ids) == Counter(published)
    assert producer.native_ids == published


@pytest.mark.parametrize("links", ["missing", "stuck"])
def test_a_page_without_a_forward_cursor_ends_the_poll_and_the_next_poll_goes_on(
    server: FakeMastodon,
    producer: RecordingProducer,
    clock: FakeClock,
    checkpoint_dir: Path,
    links: str,
) -> None:
    source = make_source(server, producer, clock, checkpoint_dir, page_limit=2)
    first = server.post_many(1)
    source.poll_once()
    new = server.post_many(3)
    server.links = links

    assert source.poll_once() == 2  # one page, then no (or no new) rel="prev": stop there
    assert source.poll_once() == 1

    assert producer.native_ids == first + new


def test_poll_with_nothing_new_asks_once_and_keeps_the_checkpoint(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, checkpoint_dir: Path
) -> None:
    server.post_many(3)
    source.poll_once()
    before = checkpoint(checkpoint_dir)
    server.requests.clear()

    assert source.poll_once() == 0
    assert len(server.requests) == 1
    assert checkpoint(checkpoint_dir) == before


def test_boosts_are_skipped_but_the_checkpoint_passes_them(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, checkpoint_dir: Path
) -> None:
    original = server.post(acct="carol@remote.example")
    boost = server.post(status=make_status(id=server.next_id(), reblog=original, content=""))

    assert source.poll_once() == 1
    assert producer.native_ids == [original["id"]]
    assert checkpoint(checkpoint_dir) == boost["id"]


def test_status_maps_to_a_raw_post_with_plain_text(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, clock: FakeClock
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

    source.poll_once()

    [post] = producer.posts
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


def test_content_warning_is_part_of_the_text(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource
) -> None:
    server.post(spoiler_text="Spoilers: season finale", content="<p>What an ending</p>")

    source.poll_once()

    assert producer.posts[0].text == "Spoilers: season finale\n\nWhat an ending"


def test_hashtags_are_the_polled_one_then_the_status_tags_and_produced_once_per_poll(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> None:
    source = make_source(server, producer, clock, checkpoint_dir, hashtags="#Brand, brandsale")
    both = server.post(tags=["brand", "BrandSale", "shoes"])
    server.post(tags=["brandsale"])

    assert source.poll_once() == 2

    by_id = {post.native_id: post for post in producer.posts}
    assert by_id[both["id"]].hashtags == ["brand", "brandsale", "shoes"]
    assert checkpoint(checkpoint_dir, "brandsale") is not None


def test_status_missing_required_fields_goes_to_the_dead_letter_topic(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, checkpoint_dir: Path
) -> None:
    good = server.post()
    broken = server.post()
    del broken["account"]
    last = server.post()

    assert source.poll_once() == 2

    assert producer.native_ids == [good["id"], last["id"]]
    [dead] = producer.dead_letters
    assert dead.stage == "ingest.mastodon"
    assert "account" in dead.reason
    assert json.loads(dead.original)["id"] == broken["id"]
    assert dead.key_b64 is not None
    assert checkpoint(checkpoint_dir) == last["id"]  # handled, so not fetched again


def test_429_waits_until_the_reset_time_then_retries(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, clock: FakeClock
) -> None:
    ids = server.post_many(2)
    server.spend_rate_limit(reset_in_s=42)

    assert source.poll_once() == 2

    assert server.responses == [429, 200]
    assert clock.sleeps == [pytest.approx(42.0)]
    assert producer.native_ids == ids


def test_spent_budget_waits_for_the_reset_before_asking_again(
    clock: FakeClock, producer: RecordingProducer, checkpoint_dir: Path
) -> None:
    server = FakeMastodon(now=clock.now, rate_limit=2, window_s=300)
    server.post_many(1)
    source = make_source(server, producer, clock, checkpoint_dir)
    source.poll_once()  # remaining 1
    clock.advance(30)
    source.poll_once()  # remaining 0: the answer says so, with the reset time
    clock.advance(30)

    source.poll_once()

    assert 429 not in server.responses
    assert clock.sleeps == [pytest.approx(240.0)]


@pytest.mark.parametrize("fault", ["503", "network"])
def test_unavailable_instance_is_retried_with_exponential_backoff(
    server: FakeMastodon,
    producer: RecordingProducer,
    source: MastodonSource,
    clock: FakeClock,
    fault: str,
) -> None:
    ids = server.post_many(1)
    server.unavailable_next(fault, times=3)

    assert source.poll_once() == 1

    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert producer.native_ids == ids


def test_instance_down_for_the_whole_poll_keeps_the_checkpoint_and_next_poll_catches_up(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, checkpoint_dir: Path
) -> None:
    server.post_many(1)
    source.poll_once()
    before = checkpoint(checkpoint_dir)
    new = server.post_many(2)
    server.fail_next(503, times=5)

    assert source.poll_once() == 0
    assert checkpoint(checkpoint_dir) == before

    assert source.poll_once() == 2
    assert producer.native_ids[-2:] == new


@pytest.mark.parametrize("body", [b"<html>Moved</html>", b'{"statuses": []}', b"[1, 2"])
def test_malformed_body_keeps_the_checkpoint_and_the_next_poll_gets_the_posts(
    server: FakeMastodon,
    producer: RecordingProducer,
    source: MastodonSource,
    checkpoint_dir: Path,
    body: bytes,
) -> None:
    server.post_many(1)
    source.poll_once()
    before = checkpoint(checkpoint_dir)
    new = server.post_many(3)
    server.malform_next(body)

    assert source.poll_once() == 0
    assert checkpoint(checkpoint_dir) == before

    assert source.poll_once() == 3
    assert producer.native_ids[-3:] == new
    assert checkpoint(checkpoint_dir) == new[-1]


def test_not_found_is_a_configuration_error_that_says_what_to_check(
    server: FakeMastodon, source: MastodonSource
) -> None:
    server.not_found_next()

    with pytest.raises(ConfigError, match=r"404.*Record not found.*UGC_MASTODON_BASE_URL"):
        source.poll_once()


def test_instance_requiring_login_asks_for_a_token_and_the_token_is_sent(
    clock: FakeClock, producer: RecordingProducer, checkpoint_dir: Path
) -> None:
    server = FakeMastodon(now=clock.now, requires_token="s3cret")
    server.post_many(1)

    anonymous = make_source(server, producer, clock, checkpoint_dir)
    with pytest.raises(AuthFailed, match=r"401.*UGC_MASTODON_ACCESS_TOKEN"):
        anonymous.poll_once()

    authenticated = make_source(server, producer, clock, checkpoint_dir, access_token="s3cret")
    assert authenticated.poll_once() == 1
    assert server.requests[-1].headers["Authorization"] == "Bearer s3cret"


def test_checkpoint_advances_only_after_the_broker_acknowledged(
    server: FakeMastodon, producer: RecordingProducer, source: MastodonSource, checkpoint_dir: Path
) -> None:
    ids = server.post_many(3)
    producer.fail_flush = True

    with pytest.raises(DeliveryFailed):
        source.poll_once()
    assert checkpoint(checkpoint_dir) is None

    producer.fail_flush = False
    assert source.poll_once() == 3
    assert producer.native_ids == ids
    assert checkpoint(checkpoint_dir) == ids[-1]


def test_restart_resumes_from_the_checkpoint_without_resending(
    server: FakeMastodon, clock: FakeClock, checkpoint_dir: Path
) -> None:
    before_restart = server.post_many(3)
    make_source(server, RecordingProducer(), clock, checkpoint_dir).poll_once()
    after_restart = server.post_many(2)
    server.requests.clear()

    producer = RecordingProducer()
    assert make_source(server, producer, clock, checkpoint_dir).poll_once() == 2

    assert producer.native_ids == after_restart
    assert server.timeline_params[0]["min_id"] == before_restart[-1]


def test_run_survives_transient_errors_and_returns_when_stopped(
    server: FakeMastodon, producer: RecordingProducer, clock: FakeClock, checkpoint_dir: Path
) -> None:
    source = make_source(server, producer, clock, checkpoint_dir, poll_interval_s=30)
    ids = server.post_many(2)
    server.fail_next(503, times=5)  # the whole first poll fails
    stop = ClockedStop(clock)
    clock.on_sleep = lambda: stop.set() if clock.sleeps.count(30) == 2 else None

    source.run(stop)

    assert producer.native_ids == ids
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 30, 30]


def test_run_stops_on_a_configuration_error(server: FakeMastodon, source: MastodonSource) -> None:
    server.not_found_next()

    with pytest.raises(ConfigError, match="Record not found"):
        source.run(threading.Event())


def test_stop_during_a_rate_limit_wait_abandons_the_poll(
    server: FakeMastodon, producer: RecordingProducer, checkpoint_dir: Path, clock: FakeClock
) -> None:
    stop = threading.Event()
    settings = IngestSettings(
        mastodon_base_url=server.base_url, mastodon_hashtags="brand", checkpoint_dir=checkpoint_dir
    )
    source = MastodonSource(settings, producer, client=server.client(), now=clock.now, stop=stop)
    server.post_many(1)
    server.spend_rate_limit(reset_in_s=600)
    stop.set()  # the wait on the stop event returns at once instead of after ten minutes

    assert source.poll_once() == 0
    assert checkpoint(checkpoint_dir) is None
