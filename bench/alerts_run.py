"""The pipeline ``bench/alerts.py`` drives: the embedded broker, a migrated database with one
signed webhook endpoint, the spike stream, the alerts sink, the delivery worker and the
baseline consumer as processes; producing synthetic scored posts (at once or paced); waiting
for the consumers to catch up; and the processes' CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from bench.alerts_consume import APP_ID as BASELINE_GROUP
from classify.spikes.synthetic import SyntheticStream
from classify.spikes.worker import APP_ID as SPIKES_GROUP
from classify.spikes.worker import REPARTITION_TOPIC
from contract import (
    SCORED_TOPIC,
    Author,
    Engagement,
    ModelInfo,
    Platform,
    RiskLevel,
    SafetyScores,
    ScoredPost,
    Sentiment,
    SentimentScores,
    encode,
    utcnow,
)
from contract.settings import KafkaSettings
from contract.topics import create_topics
from curation_api.webhooks.receiver import WebhookReceiver
from curation_api.webhooks.schemas import WebhookEndpointCreate
from curation_api.webhooks.service import create_endpoint
from curation_api.webhooks.settings import WebhookSettings
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from ugc.broker import EmbeddedBroker

ROOT = Path(__file__).resolve().parents[1]
NEGATIVE_TEXT = "the zipper broke on day two and support ghosted me, never again"
OTHER_TEXT = "out on the trail with the new pack this weekend"


def scored_posts(
    streams: dict[str, SyntheticStream], day_start: datetime
) -> tuple[list[ScoredPost], list[ScoredPost]]:
    """Every synthetic post as a scored post, in time order: before ``day_start`` (warm-up),
    and from it on (the measured day)."""
    posts = []
    for tag, stream in streams.items():
        for index, synthetic in enumerate(stream.posts):
            created = datetime.fromtimestamp(synthetic.at, UTC)
            label = Sentiment.NEGATIVE if synthetic.negative else Sentiment.POSITIVE
            native_id = f"{tag}-{index}"
            posts.append(
                ScoredPost(
                    platform=Platform.MASTODON,
                    native_id=native_id,
                    post_id=f"mastodon:{native_id}",
                    hashtags=[tag],
                    text=f"{NEGATIVE_TEXT if synthetic.negative else OTHER_TEXT} #{tag}",
                    author=Author(
                        id=f"a{index}",
                        handle=f"a{index}@example.social",
                        followers=synthetic.followers,
                    ),
                    permalink=f"https://example.social/@a/{native_id}",
                    created_at=created,
                    collected_at=created + timedelta(seconds=2),
                    engagement=Engagement(likes=synthetic.engagement),
                    sentiment=SentimentScores(
                        label=label, scores={s: 0.8 if s is label else 0.1 for s in Sentiment}
                    ),
                    safety=SafetyScores(scores={}, risk=RiskLevel.NONE),
                    model=ModelInfo(name="bench", version="1"),
                    scored_at=created + timedelta(seconds=3),
                )
            )
    posts.sort(key=lambda post: post.created_at)
    cut = next((i for i, p in enumerate(posts) if p.created_at >= day_start), len(posts))
    return posts[:cut], posts[cut:]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def committed_offsets(
    admin: KafkaAdminClient, group: str, parts: list[TopicPartition]
) -> dict[TopicPartition, Any]:
    """The group's committed offsets (kafka-python 3 renamed the call)."""
    if hasattr(admin, "list_group_offsets"):
        found: dict[TopicPartition, Any] = admin.list_group_offsets({group: parts}).get(group, {})
        return found
    older: dict[TopicPartition, Any] = admin.list_consumer_group_offsets(group, partitions=parts)
    return older


