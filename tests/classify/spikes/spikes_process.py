"""The spike stream as a real process on a real broker, for the stream tests: start it, feed it
scored posts, read what it wrote, stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from classify.spikes.tables import STATE_TABLE
from classify.spikes.worker import APP_ID
from contract import Alert, ScoredPost, Sentiment, decode, encode
from tests.classify.spikes.stream_factories import SyntheticPost
from tests.conftest import wait_until
from tests.curation_api.curation_factories import scored_post

STATE_CHANGELOG = f"{APP_ID}-{STATE_TABLE}-changelog"


class SpikesProcess:
    """``python -m classify.spikes.worker`` with test settings, stopped by SIGTERM."""

    def __init__(self, bootstrap: str, database_url: str, log_path: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "UGC_DATABASE_URL": database_url,
            "UGC_TOPIC_PARTITIONS": "1",
            "UGC_SPIKES_WARMUP_S": "3600",
            "UGC_SPIKES_SESSION_TIMEOUT_S": "6",
            "UGC_SPIKES_HEARTBEAT_INTERVAL_S": "1",
            "UGC_SPIKES_SETTINGS_REFRESH_S": "0.5",
            "UGC_SPIKES_TICK_S": "0.5",
            "UGC_SPIKES_QUIET_AFTER_S": "3600",
            **env,
        }
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SpikesProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "classify.spikes.worker"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def assert_running(self) -> None:
        assert self.process is not None
        assert self.process.poll() is None, self.output()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    count = 0
    for key, value in records:
        producer.send(topic, key=key, value=value)
        count += 1
    producer.flush()
    producer.close()
    return count


def scored(posts: Iterable[SyntheticPost], *, hashtag: str) -> list[tuple[bytes, bytes]]:
    """The synthetic posts as scored posts on the wire."""
    records = []
    for post in posts:
        message: ScoredPost = scored_post(
            hashtags=[hashtag],
            text=post.text,
            created_at=datetime.fromtimestamp(post.at, UTC),
            sentiment=Sentiment.NEGATIVE if post.negative else Sentiment.POSITIVE,
            likes=post.engagement,
            followers=post.followers,
        )
        records.append((message.post_id.encode(), encode(message)))
    return records


class TopicReader:
    """Everything written to one topic from now on (the tests share nothing older). A topic
    that does not exist yet (a changelog the stream creates) is read from its beginning once
    it appears."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        self.assigned = False
        self.records: list[tuple[bytes | None, bytes]] = []
        self._assign(at_end=True)

    def _assign(self, *, at_end: bool) -> None:
        found = self.consumer.partitions_for_topic(self.topic)
        if not found:
            return
        partitions = [TopicPartition(self.topic, p) for p in sorted(found)]
        self.consumer.assign(partitions)
        if at_end:
            self.consumer.seek_to_end(*partitions)
        else:
            self.consumer.seek_to_beginning(*partitions)
        for partition in partitions:
            self.consumer.position(partition)  # resolve the position now, not at the first poll
        self.assigned = True

    def read(self) -> list[tuple[bytes | None, bytes]]:
        if not self.assigned:
            self.consumer.topics()  # refresh the metadata
            self._assign(at_end=False)
            if not self.assigned:
                return self.records
        for batch in self.consumer.poll(timeout_ms=200).values():
            self.records += [(record.key, record.value) for record in batch]
        return self.records

    def close(self) -> None:
        self.consumer.close()


def alerts_of(reader: TopicReader, hashtag: str) -> list[Alert]:
    return [decode(Alert, value) for key, value in reader.read() if key == hashtag.encode()]


def wait_processed(reader: TopicReader, hashtag: str, count: int, spikes: SpikesProcess) -> None:
    """Until the stream's state of ``hashtag`` says that ``count`` posts were applied."""
    applied = 0

    def done() -> bool:
        nonlocal applied
        spikes.assert_running()
        for key, value in reader.read():
            if key == hashtag.encode() and value:
                applied = max(applied, int(json.loads(value)["buckets"].get("posts", 0)))
        return applied >= count

    wait_until(done, timeout=90, message=f"{count} posts of #{hashtag} processed")
