"""The sink end to end: real broker, real database, real kafka-python clients.

Unlike the other database tests, the sink commits for real; the ``committed_engine`` fixture
wipes the posts afterwards (every other test rolls back, so nothing else is lost).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import CommitFailedError, KafkaTimeoutError
from kafka.structs import TopicPartition
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from contract import DLQ_TOPIC, SCORED_TOPIC, DeadLetter, ScoredPost, decode, encode
from contract.dead_letters import DeadLetterBudget, DeadLetterRatioExceeded
from contract.settings import KafkaSettings
from contract.topics import create_topics
from curation_api.batch_steps import is_transient
from curation_api.settings import ApiSettings
from curation_api.sink.consumer import run_sink
from database.engine import create_db_engine
from database.migrate import upgrade
from database.models import ModerationAction, Post, PostHashtag
from tests.conftest import wait_until
from tests.curation_api.curation_factories import scored_post

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
        sink_dlq_max_ratio=1.0,
    )


def produce(broker: str, messages: Sequence[tuple[bytes, bytes]]) -> dict[TopicPartition, int]:
    """Send to the scored topic; returns, per partition, the offset just past our messages."""
    producer = KafkaProducer(bootstrap_servers=broker, acks="all")
    try:
        futures = [producer.send(SCORED_TOPIC, key=k, value=v) for k, v in messages]
        producer.flush(timeout=30)
        ends: dict[TopicPartition, int] = {}
        for future in futures:
            sent = future.get(timeout=30)
            partition = TopicPartition(SCORED_TOPIC, sent.partition)
            ends[partition] = max(ends.get(partition, 0), sent.offset + 1)
        return ends
    finally:
        producer.close()


def committed_past(broker: str, group_id: str, ends: dict[TopicPartition, int]) -> bool:
    """True once ``group_id`` committed offsets at or past ``ends`` (the sink commits last, so
    everything before is stored and dead-lettered). The broker's end offsets are not used:
    the embedded broker reports them per record batch, not per record."""
    probe = KafkaConsumer(bootstrap_servers=broker, group_id=group_id, enable_auto_commit=False)
    try:
        return all((probe.committed(tp) or 0) >= end for tp, end in ends.items())
    finally:
        probe.close(autocommit=False)


class DeadLetterReader:
    """Everything on the dead-letter topic from its beginning, read as it arrives."""

    def __init__(self, broker: str) -> None:
        self.consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
        partitions = [
            TopicPartition(DLQ_TOPIC, p) for p in self.consumer.partitions_for_topic(DLQ_TOPIC)
        ]
        self.consumer.assign(partitions)
        self.consumer.seek_to_beginning(*partitions)
        self.letters: list[DeadLetter] = []

    def of(self, original: bytes) -> list[DeadLetter]:
        for records in self.consumer.poll(timeout_ms=200).values():
            self.letters += [decode(DeadLetter, r.value) for r in records]
        return [letter for letter in self.letters if letter.original == original]


@pytest.fixture
def dead_letters(
    broker: str,
    topics: KafkaSettings,  # noqa: ARG001 (the topics must exist before it subscribes)
) -> Iterator[DeadLetterReader]:
    reader = DeadLetterReader(broker)
    yield reader
    reader.consumer.close(autocommit=False)


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
    broker: str, database_url: str, committed_engine: Engine, dead_letters: DeadLetterReader
) -> None:
    tag = f"brand{uuid.uuid4().hex[:8]}"
    posts = [scored_post(native_id=uuid.uuid4().hex, hashtags=[tag, "mybrand"]) for _ in range(5)]
    garbage = f"not json {uuid.uuid4()}".encode()
    post_ids = [p.post_id for p in posts]
    ends = produce(broker, [*messages_of(posts), (b"garbage", garbage)])

    first = sink_settings(database_url, broker)
    with SinkThread(first):
        wait_until(lambda: len(rows(committed_engine, post_ids)) == 5, message="posts stored")
        (letter,) = wait_until(lambda: dead_letters.of(garbage), message="the dead letter")
        wait_until(lambda: committed_past(broker, first.sink_group_id, ends), message="commit")

    assert letter.stage == "sink"
    assert letter.source_topic == SCORED_TOPIC
    assert letter.reason.startswith("not valid UTF-8 JSON")
    assert letter.key_b64 is not None
    stored = rows(committed_engine, post_ids)
    assert all(row["tags"] == {tag, "mybrand"} for row in stored.values())

    replay = sink_settings(database_url, broker)
    with SinkThread(replay):
        wait_until(lambda: committed_past(broker, replay.sink_group_id, ends), message="replay")

    assert rows(committed_engine, post_ids) == stored
    # At-least-once: the replay dead-letters the garbage again.
    wait_until(lambda: len(dead_letters.of(garbage)) == 2, message="the replay's dead letter")


# Only PostgreSQL enforces VARCHAR lengths; SQLite would store the post.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_post_the_database_refuses_is_dead_lettered_and_the_rest_of_its_batch_stored(
    broker: str, database_url: str, committed_engine: Engine, dead_letters: DeadLetterReader
) -> None:
    good = scored_post(native_id=uuid.uuid4().hex)
    refused = scored_post(native_id=uuid.uuid4().hex, hashtags=["x" * 300])
    ends = produce(broker, messages_of([good, refused]))

    settings = sink_settings(database_url, broker)
    with SinkThread(settings):
        (letter,) = wait_until(lambda: dead_letters.of(encode(refused)), message="dead letter")
        wait_until(lambda: committed_past(broker, settings.sink_group_id, ends), message="commit")

    assert "database refused the post" in letter.reason
    assert list(rows(committed_engine, [good.post_id, refused.post_id])) == [good.post_id]


@pytest.mark.usefixtures("topics")
def test_while_the_database_fails_the_sink_retries_commits_nothing_and_stops_on_request(
    broker: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A database nobody migrated yet: every write fails until `upgrade` runs.
    url = f"sqlite:///{tmp_path / 'late.db'}"
    post = scored_post(native_id=uuid.uuid4().hex)
    ends = produce(broker, messages_of([post]))
    settings = sink_settings(url, broker)

    with caplog.at_level(logging.WARNING, logger="curation_api.sink"), SinkThread(settings):
        wait_until(lambda: "store scored posts failed" in caplog.text, message="a retry")
    assert not committed_past(broker, settings.sink_group_id, ends)

    upgrade(url)
    engine = create_db_engine(url)
    try:
        with SinkThread(settings):
            wait_until(lambda: rows(engine, [post.post_id]), message="the post stored")
            wait_until(
                lambda: committed_past(broker, settings.sink_group_id, ends), message="commit"
            )
    finally:
        engine.dispose()


def test_the_dead_letter_cap_stops_a_sink_that_poisons_most_of_its_input() -> None:
    budget = DeadLetterBudget(0.5, window=10, min_sample=4)
    budget.record(total=3, poisoned=3)  # too few messages to judge
    budget.record(total=7, poisoned=2)  # 5 of the last 10: at the cap, not over it
    budget.record(total=5, poisoned=0)  # the window slides: 0 of the last 10
    with pytest.raises(DeadLetterRatioExceeded, match="6 of the last 10 messages"):
        budget.record(total=6, poisoned=6)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OperationalError("INSERT", {}, Exception("database is locked")), True),
        (ProgrammingError("INSERT", {}, Exception("no such table: posts")), True),
        (DataError("INSERT", {}, Exception("value too long")), False),
        (IntegrityError("INSERT", {}, Exception("violates foreign key")), False),
        (ValueError("a bug"), False),
        (KafkaTimeoutError("DLQ produce timed out"), True),
        (CommitFailedError("rebalanced"), False),
    ],
)
def test_only_errors_a_retry_can_cure_are_retried(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
