"""The spike stream: a faust-streaming app from ``ugc.posts.scored`` to ``ugc.alerts``.

Two agents, both ``concurrency=1``. ``spikes_repartition`` decodes batches of scored posts
(poison goes to ``ugc.posts.dlq`` with its reason) and re-keys each post by each of its
hashtags onto :data:`REPARTITION_TOPIC`, so that a hashtag's state lives on one worker.
``spikes_detect`` applies them one by one to the hashtag's state (:mod:`.stream`) in three
changelog-backed tables: the open buckets and stream time (every post), the burst evidence
(negative posts) and the detector (each closed bucket). A restart recovers the tables from
their changelog topics, baselines included. Alerts are produced keyed by hashtag, and their
acks awaited before the offset may be committed: delivery is at-least-once, the sink
idempotent.

A hashtag nobody posts on would never close a bucket, so a timer sends a tick through the
same topic for each hashtag silent for ``spikes_quiet_after_s``; the tick advances its stream
time by the wall-clock time since its last post (:meth:`.HashtagStream.on_tick`). Ticks go
through the topic, not straight to the tables, because faust writes a table only from the
agent that owns the key's partition.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, cast

import click
import faust

from classify.spikes.evidence import EvidencePost
from classify.spikes.hashtag_settings import HashtagSettings, default_config
from classify.spikes.settings import SpikeSettings
from classify.spikes.stream import HashtagStream, StreamConfig
from classify.spikes.stream_state import PostSeen, Step
from classify.spikes.tables import SpikeTables
from contract import (
    ALERTS_TOPIC,
    DLQ_TOPIC,
    SCORED_TOPIC,
    PoisonMessage,
    ScoredPost,
    Sentiment,
    decode,
    encode,
    utcnow,
)
from contract.dead_letters import DeadLetterBudget, DeadLetterRatioExceeded, dead_letter_for
from contract.topics import create_topics
from database.engine import create_db_engine, create_session_factory

log = logging.getLogger(__name__)

APP_ID = "ugc-spikes"
STAGE = "spikes"
REPARTITION_TOPIC = f"{APP_ID}-posts-by-hashtag"
TICK = b'{"tick":true}'
MAX_HASHTAG_LENGTH = 255  # what the incidents and post tables hold


def broker_url(settings: SpikeSettings) -> str:
    return ";".join(f"kafka://{server}" for server in settings.bootstrap_list)


def seen_posts(post: ScoredPost) -> list[bytes]:
    """The repartitioned records of one scored post: one per hashtag, as JSON."""
    e = post.engagement
    engagement = sum(n or 0 for n in (e.likes, e.reposts, e.replies, e.quotes))
    fields = {
        "created_at": post.created_at.timestamp(),
        "negative": post.sentiment.label is Sentiment.NEGATIVE,
        "post": {
            "post_id": post.post_id,
            "text": post.text[:500],
            "permalink": post.permalink,
            "network": post.platform.value,
            "engagement": engagement,
            "followers": post.author.followers,
        },
    }
    return [json.dumps({**fields, "hashtag": tag}).encode() for tag in post.hashtags]


class SpikeAgents:
    """The steps of the two agents: repartition a batch, apply one record to its hashtag."""

    def __init__(self, app: faust.App, settings: SpikeSettings) -> None:
        self.settings = settings
        self.by_hashtag = app.topic(
            REPARTITION_TOPIC,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            internal=True,
        )
        self.alerts_topic = app.topic(ALERTS_TOPIC, key_type=bytes, value_type=bytes)
        self.dlq_topic = app.topic(DLQ_TOPIC, key_type=bytes, value_type=bytes)
        self.tables = SpikeTables(app, settings)
        self.stream_config = StreamConfig(
            bucket_s=settings.spikes_bucket_s,
            lateness_s=settings.spikes_lateness_s,
            evidence_buckets=settings.spikes_evidence_buckets,
            quiet_after_s=settings.spikes_quiet_after_s,
            quiet_rate=settings.spikes_quiet_rate,
        )
        engine = create_db_engine(settings.database_url)
        self.hashtag_settings = HashtagSettings(
            create_session_factory(engine),
            default_config(settings),
            refresh_s=settings.spikes_settings_refresh_s,
        )
        self.budget = DeadLetterBudget(
            settings.spikes_dlq_max_ratio, window=settings.spikes_dlq_window
        )
        # The settings are read in a thread so that the event loop keeps heartbeating.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-settings")

    async def repartition(self, events: Sequence[Any]) -> None:
        """Each scored post once per hashtag onto the repartition topic; poison to the DLQ.
        Returns once the broker acknowledged every output (then faust may commit)."""
        deliveries = []
        poisoned = 0
        for event in events:
            message = event.message
            try:
                post = decode(ScoredPost, message.value)
            except PoisonMessage as poison:
                poisoned += 1
                dead = dead_letter_for(
                    message.value,
                    message.key,
                    reason=poison.reason,
                    stage=STAGE,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                )
                log.warning("dead-lettered %s/%s: %s", message.partition, message.offset, poison)
                deliveries.append(
                    await self.dlq_topic.send(key=dead.key, value=dead.value, force=True)
                )
                continue
            for tag, value in zip(post.hashtags, seen_posts(post), strict=True):
                if len(tag) > MAX_HASHTAG_LENGTH:
                    continue  # no incident could be stored for it (nor its posts)
                deliveries.append(
                    await self.by_hashtag.send(key=tag.encode(), value=value, force=True)
                )
        self.budget.record(total=len(events), poisoned=poisoned)
        await asyncio.gather(*deliveries)

    async def detect(self, key: bytes, value: bytes | None) -> None:
        """Apply one repartitioned post (or tick) and send the alerts it made."""
        if self.hashtag_settings.due():
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.hashtag_settings.refresh)
        step = self.apply(key, value, utcnow())
        deliveries = [
            await self.alerts_topic.send(key=key, value=encode(alert), force=True)
            for alert in step.alerts
        ]
        for alert in step.alerts:
            log.info("alert %s %s #%d", alert.kind.value, alert.alert_id, alert.sequence)
        await asyncio.gather(*deliveries)

    def apply(self, key: bytes, value: bytes | None, now: datetime) -> Step:
        hashtag = key.decode()
        alerting = self.hashtag_settings.of(hashtag)
        rev, state, detector = self.tables.load(key, hashtag, alerting.config)
        stream = HashtagStream(
            self.stream_config, state, detector, snoozed=alerting.snoozed(now), now=now
        )
        fields = json.loads(value or b"{}")
        if fields.get("tick"):
            step = stream.on_tick(wall=time.time())
        else:
            # A post from the future (a skewed clock) counts as posted now: it must not close
            # every bucket up to its date.
            seen = PostSeen(
                hashtag=hashtag,
                created_at=min(float(fields["created_at"]), now.timestamp()),
                negative=bool(fields["negative"]),
                post=EvidencePost(**fields["post"]),
            )
            step = stream.on_post(seen, wall=time.time())
        self.tables.save(key, rev, state, detector, step)
        return step

    async def tick_quiet_hashtags(self) -> None:
        quiet = self.tables.quiet_keys(time.time(), self.settings.spikes_quiet_after_s)
        for key in quiet:
            await self.by_hashtag.send(key=key, value=TICK)


def create_app(settings: SpikeSettings) -> faust.App:
    """The faust app with its two agents and the quiet-period timer."""
    app = faust.App(
        APP_ID,
        broker=broker_url(settings),
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.spikes_session_timeout_s,
        broker_heartbeat_interval=settings.spikes_heartbeat_interval_s,
        topic_partitions=settings.topic_partitions,
        topic_disable_leader=True,
        web_enabled=False,
        store="memory://",
    )
    scored_topic = app.topic(SCORED_TOPIC, key_type=bytes, value_type=bytes)
    agents = SpikeAgents(app, settings)

    @app.agent(scored_topic, concurrency=1, name="spikes_repartition")
    async def repartition_posts(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not on the StreamT protocol faust declares.
        concrete = cast(faust.Stream[bytes], stream)
        batches = concrete.take_events(
            settings.spikes_batch_size, within=settings.spikes_batch_window_s
        )
        async for events in batches:
            try:
                await agents.repartition(events)
            except DeadLetterRatioExceeded as exc:
                log.critical("%s", exc)
                await app.crash(exc)
                return

    # One record at a time: a table write goes to the changelog partition of the record.
    @app.agent(agents.by_hashtag, concurrency=1, name="spikes_detect")
    async def detect_spikes(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if event.message.key:
                await agents.detect(event.message.key, event.message.value)

    app.timer(interval=settings.spikes_tick_s)(agents.tick_quiet_hashtags)
    return app


def run_worker(settings: SpikeSettings, *, loglevel: str = "info") -> None:
    """Run the spike stream until SIGINT/SIGTERM, which faust turns into a clean stop."""
    create_topics(settings, [SCORED_TOPIC, ALERTS_TOPIC, DLQ_TOPIC])
    app = create_app(settings)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()


@click.command(name="worker")
def worker_command() -> None:
    """Detect negative spikes per hashtag from ugc.posts.scored into ugc.alerts until
    SIGINT/SIGTERM (per-hashtag settings: the alert_settings table)."""
    run_worker(SpikeSettings())


if __name__ == "__main__":
    worker_command()
