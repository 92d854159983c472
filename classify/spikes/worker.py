"""The spike stream: a faust-streaming app from ``ugc.posts.scored`` to ``ugc.alerts``.

Two agents, both ``concurrency=1``, each taking its input in batches. ``spikes_repartition``
decodes a batch of scored posts (poison goes to ``ugc.posts.dlq`` with its reason), sums it per
hashtag and bucket and sends one record per partition of :data:`REPARTITION_TOPIC`, holding
the rows of the hashtags that live there (:mod:`.records`), so that each hashtag's state lives
on one worker. ``spikes_detect`` applies a batch of those records to the hashtags' states
(:mod:`.stream`), loading each hashtag's state once and writing it once per batch into the
changelog-backed table (:mod:`.tables`). A restart recovers the table from its changelog,
baselines included. Alerts are produced keyed by hashtag, and their acks awaited before the
batch's offsets may be committed: delivery is at-least-once, the sink idempotent.

Cost. Consuming the topic (fetching, faust's events, decoding) is most of what this stream
costs; its own work is per batch (records, table writes) and per closed bucket (the detector),
not per post, except for adding a post to its bucket row. Alerts wait for the batches: at most
``spikes_batch_window_s`` + ``spikes_detect_window_s`` (6 s by default), nothing next to the
minutes a burst takes to show.

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
from classify.spikes.hashtag_settings import HashtagSettings, default_config
from classify.spikes.records import batch_rows, partition_records, read_record
from classify.spikes.settings import SpikeSettings
from classify.spikes.stream import HashtagStream, StreamConfig
from classify.spikes.stream_state import BucketRow
from classify.spikes.tables import SpikeTables
from contract import (
    ALERTS_TOPIC,
    DLQ_TOPIC,
    SCORED_TOPIC,
    Alert,
    PoisonMessage,
    ScoredPost,
    decode,
    encode,
    utcnow,
)
from contract.dead_letters import DeadLetterBudget, DeadLetterRatioExceeded, dead_letter_for
from contract.topics import create_topics, partition_counts
from database.engine import create_db_engine, create_session_factory

log = logging.getLogger(__name__)

APP_ID = "ugc-spikes"
STAGE = "spikes"
REPARTITION_TOPIC = f"{APP_ID}-posts-by-hashtag"
TICK = b'{"tick":true}'


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
        """The batch's posts, summed per hashtag and bucket, onto the repartition topic (one
        record per partition); poison to the DLQ. Returns once the broker acknowledged every
        output (then faust may commit)."""
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
        rows = batch_rows(posts, now=time.time(), bucket_s=self.settings.spikes_bucket_s)
        for partition, value in partition_records(rows, self.settings.topic_partitions).items():
            deliveries.append(
                await self.by_hashtag.send(value=value, partition=partition, force=True)
            )
        self.budget.record(total=len(events), poisoned=poisoned)
        await asyncio.gather(*deliveries)

    async def detect(self, events: Sequence[Any]) -> None:
        """Apply a batch of repartitioned records (and ticks), write each hashtag's tables once,
        and send the alerts they made. Returns once the broker acknowledged the alerts."""
        if self.hashtag_settings.due():
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self.executor, self.hashtag_settings.refresh)
        alerts = self.apply([(e.message.key, e.message.value) for e in events], utcnow())
        deliveries = [
            await self.alerts_topic.send(
                key=alert.hashtag.encode(), value=encode(alert), force=True
            )
            for alert in alerts
        ]
        for alert in alerts:
            log.info("alert %s %s #%d", alert.kind.value, alert.alert_id, alert.sequence)
        await asyncio.gather(*deliveries)

    def apply(
        self, records: Sequence[tuple[bytes | None, bytes | None]], now: datetime
    ) -> list[Alert]:
        """Apply records in order; each hashtag's state is loaded once and saved once."""
        wall = time.time()
        streams: dict[str, HashtagStream] = {}
        for key, value in records:
            for hashtag, rows in self._read(key, value):
                stream = streams.get(hashtag)
                if stream is None:
                    stream = streams[hashtag] = self._open(hashtag, now)
                if rows is None:
                    stream.on_tick(wall=wall)
                else:
                    stream.on_rows(rows, wall=wall)
        alerts: list[Alert] = []
        for hashtag, stream in streams.items():
            self.late += stream.step.late
            self.tables.save(hashtag.encode(), stream.step)
            alerts.extend(stream.step.alerts)
        return alerts

    def _read(
        self, key: bytes | None, value: bytes | None
    ) -> list[tuple[str, list[BucketRow] | None]]:
        """The hashtags of one record with their rows (None for a tick). The topic is the
        stream's own, but a record it cannot read is logged and skipped, never a crash loop."""
        try:
            fields = json.loads(value or b"{}")
            if fields.get("tick"):
                return [(key.decode(), None)] if key else []
            return list(read_record(key, fields, self.settings.spikes_bucket_s))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.error("unreadable record on %s (key %r), skipped: %r", REPARTITION_TOPIC, key, exc)
            return []

    def _open(self, hashtag: str, now: datetime) -> HashtagStream:
        alerting = self.hashtag_settings.of(hashtag)
        state, detector = self.tables.load(hashtag.encode(), hashtag, alerting.config)
        return HashtagStream(
            self.stream_config, state, detector, snoozed=alerting.snoozed(now), now=now
        )

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

    # Records in batches too: a hashtag's tables are written once per batch, however many
    # records of the batch touch it.
    @app.agent(agents.by_hashtag, concurrency=1, name="spikes_detect")
    async def detect_spikes(stream: faust.StreamT[bytes]) -> None:
        concrete = cast(faust.Stream[bytes], stream)
        batches = concrete.take_events(
            settings.spikes_detect_batch_size, within=settings.spikes_detect_window_s
        )
        async for events in batches:
            await agents.detect(events)

    app.timer(interval=settings.spikes_tick_s)(agents.tick_quiet_hashtags)
    return app


def run_worker(settings: SpikeSettings, *, loglevel: str = "info") -> None:
    """Run the spike stream until SIGINT/SIGTERM, which faust turns into a clean stop."""
    create_topics(settings, [SCORED_TOPIC, ALERTS_TOPIC, DLQ_TOPIC, REPARTITION_TOPIC])
    check_repartition_topic(settings)
    app = create_app(settings)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()


def check_repartition_topic(settings: SpikeSettings) -> None:
    """Refuse to start when the repartition topic has another number of partitions than
    ``UGC_TOPIC_PARTITIONS``: records are sent to the partition that number gives each
    hashtag (:func:`.records.partition_of`), its table entry and ticks to the one the broker's
    count gives, and they must be the same."""
    found = partition_counts(settings, [REPARTITION_TOPIC]).get(REPARTITION_TOPIC)
    if found is not None and found != settings.topic_partitions:
        raise click.ClickException(
            f"{REPARTITION_TOPIC} has {found} partitions but UGC_TOPIC_PARTITIONS is "
            f"{settings.topic_partitions}: set it to {found}, or delete the topic and the "
            f"{APP_ID}-*-changelog topics (the baselines start again)"
        )


@click.command(name="worker")
def worker_command() -> None:
    """Detect negative spikes per hashtag from ugc.posts.scored into ugc.alerts until
    SIGINT/SIGTERM (per-hashtag settings: the alert_settings table)."""
    run_worker(SpikeSettings())


if __name__ == "__main__":
    worker_command()
