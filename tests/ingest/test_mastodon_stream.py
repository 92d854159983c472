"""Mastodon's hashtag streaming (SSE) against a fake instance: updates, deletes, heartbeats and
multi-line data, the REST catch-up after a disconnect, and the fallback to polling."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import JobSpec
from ingest.connectors.mastodon import MastodonStreamConnector
from ingest.connectors.runner import MemoryHealth, PollingRunner
from ingest.connectors.sse import ServerSentEvent, SseParser
from ingest.connectors.stream_runner import StreamRunner
from tests.conftest import wait_until
from tests.ingest.fake_mastodon import FakeMastodon
from tests.ingest.fake_mastodon_stream import FakeMastodonStream
from tests.ingest.ingest_fakes import FakeClock, RecordingProducer
from tests.ingest.streaming import running


@pytest.fixture
def instance(clock: FakeClock) -> Iterator[FakeMastodonStream]:
    fake = FakeMastodonStream(FakeMastodon(now=clock.now))
    yield fake
    fake.close()


def make_job(
    instance: FakeMastodonStream,
    *,
    hashtags: tuple[str, ...] = ("brand",),
    token: str | None = "user-token",
) -> JobSpec:
    return JobSpec(
        job_id="masto-stream-1",
        network="mastodon",
        hashtags=hashtags,
        poll_interval_s=30.0,
        options={"base_url": instance.rest.base_url},
        credentials={"access_token": token} if token else {},
    )


def make_runner(
    job: JobSpec,
    instance: FakeMastodonStream,
    clock: FakeClock,
    producer: RecordingProducer,
    checkpoints: CheckpointStore,
    health: MemoryHealth | None = None,
    *,
    fall_back: bool = False,
    fallback_after: int = 5,
) -> StreamRunner:
    connector = MastodonStreamConnector.from_job(
        job, client=instance.client(), now=clock.now, sleep=clock.sleep, tick_s=0.02
    )
    fallback = (
        PollingRunner(job, connector.poller, producer, checkpoints, health) if fall_back else None
    )
    return StreamRunner(
        job,
        connector,
        producer,
        checkpoints,
        health,
        now=clock.now,
        jitter=lambda: 1.0,
        sleep=clock.sleep,
        flush_every=1,
        fallback=fallback,
        fallback_after=fallback_after,
    )


def saved(checkpoints: CheckpointStore, runner: StreamRunner) -> dict[str, str]:
    position = checkpoints.load(runner.position_key)
    return json.loads(position) if position else {}


def connected(instance: FakeMastodonStream, total: int, *, now_open: int | None = None) -> bool:
    """``total`` streams were opened, and ``now_open`` (default: all of them) still are."""
    still_open = total if now_open is None else now_open
    return len(instance.connections) == total and len(instance.open_connections) == still_open


def test_updates_are_produced_and_deletes_and_heartbeats_ignored(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    producer = RecordingProducer()
    runner = make_runner(make_job(instance), instance, clock, producer, checkpoints)
    with running(runner):
        wait_until(lambda: connected(instance, 1), timeout=10, message="the stream")
        first = instance.publish()
        instance.delete(first["id"])
        second = instance.publish(multiline=True, spoiler_text="Spoiler")
        instance.push_raw('event: update\ndata: {"id": "4", "content": \n\n')
        instance.push_raw("event: status.update\ndata: {}\n\n")
        third = instance.publish(tags=("shoes", "brand"))
        wait_until(lambda: saved(checkpoints, runner) == {"brand": third["id"]}, timeout=10)

    [request] = [c.request for c in instance.connections]
    assert request.headers["Authorization"] == "Bearer user-token"
    assert request.headers["Accept"] == "text/event-stream"
    assert dict(request.url.params) == {"tag": "brand"}
    assert producer.native_ids == [first["id"], second["id"], third["id"]]
    assert producer.posts[1].text.startswith("Spoiler\n\n")  # multi-line data joined
    assert producer.posts[2].hashtags[:2] == ["brand", "shoes"]
    [dead] = producer.dead_letters
    assert dead.reason == "Mastodon update event whose data is not JSON"
    assert instance.timeline_requests == []  # nothing to catch up on a first start


def test_a_disconnect_catches_up_through_rest_then_streams_again(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    producer, health = RecordingProducer(), MemoryHealth()
    runner = make_runner(make_job(instance), instance, clock, producer, checkpoints, health)
    with running(runner):
        wait_until(lambda: connected(instance, 1), timeout=10, message="the stream")
        before = instance.publish()
        wait_until(lambda: saved(checkpoints, runner) == {"brand": before["id"]}, timeout=10)
        # Posted while the stream was silently broken: only the REST timeline has them.
        missed = [instance.rest.post()["id"] for _ in range(3)]
        instance.hang_up()
        wait_until(lambda: connected(instance, 2, now_open=1), timeout=10, message="a new stream")
        after = instance.publish()
        wait_until(lambda: saved(checkpoints, runner) == {"brand": after["id"]}, timeout=10)

    assert producer.native_ids == [before["id"], *missed, after["id"]]
    [(tag, query)] = instance.timeline_requests[:1]
    assert (tag, query["min_id"]) == ("brand", before["id"])
    assert "stream at social.example: the instance ended the stream" in health.errors[0]
    assert clock.sleeps == [1.0]


def test_every_hashtag_has_its_own_stream_and_catch_up(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    known = instance.rest.post()["id"]
    missed_brand = instance.rest.post()["id"]
    missed_shoes = instance.rest.post(tags=("shoes",))["id"]
    producer = RecordingProducer()
    runner = make_runner(
        make_job(instance, hashtags=("brand", "shoes")), instance, clock, producer, checkpoints
    )
    checkpoints.save(runner.position_key, json.dumps({"brand": known}))
    with running(runner):
        wait_until(lambda: connected(instance, 2), timeout=10, message="both streams")
        both = instance.publish(tags=("shoes", "brand"))
        wait_until(
            lambda: saved(checkpoints, runner) == {"brand": both["id"], "shoes": both["id"]},
            timeout=10,
        )

    assert sorted(c.tag for c in instance.connections) == ["brand", "shoes"]
    # A hashtag without a position of its own catches up from the newest id of the others.
    min_ids = [(tag, query["min_id"]) for tag, query in instance.timeline_requests]
    assert ("brand", known) in min_ids
    assert ("shoes", known) in min_ids
    assert set(producer.native_ids) == {missed_brand, missed_shoes, both["id"]}


def test_a_refused_token_falls_back_to_polling(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    ids = [instance.rest.post()["id"] for _ in range(2)]
    producer, health = RecordingProducer(), MemoryHealth()
    job = make_job(instance, token="revoked-token")
    runner = make_runner(job, instance, clock, producer, checkpoints, health, fall_back=True)
    with running(runner):
        wait_until(lambda: producer.native_ids == ids, timeout=10, message="polled posts")

    assert runner.handed_over
    assert not health.failing
    assert "answered 401 to the #brand stream: Invalid access token" in health.errors[0]
    assert "streaming stopped, polling instead" in health.errors[0]


def test_without_a_token_the_job_is_polled(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    ids = [instance.rest.post()["id"] for _ in range(2)]
    producer, health = RecordingProducer(), MemoryHealth()
    job = make_job(instance, token=None)
    runner = make_runner(job, instance, clock, producer, checkpoints, health, fall_back=True)
    with running(runner):
        wait_until(lambda: producer.native_ids == ids, timeout=10, message="polled posts")

    assert instance.connections == []
    assert "needs a user access token (credential access_token)" in health.errors[0]


def test_a_stream_that_keeps_failing_falls_back_to_polling(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    instance.refuse_next(503, times=3)
    ids = [instance.rest.post()["id"]]
    producer, health = RecordingProducer(), MemoryHealth()
    job = make_job(instance)
    runner = make_runner(
        job, instance, clock, producer, checkpoints, health, fall_back=True, fallback_after=3
    )
    with running(runner):
        wait_until(lambda: producer.native_ids == ids, timeout=10, message="polled posts")

    assert runner.handed_over
    assert clock.sleeps[:2] == [1.0, 2.0]
    assert "503" in health.errors[0]


def test_a_page_that_is_not_an_event_stream_is_a_config_error(
    instance: FakeMastodonStream, clock: FakeClock, checkpoints: CheckpointStore
) -> None:
    instance.refuse_next(200, content_type="text/html")
    health = MemoryHealth()
    runner = make_runner(
        make_job(instance), instance, clock, RecordingProducer(), checkpoints, health
    )
    with running(runner):
        wait_until(lambda: health.failing, timeout=10, message="the job failing")

    assert "check streaming_url" in (health.last_error or "")


def test_the_sse_parser_follows_the_event_stream_rules() -> None:
    parser = SseParser()
    lines = [
        ":thump",
        "event: update",
        'data: {"id":',
        'data:  "1"}',
        "id: 7",
        "",
        "",
        "event: delete",
        "",
        "data",
        "",
    ]
    events = [event for line in lines if (event := parser.feed(line)) is not None]
    assert events == [
        ServerSentEvent(event="update", data='{"id":\n "1"}', id="7"),
        ServerSentEvent(event="message", data="", id="7"),
    ]
