"""The sink end to end: real broker, real database, real kafka-python clients.

Unlike the other database tests, the sink commits for real; the ``committed_engine`` fixture
wipes the posts afterwards (every other test rolls back, so nothing else is lost).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

import pytest
from curation_factories import scored_post
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from curation_api.db import create_db_engine
from curation_api.models import ModerationAction, Post, PostHashtag
from curation_api.settings import ApiSettings
from curation_api.sink.consumer import run_sink
from tests.conftest import wait_until
from ugc.broker import create_topics
from ugc.contract import DLQ_TOPIC, SCORED_TOPIC, DeadLetter, ScoredPost, decode, encode
from ugc.settings import KafkaSettings

pytestmark = pytest.mark.broker


class SinkThread:
    """``run_sink`` in a thread for the duration of a ``with`` block; re-raises its error."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="sink", daemon=True)

    def _run(self) -> None:
        try:
            run_sink(self.settings, self.stop)
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> SinkThread:
        self.thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the sink did not stop within 30 s"
        if self.error is not None:
            raise self.error


@pytest.fixture
def committed_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    with engine.begin() as connection:
        for model in (ModerationAction, PostHashtag, Post):
            connection.execute(delete(model))
    engine.dispose()


@pytest.fixture
def topics(kafka_settings: KafkaSettings) -> KafkaSettings:
    create_topics(kafka_settings)
    return kafka_settings


def sink_settings(database_url: str, broker: str) -> ApiSettings:
    return ApiSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker,
        sink_group_id=f"test-sink-{uuid.uuid4().hex[:8]}",
        sink_session_timeout_ms=6000,
        sink_heartbeat_interval_ms=1000,
        sink_poll_timeout_ms=200,
        # Other tests share the topic and may leave garbage in it: never trip the cap here.
        sink_max_dead_letter_ratio=1.0,
    )


def produce(broker: str, messages: Sequence[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=broker, acks="all")
    try:
        for key, value in messages:
            producer.send(SCORED_TOPIC, key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def caught_up(broker: str, group_id: str) -> bool:
    """True once ``group_id`` committed every partition of the scored topic up to its end."""
    probe = KafkaConsumer(bootstrap_servers=broker, group_id=group_id, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(SCORED_TOPIC, p) for p in probe.partitions_for_topic(SCORED_TOPIC)]
        ends = probe.end_offsets(partitions)
        return all((probe.committed(tp) or 0) >= ends[tp] for tp in partitions)
    finally:
        probe.close(autocommit=False)


def dead_letters_of(broker: str, original: bytes) -> list[DeadLetter]:
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(DLQ_TOPIC, p) for p in consumer.partitions_for_topic(DLQ_TOPIC)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: list[DeadLetter] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                letters = (decode(DeadLetter, r.value) for r in records)
                found += [letter for letter in letters if letter.original == original]
        return found
    finally:
        consumer.close(autocommit=False)


def rows(engine: Engine, post_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every column of the given posts, plus their hashtags, as stored."""
    with Session(engine) as session:
        posts = session.scalars(select(Post).where(Post.post_id.in_(post_ids)))
        stored = {
            p.post_id: {c.key: getattr(p, c.key) for c in Post.__mapper__.column_attrs}
            for p in posts
        }
        for post_id, tag in session.execute(
            select(PostHashtag.post_id, PostHashtag.tag).where(PostHashtag.post_id.in_(post_ids))
        ):
            stored[post_id].setdefault("tags", set()).add(tag)
        return stored


def messages_of(posts: Sequence[ScoredPost]) -> list[tuple[bytes, bytes]]:
    return [(p.post_id.encode(), encode(p)) for p in posts]


def test_sink_stores_scored_posts_dead_letters_garbage_and_a_replay_changes_nothing(
    broker: str, topics: KafkaSettings, database_url: str, committed_engine: Engine
) -> None:
    tag = f"brand{uuid.uuid4().hex[:8]}"
    posts = [scored_post(native_id=uuid.uuid4().hex, hashtags=[tag, "mybrand"]) for _ in range(5)]
    garbage = f"not json {uuid.uuid4()}".encode()
    post_ids = [p.post_id for p in posts]
    produce(broker, [*messages_of(posts), (b"garbage", garbage)])

    first = sink_settings(database_url, broker)
    with SinkThread(first):
        wait_until(lambda: len(rows(committed_engine, post_ids)) == 5, message="posts stored")
        (letter,) = wait_until(lambda: dead_letters_of(broker, garbage), message="dead letter")
        wait_until(lambda: caught_up(broker, first.sink_group_id), message="offsets committed")

    assert letter.stage == "sink" and letter.source_topic == SCORED_TOPIC
    assert letter.reason.startswith("not valid UTF-8 JSON")
    assert letter.key_b64 is not None
    stored = rows(committed_engine, post_ids)
    assert all(row["tags"] == {tag, "mybrand"} for row in stored.values())

    replay = sink_settings(database_url, broker)
    with SinkThread(replay):
        wait_until(lambda: caught_up(broker, replay.sink_group_id), message="replay committed")

    assert rows(committed_engine, post_ids) == stored
    assert len(dead_letters_of(broker, garbage)) == 2  # at-least-once: the replay's own letter


def test_a_post_the_database_refuses_is_dead_lettered_and_the_rest_of_its_batch_stored(
    broker: str, topics: KafkaSettings, database_url: str, committed_engine: Engine
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite stores strings of any length: nothing to refuse")
    good = scored_post(native_id=uuid.uuid4().hex)
    refused = scored_post(native_id=uuid.uuid4().hex, hashtags=["x" * 300])
    produce(broker, messages_of([good, refused]))

    settings = sink_settings(database_url, broker)
    with SinkThread(settings):
        (letter,) = wait_until(lambda: dead_letters_of(broker, encode(refused)), message="letter")
        wait_until(lambda: caught_up(broker, settings.sink_group_id), message="offsets committed")

    assert "database refused the post" in letter.reason
    assert list(rows(committed_engine, [good.post_id, refused.post_id])) == [good.post_id]
