"""Bluesky Jetstream over a real local websocket server: filtering, normalization, disconnects,
restarts from the saved cursor, and the real broker end to end."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator

import pytest

from contract import Platform, PoisonMessage
from contract.settings import KafkaSettings
from contract.topics import create_topics
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import JobSpec, StreamEvent, Unavailable
from ingest.connectors.bluesky import BlueskyStreamConnector
from ingest.connectors.runner import MemoryHealth
from ingest.connectors.stream_runner import StreamRunner
from ingest.producer import PostProducer, PostSink
from tests.conftest import wait_until
from tests.ingest.fake_bluesky import (
    FakeJetstream,
    account_event,
    commit_event,
    identity_event,
    images_embed,
    link_facet,
    make_record,
    tag_facet,
    tagged_record,
    tid,
)
from tests.ingest.ingest_fakes import START, RecordingProducer
from tests.ingest.restart_harness import read_post_ids
from tests.ingest.streaming import running

ALICE = "did:plc:alice"
BOB = "did:plc:bob"


@pytest.fixture
def jetstream() -> Iterator[FakeJetstream]:
    fake = FakeJetstream()
    yield fake
    fake.close()


def make_job(
    jetstream: FakeJetstream, *, hashtags: tuple[str, ...] = ("brand",), rewind_s: float = 0
) -> JobSpec:
    options = {"jetstream_url": jetstream.url, "rewind_s": rewind_s}
    return JobSpec(job_id="jet-1", network="bluesky", hashtags=hashtags, options=options)


def make_runner(
    job: JobSpec, sink: PostSink, checkpoints: CheckpointStore, health: MemoryHealth | None = None
) -> StreamRunner:
    connector = BlueskyStreamConnector.from_job(job, tick_s=0.05)
    # No real waits between reconnections; every post is checkpointed at once.
    return StreamRunner(
        job,
        connector,
        sink,
        checkpoints,
        health,
        sleep=lambda _: None,
        flush_every=1,
    )


def saved(checkpoints: CheckpointStore, runner: StreamRunner) -> str | None:
    return checkpoints.load(runner.position_key)


def test_only_new_posts_with_a_followed_hashtag_are_produced(
    jetstream: FakeJetstream, checkpoints: CheckpointStore
) -> None:
    producer = RecordingProducer()
    runner = make_runner(make_job(jetstream, hashtags=("brand", "shoes")), producer, checkpoints)
    multibyte = "Über café ☕ — read example.com/reviews/20... #Brand 👟"
    link = "https://example.com/reviews/2025/running-shoes"
    broken = '{"did": "did:plc:broken", "kind": "commit", "commit": {"text": "café'
    with running(runner):
        wait_until(lambda: jetstream.connections == 1, timeout=10, message="a connection")
        jetstream.publish(identity_event(ALICE))
        jetstream.publish(account_event(ALICE))
        jetstream.publish(commit_event(ALICE, tid(1), operation="delete"))
        jetstream.publish(commit_event(ALICE, tid(2), tagged_record(), operation="update"))
        jetstream.publish(commit_event(ALICE, tid(3), make_record("shoes without a tag")))
        like = {"subject": {"uri": f"at://{BOB}/app.bsky.feed.post/{tid(9)}"}}
        jetstream.publish(commit_event(ALICE, tid(4), like, collection="app.bsky.feed.like"))
        jetstream.publish(
            commit_event(BOB, tid(5), make_record("new season drop", tags=["Shoes"], langs=["de"]))
        )
        facets = [
            tag_facet(multibyte, "Brand"),
            link_facet(multibyte, "example.com/reviews/20...", link),
        ]
        embed = images_embed(("bafkreiimage1", "A red running shoe"))
        jetstream.publish(
            commit_event(
                ALICE, tid(6), make_record(multibyte, facets=facets, langs=["fr"], embed=embed)
            )
        )
        jetstream.publish_raw(broken)
        last = jetstream.publish(commit_event(BOB, tid(7), tagged_record("#brand again")))
        wait_until(
            lambda: saved(checkpoints, runner) == str(last), timeout=10, message="the cursor"
        )

    assert jetstream.wanted == [["app.bsky.feed.post"]]
    assert [p.native_id for p in producer.posts] == [
        f"at://{BOB}/app.bsky.feed.post/{tid(5)}",
        f"at://{ALICE}/app.bsky.feed.post/{tid(6)}",
        f"at://{BOB}/app.bsky.feed.post/{tid(7)}",
    ]
    tags_only, multibyte_post, _ = producer.posts
    assert tags_only.hashtags == ["shoes"]
    assert tags_only.language == "de"
    assert multibyte_post.platform is Platform.BLUESKY
    assert multibyte_post.post_id == f"bluesky:at://{ALICE}/app.bsky.feed.post/{tid(6)}"
    assert multibyte_post.hashtags == ["brand"]
    # The link facet's byte offsets, counted after multibyte characters, found the right span.
    assert multibyte_post.text == f"Über café ☕ — read {link} #Brand 👟"
    assert multibyte_post.author.id == multibyte_post.author.handle == ALICE
    assert multibyte_post.permalink == f"https://bsky.app/profile/{ALICE}/post/{tid(6)}"
    assert multibyte_post.language == "fr"
    assert [(m.type, m.url, m.alt_text) for m in multibyte_post.media] == [
        (
            "image",
            f"https://cdn.bsky.app/img/feed_fullsize/plain/{ALICE}/bafkreiimage1@jpeg",
            "A red running shoe",
        )
    ]
    assert multibyte_post.engagement.likes is None
    [dead] = producer.dead_letters
    assert dead.reason == "Jetstream frame is not JSON"
    assert dead.stage == "ingest.bluesky"
    assert base64.b64decode(dead.original_b64) == broken.encode()  # the frame, byte for byte


def test_a_dropped_connection_resumes_from_the_cursor(
    jetstream: FakeJetstream, checkpoints: CheckpointStore
) -> None:
    producer, health = RecordingProducer(), MemoryHealth()
    runner = make_runner(make_job(jetstream), producer, checkpoints, health)
    jetstream.drop_next_connection_after(2)
    with running(runner):
        wait_until(lambda: jetstream.connections == 1, timeout=10, message="a connection")
        times = [jetstream.publish(commit_event(ALICE, tid(n), tagged_record())) for n in range(5)]
        wait_until(
            lambda: saved(checkpoints, runner) == str(times[-1]), timeout=10, message="the cursor"
        )

    # The second connection asked for the cursor of the last event consumed (rewind_s=0).
    assert jetstream.cursors == [None, str(times[1])]
    assert {p.native_id for p in producer.posts} == {
        f"at://{ALICE}/app.bsky.feed.post/{tid(n)}" for n in range(5)
    }
    assert len(health.errors) == 1
    assert "Jetstream closed the connection" in health.errors[0]


def test_a_restart_resumes_from_the_saved_cursor_and_loses_nothing(
    jetstream: FakeJetstream, checkpoints: CheckpointStore
) -> None:
    job = make_job(jetstream, rewind_s=5)
    first = RecordingProducer()
    runner = make_runner(job, first, checkpoints)
    with running(runner):
        wait_until(lambda: jetstream.connections == 1, timeout=10, message="a connection")
        before = [jetstream.publish(commit_event(ALICE, tid(n), tagged_record())) for n in range(3)]
        wait_until(
            lambda: saved(checkpoints, runner) == str(before[-1]), timeout=10, message="a save"
        )
    # Posted while the job was down: only Jetstream's replay from the cursor can bring these.
    during = [jetstream.publish(commit_event(BOB, tid(n), tagged_record())) for n in range(3, 6)]

    second = RecordingProducer()
    restarted = make_runner(job, second, checkpoints)
    with running(restarted):
        wait_until(
            lambda: saved(checkpoints, restarted) == str(during[-1]),
            timeout=10,
            message="the cursor",
        )

    assert jetstream.cursors == [None, str(before[-1] - 5_000_000)]
    ids = {p.native_id for p in first.posts} | {p.native_id for p in second.posts}
    assert ids == {
        f"at://{d}/app.bsky.feed.post/{tid(n)}"
        for d, n in [(ALICE, 0), (ALICE, 1), (ALICE, 2), (BOB, 3), (BOB, 4), (BOB, 5)]
    }


@pytest.mark.broker
def test_jetstream_posts_reach_the_raw_topic(
    broker: str, jetstream: FakeJetstream, checkpoints: CheckpointStore
) -> None:
    tag = f"jet{uuid.uuid4().hex[:8]}"
    job = make_job(jetstream, hashtags=(tag,))
    settings = KafkaSettings(kafka_bootstrap_servers=broker)
    create_topics(settings)
    with PostProducer(settings, client_id="jetstream-test") as producer:
        runner = make_runner(job, producer, checkpoints)
        with running(runner):
            wait_until(lambda: jetstream.connections == 1, timeout=10, message="a connection")
            jetstream.publish(commit_event(ALICE, tid(1), make_record("not ours")))
            times = [
                jetstream.publish(commit_event(ALICE, tid(n), tagged_record(f"#{tag} {n}", tag)))
                for n in range(2, 6)
            ]
            wait_until(
                lambda: saved(checkpoints, runner) == str(times[-1]), timeout=20, message="a save"
            )

    expected = {f"bluesky:at://{ALICE}/app.bsky.feed.post/{tid(n)}" for n in range(2, 6)}
    assert set(read_post_ids(broker, job)) == expected


def test_an_unreachable_jetstream_is_unavailable() -> None:
    job = JobSpec(
        job_id="jet-2",
        network="bluesky",
        hashtags=("brand",),
        options={"jetstream_url": "ws://127.0.0.1:9/subscribe"},
    )
    connector = BlueskyStreamConnector.from_job(job)
    with pytest.raises(Unavailable, match="cannot reach Jetstream"):
        next(iter(connector.stream(None, threading.Event())))


def test_subscribe_url_rewinds_the_cursor_and_asks_for_posts_only() -> None:
    connector = BlueskyStreamConnector(
        ["brand"], url="wss://jetstream1.us-west.bsky.network/subscribe"
    )
    assert connector.subscribe_url(None) == (
        "wss://jetstream1.us-west.bsky.network/subscribe?wantedCollections=app.bsky.feed.post"
    )
    assert connector.subscribe_url("1740830405000000").endswith("&cursor=1740830400000000")


def test_events_move_the_cursor_even_when_they_carry_nothing() -> None:
    connector = BlueskyStreamConnector(["brand"])
    identity = json.dumps({**identity_event(ALICE), "time_us": 17})
    assert connector.event(identity) == StreamEvent(item=None, position="17")
    untagged = json.dumps({**commit_event(ALICE, tid(1), make_record("hi")), "time_us": 18})
    assert connector.event(untagged) == StreamEvent(item=None, position="18")
    assert connector.event("[1, 2") == StreamEvent(item=b"[1, 2", position=None)


def test_a_tag_only_in_the_text_does_not_match_but_is_listed() -> None:
    connector = BlueskyStreamConnector(["brand"])
    # Jetstream matching follows the record's declared tags (facets and `tags`) only.
    text_only = commit_event(ALICE, tid(1), make_record("#brand without a facet"))
    assert connector.event(json.dumps(text_only)).item is None
    record = make_record(
        "#brand and #Summer vibes", facets=[tag_facet("#brand and #Summer vibes", "brand")]
    )
    post = connector.normalize(commit_event(ALICE, tid(2), record), collected_at=START)
    assert post is not None
    assert post.hashtags == ["brand", "summer"]


def test_video_and_record_with_media_embeds() -> None:
    connector = BlueskyStreamConnector(["brand"])
    video = {
        "$type": "app.bsky.embed.video",
        "video": {"$type": "blob", "ref": {"$link": "bafkreivideo"}, "mimeType": "video/mp4"},
        "alt": "Unboxing",
    }
    quoted = {"$type": "app.bsky.embed.recordWithMedia", "record": {}, "media": video}
    record = tagged_record()
    record["embed"] = quoted
    post = connector.normalize(commit_event(ALICE, tid(1), record), collected_at=START)
    assert post is not None
    [media] = post.media
    assert media.type == "video"
    assert media.url == "https://video.bsky.app/watch/did%3Aplc%3Aalice/bafkreivideo/playlist.m3u8"
    assert media.alt_text == "Unboxing"


def test_a_commit_without_rkey_is_poison() -> None:
    connector = BlueskyStreamConnector(["brand"])
    event = commit_event(ALICE, tid(1), tagged_record())
    del event["commit"]["rkey"]
    with pytest.raises(PoisonMessage, match="rkey"):
        connector.normalize(event, collected_at=START)


def test_links_are_expanded_only_when_shortened_and_bad_offsets_are_ignored() -> None:
    connector = BlueskyStreamConnector(["brand"])
    text = "Café ☕ my review: example.com/r... #brand"
    uri = "https://example.com/reviews/2025/running-shoes"
    anchor = link_facet(text, "my review", "https://example.com/other")
    # Offsets counted in characters, not bytes, land 3 bytes early ("é" and "☕" are 2 and 3
    # bytes long) on text that is not the link: nothing may be replaced there.
    chars = text.index("example.com/r...")
    by_chars = {
        "index": {"byteStart": chars, "byteEnd": chars + len("example.com/r...")},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }
    record = make_record(text, facets=[tag_facet(text, "brand"), anchor, by_chars])
    post = connector.normalize(commit_event(ALICE, tid(1), record), collected_at=START)
    assert post is not None
    assert post.text == text

    shortened = link_facet(text, "example.com/r...", uri)
    record = make_record(text, facets=[tag_facet(text, "brand"), anchor, shortened])
    post = connector.normalize(commit_event(ALICE, tid(2), record), collected_at=START)
    assert post is not None
    assert post.text == f"Café ☕ my review: {uri} #brand"
