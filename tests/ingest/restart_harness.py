"""Kill a polling job at random points, restart it, and check the raw topic lost nothing.

A "kill" is a :class:`SimulatedCrash` raised at a seeded random instrumented step: a fetch, a
send of one post, the flush, or the checkpoint save. The crashed runner and its producer are
dropped without a flush (buffered messages may or may not have reached the broker, as in a real
kill -9); a new runner with a new producer and the same checkpoint directory carries on. Between
rounds the fake network publishes new posts. At the end every published post must be in the
real broker's raw topic at least once, so that after dedupe by ``post_id`` it is there exactly
once, and nothing else may be there.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from contract import RAW_TOPIC, DeadLetter, RawPost, decode
from contract.settings import KafkaSettings
from contract.topics import create_topics
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import Budget, FetchResult, JobSpec, PollingConnector
from ingest.connectors.runner import PollingRunner
from ingest.producer import PostProducer


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an ``Exception``, so nothing in the runner catches it."""


class _CrashPoints:
    """Counts instrumented steps and raises :class:`SimulatedCrash` at the chosen one."""

    def __init__(self) -> None:
        self.count = 0
        self.crash_at: int | None = None
        self.crashes: list[str] = []

    def step(self, name: str) -> None:
        self.count += 1
        if self.crash_at is not None and self.count == self.crash_at:
            self.crash_at = None
            self.crashes.append(name)
            raise SimulatedCrash(name)


class _CrashingConnector:
    def __init__(self, inner: PollingConnector, points: _CrashPoints) -> None:
        self.inner = inner
        self.network = inner.network
        self._points = points

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        self._points.step("before fetch")
        result = self.inner.fetch(tag, position)
        self._points.step("after fetch")
        return result

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return self.inner.normalize(item, tag, collected_at)

    def item_key(self, item: Any) -> str | None:
        return self.inner.item_key(item)

    def budget(self) -> Budget | None:
        return self.inner.budget()

    def close(self) -> None:
        self.inner.close()


class _CrashingSink:
    def __init__(self, inner: PostProducer, points: _CrashPoints) -> None:
        self.inner = inner
        self._points = points

    def send(self, post: RawPost) -> None:
        self._points.step("send")
        self.inner.send(post)

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        self.inner.send_dead_letter(dead_letter)

    def flush(self, timeout: float | None = None) -> None:
        self._points.step("before flush")
        self.inner.flush(timeout)
        self._points.step("after flush")


class _CrashingPositions:
    def __init__(self, inner: CheckpointStore, points: _CrashPoints) -> None:
        self.inner = inner
        self._points = points

    def load(self, key: Sequence[str]) -> str | None:
        return self.inner.load(key)

    def save(self, key: Sequence[str], position: str) -> None:
        self._points.step("before save")
        self.inner.save(key, position)


@dataclass(frozen=True)
class RestartReport:
    """What happened: the crash points hit, and the post ids read back from the topic."""

    crashes: list[str]
    topic_post_ids: list[str]


def run_with_crashes(
    *,
    bootstrap: str,
    job: JobSpec,
    make_connector: Callable[[], PollingConnector],
    publish: Callable[[int], None],
    checkpoint_dir: Path,
    rounds: int = 8,
    seed: int = 7,
    max_step: int = 40,
) -> RestartReport:
    """Run ``rounds`` rounds; each publishes new posts (``publish(round)``), then polls once
    with a crash at a random step (1..``max_step``; a step past the end means no crash that
    round), restarting the runner after every crash. A final clean poll drains what is left.

    The job's ``job_id`` should be unique per test so that topics shared by a test session
    can be told apart: every post of the job must carry the job's hashtags, and only the posts
    of those hashtags are read back.
    """
    rng = random.Random(seed)
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap)
    create_topics(settings)
    points = _CrashPoints()
    store = CheckpointStore(checkpoint_dir)
    for round_number in range(rounds):
        publish(round_number)
        points.crash_at = points.count + rng.randint(1, max_step)
        _poll(job, make_connector, settings, store, points, crash=True)
    points.crash_at = None
    _poll(job, make_connector, settings, store, points, crash=False)
    return RestartReport(crashes=points.crashes, topic_post_ids=read_post_ids(bootstrap, job))


def check_restarts_lose_nothing(
    *,
    bootstrap: str,
    job: JobSpec,
    make_connector: Callable[[], PollingConnector],
    publish: Callable[[int], None],
    published: Collection[str],
    checkpoint_dir: Path,
    rounds: int = 8,
) -> RestartReport:
    """:func:`run_with_crashes`, then check that the run really was interrupted and that the
    topic holds every native id of ``published`` (filled in by ``publish``) and nothing else."""
    report = run_with_crashes(
        bootstrap=bootstrap,
        job=job,
        make_connector=make_connector,
        publish=publish,
        checkpoint_dir=checkpoint_dir,
        rounds=rounds,
    )
    assert report.crashes
    assert set(report.topic_post_ids) == {f"{job.network}:{i}" for i in published}
    return report


def _poll(
    job: JobSpec,
    make_connector: Callable[[], PollingConnector],
    settings: KafkaSettings,
    store: CheckpointStore,
    points: _CrashPoints,
    *,
    crash: bool,
) -> None:
    producer = PostProducer(settings, client_id=f"restart-{uuid.uuid4().hex[:6]}")
    connector = make_connector()
    runner = PollingRunner(
        job,
        _CrashingConnector(connector, points),
        _CrashingSink(producer, points),
        _CrashingPositions(store, points),
    )
    try:
        runner.poll_once()
    except SimulatedCrash:
        if not crash:
            raise
        # A killed process flushes nothing: whatever was buffered may or may not have arrived.
        _kill(producer)
        connector.close()
        return
    producer.close()
    connector.close()


def _kill(producer: PostProducer) -> None:
    """Drop a producer as kill -9 would: what is still buffered is never sent.

    kafka-python's ``close(timeout=0)`` flushes first and raises while anything is buffered,
    so its sender thread is stopped without sending (failing what was pending) before it closes.
    """
    kafka = producer._producer  # there is no public way to drop the buffer
    kafka._sender.force_close()
    kafka._sender.join(timeout=10)
    kafka.close(timeout=0)


def read_post_ids(bootstrap: str, job: JobSpec) -> list[str]:
    """Every ``post_id`` on the raw topic (duplicates kept) whose post carries a job hashtag."""
    consumer = KafkaConsumer(
        bootstrap_servers=[bootstrap],
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
        auto_offset_reset="earliest",
    )
    try:
        partitions = [
            TopicPartition(RAW_TOPIC, p) for p in sorted(consumer.partitions_for_topic(RAW_TOPIC))
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        wanted = set(job.hashtags)
        ids: list[str] = []
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    post = decode(RawPost, record.value)
                    if wanted & set(post.hashtags):
                        ids.append(post.post_id)
        return ids
    finally:
        consumer.close()
