"""The classify worker process against a real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from contract import DLQ_TOPIC, RAW_TOPIC, SCORED_TOPIC
from contract.settings import KafkaSettings
from contract.topics import create_topics
from ugc.broker import EmbeddedBroker

pytestmark = pytest.mark.broker


def _count(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        group_id=None,
    )
    try:
        return sum(1 for _ in consumer)
    finally:
        consumer.close()


def test_a_flood_of_poison_stops_the_worker_instead_of_draining_the_topic(
    tmp_path: Path,
) -> None:
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker:
        bootstrap = broker.bootstrap_servers
        create_topics(KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=1))
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for i in range(40):
            producer.send(RAW_TOPIC, key=f"bad-{i}".encode(), value=b"<html>oops</html>")
        producer.flush()
        producer.close()
        env = {
            **os.environ,
            "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "UGC_SESSION_TIMEOUT_S": "6",
            "UGC_HEARTBEAT_INTERVAL_S": "1",
            "UGC_DLQ_WINDOW": "10",
            "UGC_DLQ_MAX_RATIO": "0.5",
            "UGC_BATCH_SIZE": "10",
        }
        result = subprocess.run(
            [sys.executable, "-m", "ugc.cli", "classify", "worker"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0, output[-3000:]
        assert "stopping instead of draining" in output
        # The batch that tipped the ratio was neither dead-lettered nor committed.
        assert _count(bootstrap, DLQ_TOPIC) < 40
        assert _count(bootstrap, SCORED_TOPIC) == 0
