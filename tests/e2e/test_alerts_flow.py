"""Spike alerts end to end on real components: ``ugc alerts worker`` (the faust spike stream),
``ugc alerts sink``, ``ugc sink``, ``ugc webhooks deliver`` and the API as processes, a fresh
embedded broker, PostgreSQL, and a local webhook receiver.

Scored posts for a hashtag give the detector a baseline (hours of stream time in a moment);
then a pile-on of negative posts. The detector fires once; the sink stores the incident; the
delivery worker signs it and posts it to the receiver, which refuses the first two attempts:
the third arrives with the same ``webhook-id`` and a signature the receiver verifies. The
incident, and the queue filtered to it, are then read through the API.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaProducer

from contract import SCORED_TOPIC, Sentiment, encode
from contract.settings import KafkaSettings
from contract.topics import create_topics
from curation_api.webhooks.receiver import Received, WebhookReceiver
from curation_api.webhooks.schemas import WebhookEndpointCreate
from curation_api.webhooks.service import create_endpoint
from curation_api.webhooks.settings import WebhookSettings
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from tests.conftest import wait_until
from tests.curation_api.curation_factories import scored_post
from ugc.broker import EmbeddedBroker, free_port
from ugc.console import Console
from ugc.processes import Child

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

API_KEY = "e2e-alerts-key"
#: A Monday at 00:00 UTC, on a bucket boundary: stream time, far from the wall clock.
T0 = datetime(2026, 3, 2, tzinfo=UTC)
BUCKET = timedelta(minutes=5)


@dataclass
class Rig:
    api: httpx.Client
    receiver: WebhookReceiver
    producer: KafkaProducer
    tag: str


@pytest.fixture
def rig(tmp_path: Path, database_url: str) -> Iterator[Rig]:
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        bootstrap = broker.bootstrap_servers
        create_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=1))
        upgrade(database_url)
        receiver = WebhookReceiver(fail=2)
        receiver.start()
        receiver.secret = _register(database_url, receiver.url)
        port = free_port()
        env = {
            "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "UGC_TOPIC_PARTITIONS": "1",
            "UGC_DATABASE_URL": database_url,
            "UGC_MODERATOR_API_KEY": API_KEY,
            "UGC_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "UGC_WEBHOOKS_ALLOW_PRIVATE": "true",
            "UGC_WEBHOOKS_POLL_INTERVAL_S": "0.2",
            "UGC_WEBHOOKS_BACKOFF_BASE_S": "0.5",
            # An hour of history is enough here; production waits a day.
            "UGC_SPIKES_WARMUP_S": "3600",
            "UGC_SPIKES_SESSION_TIMEOUT_S": "6",
            "UGC_SPIKES_HEARTBEAT_INTERVAL_S": "1",
            "UGC_ALERTS_SESSION_TIMEOUT_MS": "6000",
            "UGC_ALERTS_HEARTBEAT_INTERVAL_MS": "1000",
            "UGC_SINK_SESSION_TIMEOUT_MS": "6000",
            "UGC_SINK_HEARTBEAT_INTERVAL_MS": "1000",
        }
        log_file = (tmp_path / "children.log").open("w", encoding="utf-8")
        console = Console(log_file)
        children = [
            Child(name, args, {**os.environ, "PYTHONUNBUFFERED": "1", **env}, tmp_path, console)
            for name, args in (
                ("api", ["api", "--host", "127.0.0.1", "--port", str(port)]),
                ("alerts", ["alerts", "worker"]),
                ("alerts-sink", ["alerts", "sink"]),
                ("sink", ["sink"]),
                ("webhooks", ["webhooks", "deliver"]),
            )
        ]
        for child in children:
            child.start()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": API_KEY}, timeout=10
        )
        try:
            wait_until(lambda: _healthy(api), timeout=60, message="the API")
            yield Rig(api, receiver, producer, f"peak{uuid.uuid4().hex[:8]}")
        finally:
            api.close()
            producer.close()
            for child in reversed(children):
                child.stop()
            receiver.stop()
            log_file.close()
            # Each worker drains and exits 0 on SIGTERM (the API is uvicorn's to stop).
            for child in children[1:]:
                assert child.exited() == 0, f"{child.name} exited with {child.exited()}"


def test_a_pile_on_fires_one_signed_alert_retried_until_the_receiver_takes_it(rig: Rig) -> None:
    # Three hours of calm: three posts a bucket, one negative every other bucket.
    negative_ids = []
    for index in range(36):
        start = T0 + index * BUCKET
        for slot in range(3):
            negative = slot == 0 and index % 2 == 0
            post_id = _send(rig, start + timedelta(seconds=10 + 90 * slot), negative=negative)
            if negative:
                negative_ids.append(post_id)
    rig.producer.flush()
    # Then 40 negative posts in 10 minutes.
    burst_start = T0 + 36 * BUCKET
    sent = time.monotonic()
    burst_ids = [
        _send(rig, burst_start + timedelta(seconds=15 * i), negative=True, engagement=10 + i)
        for i in range(40)
    ]
    rig.producer.flush()

    fired = wait_until(
        lambda: _fired(rig.receiver.received), timeout=120, message="a delivered alert.fired"
    )
    print(f"\nburst produced → signed alert.fired received: {time.monotonic() - sent:.2f} s")

    attempts = [r for r in rig.receiver.received if r.json().get("type") == "alert.fired"]
    assert [a.status for a in attempts] == [503, 503, 204]
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    assert fired.signature == "ok"
    incident = fired.json()["data"]
    assert incident["hashtag"] == rig.tag
    assert incident["status"] == "firing"
    assert incident["negative_count"] >= 10
    assert incident["top_posts"]
    assert incident["top_posts"][0]["post_id"] in burst_ids

    stored = rig.api.get(f"/v1/alerts/{incident['id']}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["hashtag"] == rig.tag
    queue = wait_until(
        lambda: _queue(rig.api, incident["id"], len(incident["top_posts"])),
        timeout=30,
        message="the incident's posts in the queue",
    )
    # The incident's posts: the negative ones of its window (the burst, and the calm's last).
    incident_posts = {post["post_id"] for post in queue}
    assert incident_posts <= set(burst_ids) | set(negative_ids)
    assert len(incident_posts & set(burst_ids)) >= 10
    # One burst, one incident: no second alert.fired for it.
    fired_ids = {
        r.json()["data"]["id"] for r in rig.receiver.received if r.json()["type"] == "alert.fired"
    }
    assert fired_ids == {incident["id"]}


def _send(rig: Rig, at: datetime, *, negative: bool, engagement: int = 2) -> str:
    post = scored_post(
        hashtags=[rig.tag],
        created_at=at,
        sentiment=Sentiment.NEGATIVE if negative else Sentiment.POSITIVE,
        text="the sole split after a week, recall it" if negative else "lovely trail today",
        likes=engagement,
    )
    rig.producer.send(SCORED_TOPIC, key=post.post_id.encode(), value=encode(post))
    return post.post_id


def _fired(received: list[Received]) -> Received | None:
    return next(
        (r for r in received if r.status == 204 and r.json().get("type") == "alert.fired"), None
    )


def _queue(api: httpx.Client, incident_id: str, at_least: int) -> list[dict[str, Any]] | None:
    response = api.get("/v1/queue", params={"status": "all", "incident": incident_id})
    items: list[dict[str, Any]] = response.json().get("items", [])
    return items if response.status_code == 200 and len(items) >= at_least else None


def _register(database_url: str, url: str) -> str | None:
    settings = WebhookSettings(database_url=database_url, webhooks_allow_private=True)
    body = WebhookEndpointCreate.model_validate(
        {"url": url, "events": ["alert.fired"], "format": "standard"}
    )
    sessions = create_session_factory(create_db_engine(database_url))
    with sessions() as session:
        created = create_endpoint(session, body, settings, now=datetime.now(UTC))
        session.commit()
    return created.secret


def _healthy(api: httpx.Client) -> bool:
    try:
        return api.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False
