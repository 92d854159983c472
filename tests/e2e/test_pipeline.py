"""The whole pipeline on real components: broker, classify worker, sink, API, database.

Replays demo posts plus one malformed message through ``ugc.posts.raw`` and follows them to the
moderation queue, the public feed and the dead-letter topic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, KafkaProducer

from contract import DLQ_TOPIC, RAW_TOPIC, DeadLetter, RawPost, decode
from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.migrate import upgrade
from ingest.demo import demo_posts_path
from ingest.producer import PostProducer
from ingest.sources.replay import iter_posts
from tests.conftest import wait_until
from ugc.broker import EmbeddedBroker, free_port
from ugc.console import Console
from ugc.processes import Child

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

API_KEY = "e2e-moderator-key"
MALFORMED = b'{"platform": "mastodon", "native_id": 42, "text": '
POST_COUNT = 220


@pytest.fixture
def pipeline(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str]]:
    """A fresh broker and database with the API, sink and classify worker running on them."""
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        create_topics(
            KafkaSettings(kafka_bootstrap_servers=broker.bootstrap_servers, topic_partitions=2)
        )
        upgrade(database_url)
        port = free_port()
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "UGC_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "UGC_TOPIC_PARTITIONS": "2",
            "UGC_DATABASE_URL": database_url,
            "UGC_MODERATOR_API_KEY": API_KEY,
            "UGC_SINK_SESSION_TIMEOUT_MS": "6000",
            "UGC_SINK_HEARTBEAT_INTERVAL_MS": "1000",
            "UGC_SESSION_TIMEOUT_S": "6",
            "UGC_HEARTBEAT_INTERVAL_S": "1",
        }
        log_file = (tmp_path / "children.log").open("w", encoding="utf-8")
        console = Console(log_file)
        children = [
            Child(
                "api", ["api", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, console
            ),
            Child("sink", ["sink"], env, tmp_path, console),
            Child("classify", ["classify", "worker"], env, tmp_path, console),
        ]
        for child in children:
            child.start()
        api = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _healthy(api), timeout=60, message="the API to answer /healthz")
            yield broker.bootstrap_servers, f"http://127.0.0.1:{port}"
        finally:
            for child in reversed(children):
                child.stop()
            log_file.close()
            for child in children:
                if child.exited() not in (0, None):
                    print((tmp_path / "children.log").read_text()[-20000:])
                    break


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _queue_ids(api: str) -> set[str]:
    ids: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"status": "all", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = httpx.get(
            f"{api}/v1/queue", params=params, headers={"X-API-Key": API_KEY}, timeout=10
        )
        if page.status_code != 200:
            return ids
        body = page.json()
        ids.update(item["post_id"] for item in body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return ids


def _dead_letters(bootstrap: str) -> list[DeadLetter]:
    consumer = KafkaConsumer(
        DLQ_TOPIC,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        group_id=None,
    )
    try:
        return [decode(DeadLetter, record.value) for record in consumer]
    finally:
        consumer.close()


def test_replayed_posts_are_scored_queued_and_only_approved_ones_reach_the_feed(
    pipeline: tuple[str, str],
) -> None:
    bootstrap, api = pipeline
    posts: list[RawPost] = list(iter_posts(demo_posts_path()))[:POST_COUNT]
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    with PostProducer(settings) as producer:
        for post in posts:
            producer.send(post)
        producer.flush()
    raw = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    raw.send(RAW_TOPIC, key=b"garbage-1", value=MALFORMED).get(timeout=30)
    raw.close()

    expected = {post.post_id for post in posts}
    wait_until(
        lambda: expected <= _queue_ids(api),
        timeout=240,
        message=f"all {len(expected)} posts scored in the queue",
    )

    headers = {"X-API-Key": API_KEY}
    chosen, other = posts[0], next(p for p in posts[1:] if p.hashtags[0] == posts[0].hashtags[0])
    item = httpx.get(f"{api}/v1/posts/{chosen.post_id}", headers=headers).json()
    assert item["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert item["safety"]["risk"] in {"floor", "high", "medium", "low", "none"}
    assert item["status"] == "pending"

    tag = chosen.hashtags[0]
    assert httpx.put(
        f"{api}/v1/feeds/demo", headers=headers, json={"title": "Demo", "hashtags": [tag]}
    ).status_code in (200, 201)
    assert httpx.get(f"{api}/v1/feeds/demo/posts").json()["items"] == []
    assert httpx.post(f"{api}/v1/posts/{chosen.post_id}/approve", headers=headers).is_success
    assert httpx.post(f"{api}/v1/posts/{other.post_id}/reject", headers=headers).is_success
    # Approved is not enough for a feed that requires rights: the creator's consent is.
    assert httpx.get(f"{api}/v1/feeds/demo/posts").json()["items"] == []
    brand = {"name": "Demo", "hashtags": [tag], "approval_hashtag": "#YesDemo"}
    assert httpx.put(f"{api}/v1/brands/e2e", headers=headers, json=brand).is_success
    terms = httpx.post(f"{api}/v1/brands/e2e/terms", headers=headers, json={"text": "Terms"})
    assert terms.is_success
    grant = {"decision": "granted", "method": "manual", "note": "yes by e-mail", "brand": "e2e"}
    for post in (chosen, other):
        response = httpx.post(f"{api}/v1/posts/{post.post_id}/rights", headers=headers, json=grant)
        assert response.is_success, response.text

    feed = httpx.get(f"{api}/v1/feeds/demo/posts").json()
    assert [entry["post_id"] for entry in feed["items"]] == [chosen.post_id]

    letters = wait_until(
        lambda: [d for d in _dead_letters(bootstrap) if d.original == MALFORMED],
        timeout=60,
        message="the malformed message in the dead-letter topic",
    )
    assert letters[0].stage == "classify"
    assert "JSON" in letters[0].reason
    assert letters[0].source_topic == RAW_TOPIC
    assert json.loads(letters[0].model_dump_json())["original_b64"]