class Pipeline:
    def __init__(
        self, tmp: Path, partitions: int, database_url: str | None, receiver: WebhookReceiver
    ) -> None:
        self.tmp = tmp
        self.partitions = partitions
        self.database_url = database_url or f"sqlite:///{tmp / 'ugc.db'}"
        self.receiver = receiver
        self.broker = EmbeddedBroker(log_path=tmp / "tansu.log")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Pipeline:
        bootstrap = self.broker.start()
        self.bootstrap = bootstrap
        create_topics(
            KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=self.partitions)
        )
        upgrade(self.database_url)
        self._register_receiver()
        env = {
            **os.environ,
            "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "UGC_TOPIC_PARTITIONS": str(self.partitions),
            "UGC_DATABASE_URL": self.database_url,
            "UGC_WEBHOOKS_ALLOW_PRIVATE": "true",
            "UGC_SPIKES_SESSION_TIMEOUT_S": "6",
            "UGC_SPIKES_HEARTBEAT_INTERVAL_S": "1",
            "UGC_ALERTS_SESSION_TIMEOUT_MS": "6000",
            "UGC_ALERTS_HEARTBEAT_INTERVAL_MS": "1000",
        }
        ugc = [sys.executable, "-m", "ugc.cli"]
        commands = {
            "spikes": [*ugc, "alerts", "worker"],
            "baseline": [sys.executable, str(ROOT / "bench" / "alerts_consume.py")],
            "alerts-sink": [*ugc, "alerts", "sink"],
            "webhooks": [*ugc, "webhooks", "deliver"],
        }
        for name, command in commands.items():
            log = (self.tmp / f"{name}.log").open("ab")
            self.processes[name] = subprocess.Popen(
                command, env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT
            )
            log.close()
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.producer.close()
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.broker.stop()
        if exc is not None:
            for name in self.processes:
                print(f"--- {name}.log (last lines)", file=sys.stderr)
                lines = (self.tmp / f"{name}.log").read_text(errors="replace").splitlines()
                print("\n".join(lines[-20:]), file=sys.stderr)

    def _register_receiver(self) -> None:
        settings = WebhookSettings(database_url=self.database_url, webhooks_allow_private=True)
        sessions = create_session_factory(create_db_engine(self.database_url))
        body = WebhookEndpointCreate.model_validate(
            {"url": self.receiver.url, "events": ["alert.fired"], "format": "standard"}
        )
        with sessions() as session:
            created = create_endpoint(session, body, settings, now=utcnow())
            session.commit()
        self.receiver.secret = created.secret

    def produce(self, posts: list[ScoredPost]) -> None:
        for post in posts:
            self.producer.send(SCORED_TOPIC, key=post.post_id.encode(), value=encode(post))
        self.producer.flush()

    def produce_paced(
        self, posts: list[ScoredPost], stream_start: float, wall_start: float, speed: float
    ) -> None:
        """Each post when the compressed clock reaches its ``created_at``."""
        for post in posts:
            due = wall_start + (post.created_at.timestamp() - stream_start) / speed
            wait = due - time.time()
            if wait > 0:
                self.producer.flush()
                time.sleep(wait)  # pacing a producer, not waiting for a result
            self.producer.send(SCORED_TOPIC, key=post.post_id.encode(), value=encode(post))
            self._check_alive()
        self.producer.flush()

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")

    def wait_caught_up(self, produced: int, timeout: float = 900.0) -> None:
        """Until both consumer groups committed every produced post (and the spike stream its
        repartitioned records too)."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._check_alive()
                if all(
                    self._lag(admin, consumer, group, topic) == 0
                    for group, topic in (
                        (BASELINE_GROUP, SCORED_TOPIC),
                        (SPIKES_GROUP, SCORED_TOPIC),
                        (SPIKES_GROUP, REPARTITION_TOPIC),
                    )
                ):
                    return
                time.sleep(0.5)
            raise RuntimeError(f"the consumers did not catch up with {produced} posts")
        finally:
            admin.close()
            consumer.close()

    @staticmethod
    def _lag(admin: KafkaAdminClient, consumer: KafkaConsumer, group: str, topic: str) -> int:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            return 1
        parts = [TopicPartition(topic, p) for p in partitions]
        ends = consumer.end_offsets(parts)
        committed = committed_offsets(admin, group, parts)
        # Tansu may report a committed offset past its end offset: that partition is done.
        return sum(
            max(0, ends[tp] - (committed[tp].offset if tp in committed else 0)) for tp in parts
        )

    def wait_deliveries(self, timeout: float) -> None:
        """Until a few seconds pass with no new webhook (or the timeout)."""
        deadline = time.monotonic() + timeout
        seen, quiet_since = len(self.receiver.received), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 5.0:
            time.sleep(0.5)
            if len(self.receiver.received) != seen:
                seen, quiet_since = len(self.receiver.received), time.monotonic()

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(self.processes[name].pid) for name in ("spikes", "baseline")}

    def settle(self, timeout: float = 120.0) -> None:
        """Until the measured processes have started (imports, group joins): two quiet
        seconds in a row."""
        deadline, quiet = time.monotonic() + timeout, 0
        last = self.cpu()
        while time.monotonic() < deadline and quiet < 2:
            time.sleep(1.0)
            now = self.cpu()
            quiet = quiet + 1 if all(now[n] - last[n] < 0.05 for n in now) else 0
            last = now

    def idle_cpu(self, seconds: float) -> dict[str, float]:
        """CPU seconds per wall second each process spends with nothing to consume."""
        before, started = self.cpu(), time.monotonic()
        time.sleep(seconds)
        after, elapsed = self.cpu(), time.monotonic() - started
        return {name: (after[name] - before[name]) / elapsed for name in before}
