"""The spike stream: a faust-streaming app from ``ugc.posts.scored`` to ``ugc.alerts``.

Two agents, both ``concurrency=1``. ``spikes_repartition`` decodes batches of scored posts
(poison goes to ``ugc.posts.dlq`` with its reason), groups each batch by hashtag and sends one
record per hashtag per batch onto :data:`REPARTITION_TOPIC`, keyed by the hashtag so that its
state lives on one worker. A record holds compact summaries of the batch's posts of that
hashtag, sorted by ``created_at`` (:func:`post_records`): time, negative flag, engagement weight,
and the evidence fields for negative posts only. ``spikes_detect`` applies a record to the
hashtag's state (:mod:`.stream`) with one table read and at most one write per table: the
open buckets and stream time (every record), the burst evidence (records with negative posts)
and the detector (records that closed a bucket), three changelog-backed tables. A restart
recovers the tables from their changelog topics, baselines included. Alerts are produced keyed
by hashtag, and their acks awaited before the offset may be committed: delivery is
at-least-once, the sink idempotent.

Order. A backlog is not read in time order: faust goes through a fetch partition by partition,
and on the embedded broker one partition of ``ugc.posts.scored`` was read whole before the
other (measured on the bench's two-day warm-up: half the posts reached the detector more than
five minutes, up to 45 hours, behind their hashtag's stream time, with fetches of 4 KiB to
1 MiB per partition and polls of 50 records alike, so no consumer setting is offered for it).
Records are sorted by ``created_at``; a post older than its hashtag's open bucket is not
counted (see :mod:`.stream`), and their number is logged.

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

from classify.faust_app import stream_app
from classify.spikes.evidence import EvidencePost
from classify.spikes.hashtag_settings import HashtagSettings, default_config
from classify.spikes.model import post_weight
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
# The evidence fields of a negative post in a record, in order (the fields of EvidencePost).
_EVIDENCE_FIELDS = ("post_id", "text", "permalink", "network", "engagement", "followers")


def post_summary(post: ScoredPost, *, now: float) -> list[Any]:
    """What the detector needs of one scored post, as a JSON row: ``[created_at, negative,
    weight]``, and for a negative post its evidence fields too. A post from the future (a
    skewed clock) counts as posted now: it must not close every bucket up to its date."""
    created = min(post.created_at.timestamp(), now)
    if post.sentiment.label is not Sentiment.NEGATIVE:
        return [created, 0, 1.0]
    e = post.engagement
    engagement = sum(n or 0 for n in (e.likes, e.reposts, e.replies, e.quotes))
    followers = post.author.followers
    evidence = [
        post.post_id,
        post.text[:500],
        post.permalink,
        post.platform.value,
        engagement,
        followers,
    ]
    return [created, 1, post_weight(engagement, followers), evidence]


def post_records(posts: Sequence[ScoredPost], *, now: float) -> dict[str, bytes]:
    """The repartitioned records of a batch: per hashtag, ``{"posts": [summary, ...]}`` in
    ``created_at`` order."""
    by_tag: dict[str, list[list[Any]]] = {}
    for post in posts:
        summary = post_summary(post, now=now)
        for tag in post.hashtags:
            if len(tag) <= MAX_HASHTAG_LENGTH:  # else no incident could be stored for it
                by_tag.setdefault(tag, []).append(summary)
    return {
        tag: json.dumps({"posts": sorted(rows, key=_created)}).encode()
        for tag, rows in by_tag.items()
    }


def _created(row: list[Any]) -> float:
    return float(row[0])


def read_posts(fields: dict[str, Any]) -> list[PostSeen]:
    """The posts of one repartitioned record (also the one-post records of older workers)."""
    if "posts" not in fields:
        old = fields["post"]
        fields = {
            "posts": [
                [
                    fields["created_at"],
                    fields["negative"],
                    post_weight(old["engagement"], old["followers"]),
                    [old[name] for name in _EVIDENCE_FIELDS],
                ]
            ]
        }
    posts = []
    for row in fields["posts"]:
        evidence = EvidencePost(*row[3]) if len(row) > 3 and row[1] else None
        posts.append(PostSeen(float(row[0]), bool(row[1]), float(row[2]), evidence))
    return posts


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
        self.late = self.late_logged = 0

    async def repartition(self, events: Sequence[Any]) -> None:
        """The batch's posts, one record per hashtag, onto the repartition topic; poison to the DLQ.
        Returns once the broker acknowledged every output (then faust may commit)."""
        deliveries = []
        posts: list[ScoredPost] = []
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
            posts.append(post)
        for tag, value in post_records(posts, now=time.time()).items():
            deliveries.append(await self.by_hashtag.send(key=tag.encode(), value=value, force=True))
        self.budget.record(total=len(events), poisoned=poisoned)
        await asyncio.gather(*deliveries)

    async def detect(self, key: bytes, value: bytes | None) -> None:
        """Apply one repartitioned record (or tick) and send the alerts it made."""
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
            step = stream.on_posts(read_posts(fields), wall=time.time())
            self.late += step.late
        self.tables.save(key, rev, state, detector, step)
        return step

    async def tick_quiet_hashtags(self) -> None:
        if self.late != self.late_logged:
            log.warning(
                "%d posts older than their hashtag's open bucket were not counted (since start)",
                self.late,
            )
            self.late_logged = self.late
        quiet = self.tables.quiet_keys(time.time(), self.settings.spikes_quiet_after_s)
        for key in quiet:
            await self.by_hashtag.send(key=key, value=TICK)


def create_app(settings: SpikeSettings) -> faust.App:
    """The faust app with its two agents and the quiet-period timer."""
    app = stream_app(
        APP_ID,
        settings,
        session_timeout_s=settings.spikes_session_timeout_s,
        heartbeat_interval_s=settings.spikes_heartbeat_interval_s,
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

    # One record (a hashtag's posts of one batch) at a time: a table write goes to the
    # changelog partition of the record.
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
