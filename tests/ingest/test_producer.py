"""The producer against the real broker (Tansu), and its delivery checks."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaError
from kafka.future import Future

from contract import DLQ_TOPIC, RAW_TOPIC, DeadLetter, RawPost, decode
from contract.settings import KafkaSettings
from contract.topics import create_topics
from ingest import producer as producer_module
from ingest.producer import DeliveryFailed, PostProducer
from tests.conftest import wait_until


def make_post(native_id: str) -> RawPost:
    now = datetime.now(UTC)
    return RawPost(
        platform="mastodon",
        native_id=native_id,
        post_id=f"mastodon:{native_id}",
        hashtags=["brand"],
        text="hello",
        author={"id": "1", "handle": "alice"},
        created_at=now,
        collected_at=now,
    )


def consume_until(settings: KafkaSettings, topic: str, wanted: set[bytes]) -> dict[bytes, bytes]:
    """Read ``topic`` from the start until every key in ``wanted`` was seen (other tests may
    have written to the same topic: their records are ignored)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_list,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=5000,
    )
    found: dict[bytes, bytes] = {}

    def all_seen() -> bool:
        for records in consumer.poll(timeout_ms=200).values():
            found.update({r.key: r.value for r in records if r.key in wanted})
        return wanted <= found.keys()

    try:
        wait_until(all_seen, timeout=30, interval=0, message=f"{len(wanted)} records on {topic}")
    finally:
        consumer.close()
    return found


@pytest.mark.broker
def test_posts_and_dead_letters_reach_the_broker_keyed_by_post_id(
    kafka_settings: KafkaSettings,
) -> None:
    create_topics(kafka_settings)
    run = uuid.uuid4().hex[:8]
    posts = [make_post(f"{run}-{i}") for i in range(3)]
    dead_letter = DeadLetter.for_message(
        reason="not JSON", stage="ingest.test", original=b"{oops", key=f"mastodon:{run}-x".encode()
    )

    with PostProducer(kafka_settings) as producer:
        for post in posts:
            producer.send(post)
        producer.send_dead_letter(dead_letter)
        producer.flush(timeout=30)

    raw = consume_until(kafka_settings, RAW_TOPIC, {p.post_id.encode() for p in posts})
    for post in posts:
        assert decode(RawPost, raw[post.post_id.encode()]) == post
    dlq = consume_until(kafka_settings, DLQ_TOPIC, {f"mastodon:{run}-x".encode()})
    received = decode(DeadLetter, dlq[f"mastodon:{run}-x".encode()])
    assert received.original == b"{oops"
    assert received.key_b64 == base64.b64encode(f"mastodon:{run}-x".encode()).decode()


class _FailingKafkaProducer:
    """Stands in for ``KafkaProducer``: every second send fails, as a rejected batch would."""

    last_config: dict[str, Any] = {}

    def __init__(self, **config: Any) -> None:
        _FailingKafkaProducer.last_config = config
        self.sent = 0

    def send(self, topic: str, *, key: bytes | None, value: bytes) -> Future:  # noqa: ARG002
        self.sent += 1
        future = Future()
        if self.sent % 2:
            return future.success(None)
        return future.failure(KafkaError("NotLeaderForPartition"))

    def flush(self, timeout: float | None = None) -> None:
        pass

    def close(self, timeout: float | None = None) -> None:
        pass


def test_flush_raises_when_any_send_was_not_acknowledged_then_starts_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(producer_module, "KafkaProducer", _FailingKafkaProducer)
    producer = PostProducer(KafkaSettings())
    for i in range(4):
        producer.send(make_post(str(i)))

    with pytest.raises(DeliveryFailed, match=r"2 of 4 .*NotLeaderForPartition"):
        producer.flush()

    producer.send(make_post("5"))  # acknowledged
    producer.flush()


def test_producer_asks_for_acknowledgement_by_all_replicas_and_idempotence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(producer_module, "KafkaProducer", _FailingKafkaProducer)

    PostProducer(KafkaSettings())

    config = _FailingKafkaProducer.last_config
    assert config["acks"] == "all"
    assert config["enable_idempotence"] is True
