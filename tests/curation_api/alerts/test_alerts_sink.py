"""The alerts sink on a real broker: ``ugc.alerts`` into incidents, poison to the DLQ."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import ALERTS_TOPIC, DLQ_TOPIC, AlertKind, DeadLetter, decode, encode
from contract.settings import KafkaSettings
from contract.topics import create_topics
from curation_api.alerts.settings import AlertsSinkSettings
from curation_api.alerts.sink import run_alerts_sink
from database.engine import create_db_engine
from database.migrate import upgrade
from database.models import Incident, IncidentStatus
from tests.conftest import wait_until
from tests.curation_api.alerts.alert_factories import alert

pytestmark = pytest.mark.broker


def test_the_sink_applies_alerts_in_order_and_dead_letters_poison(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    create_topics(kafka_settings)
    bootstrap = kafka_settings.kafka_bootstrap_servers
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    upgrade(url)
    dlq = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    partitions = [TopicPartition(DLQ_TOPIC, p) for p in dlq.partitions_for_topic(DLQ_TOPIC)]
    dlq.assign(partitions)
    dlq.seek_to_end(*partitions)
    for partition in partitions:
        dlq.position(partition)
    hashtag = f"tag{uuid.uuid4().hex[:8]}"
    messages = [
        alert(hashtag=hashtag, sequence=1),
        alert(hashtag=hashtag, kind=AlertKind.UPDATED, sequence=2, negative_count=35),
        alert(hashtag=hashtag, kind=AlertKind.UPDATED, sequence=2, negative_count=35),
        alert(hashtag=hashtag, kind=AlertKind.RESOLVED, sequence=3, negative_count=40),
    ]
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for message in messages:
        producer.send(ALERTS_TOPIC, key=hashtag.encode(), value=encode(message))
    producer.send(ALERTS_TOPIC, key=hashtag.encode(), value=b'{"kind": "fired"}')
    producer.flush()
    producer.close()
    settings = AlertsSinkSettings(
        kafka_bootstrap_servers=bootstrap,
        database_url=url,
        alerts_group_id=f"test-alerts-{uuid.uuid4().hex[:8]}",
        alerts_poll_timeout_ms=100,
        alerts_session_timeout_ms=6000,
        alerts_heartbeat_interval_ms=1000,
    )
    stop = threading.Event()
    worker = threading.Thread(target=run_alerts_sink, args=(settings, stop), daemon=True)
    worker.start()
    engine = create_db_engine(url)

    def resolved() -> Incident | None:
        with Session(engine) as session:
            row = session.scalars(select(Incident).where(Incident.hashtag == hashtag)).first()
            return row if row is not None and row.last_sequence == 3 else None

    def letters() -> list[DeadLetter]:
        records = [r for batch in dlq.poll(timeout_ms=200).values() for r in batch]
        found.extend(decode(DeadLetter, r.value) for r in records if r.key == hashtag.encode())
        return found

    found: list[DeadLetter] = []
    try:
        row = wait_until(resolved, timeout=60, message="the incident resolved")
        dead = wait_until(letters, timeout=60, message="the dead letter")
    finally:
        stop.set()
        worker.join(timeout=30)
        engine.dispose()
        dlq.close()

    assert (row.status, row.negative_count) == (IncidentStatus.RESOLVED, 40)
    assert [letter.stage for letter in dead] == ["alerts"]
    assert "invalid Alert" in dead[0].reason
