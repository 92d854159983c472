from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from kafka import KafkaConsumer

from contract import (
    RAW_TOPIC,
    SCHEMA_VERSION,
    DeadLetter,
    PoisonMessage,
    RawPost,
    ScoredPost,
    decode,
    encode,
)
from contract.settings import KafkaSettings
from contract.topics import create_topics
from ingest.producer import PostProducer

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def raw_post_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "platform": "mastodon",
        "native_id": "113547201839374501",
        "hashtags": ["#BrewNorth"],
        "text": "Fresh beans today",
        "author": {"id": "42", "handle": "ana@coffee.example", "followers": 10},
        "created_at": WHEN.isoformat(),
        "collected_at": WHEN.isoformat(),
    }
    return {**fields, **overrides}


def test_post_id_is_derived_from_platform_and_native_id() -> None:
    post = RawPost.model_validate(raw_post_fields())
    assert post.post_id == "mastodon:113547201839374501"
    assert post.schema_version == SCHEMA_VERSION


def test_a_post_id_that_disagrees_with_platform_and_native_id_is_refused() -> None:
    with pytest.raises(PoisonMessage, match="post_id must be"):
        decode(RawPost, json.dumps(raw_post_fields(post_id="x:1")).encode())


def test_hashtags_are_normalized_without_hash_and_case() -> None:
    post = RawPost.model_validate(raw_post_fields(hashtags=["#BrewNorth", "brewnorth", "#Tea"]))
    assert post.hashtags == ["brewnorth", "tea"]


def test_a_newer_schema_version_is_poison_not_a_guess() -> None:
    data = json.dumps(raw_post_fields(schema_version=SCHEMA_VERSION + 1)).encode()
    with pytest.raises(PoisonMessage, match="unsupported schema_version"):
        decode(RawPost, data)


def test_unknown_fields_from_a_newer_compatible_producer_are_ignored() -> None:
    post = decode(RawPost, json.dumps(raw_post_fields(mood="sunny")).encode())
    assert post.text == "Fresh beans today"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "empty message"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"platform": "myspace"}', "invalid RawPost"),
    ],
)
def test_undecodable_messages_raise_poison_with_a_reason(data: bytes | None, reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode(RawPost, data)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(PoisonMessage, match="created_at"):
        decode(RawPost, json.dumps(raw_post_fields(created_at="2026-11-20T12:00:00")).encode())


def test_scored_post_round_trips_through_the_wire_format() -> None:
    scored = ScoredPost.model_validate(
        {
            **raw_post_fields(),
            "sentiment": {
                "label": "positive",
                "scores": {"negative": 0.1, "neutral": 0.2, "positive": 0.7},
            },
            "safety": {"scores": {"offensive": 0.1, "hate": 0.0}, "risk": "none"},
            "model": {"name": "m", "version": "1"},
            "scored_at": WHEN.isoformat(),
        }
    )
    assert decode(ScoredPost, encode(scored)) == scored
    # A scored post is also a valid raw post: consumers of either topic read it.
    assert decode(RawPost, encode(scored)).post_id == scored.post_id


def test_dead_letter_keeps_the_exact_original_bytes() -> None:
    original = b"\x00not json\xff"
    letter = DeadLetter.for_message(reason="bad", stage="test", original=original, key=b"k")
    assert decode(DeadLetter, encode(letter)).original == original


@pytest.mark.broker
def test_a_post_produced_by_ingest_decodes_on_the_consumer_side(
    kafka_settings: KafkaSettings,
) -> None:
    create_topics(kafka_settings, [RAW_TOPIC])
    post = RawPost.model_validate(raw_post_fields(native_id="contract-check-1"))
    with PostProducer(kafka_settings) as producer:
        producer.send(post)
        producer.flush()
    consumer = KafkaConsumer(
        RAW_TOPIC,
        bootstrap_servers=kafka_settings.bootstrap_list,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        group_id=None,
    )
    try:
        found = [r for r in consumer if r.key == post.post_id.encode()]
    finally:
        consumer.close()
    assert found, "the produced post was not read back"
    assert decode(RawPost, found[0].value) == post
