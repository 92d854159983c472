"""The scoring stream: a faust-streaming agent from ``ugc.posts.raw`` to ``ugc.posts.scored``.

One agent with ``concurrency=1`` (higher concurrency can commit offsets past unprocessed
messages in faust-streaming); throughput comes from partitions and batches. Each batch goes
decode → validate → score → produce → wait for the broker's acks; faust commits the offsets only
after the batch returns, so a crash replays the batch instead of losing it (the sink is
idempotent).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import click
import faust

from classify.faust_app import stream_app
from classify.pipeline import (
    InboundMessage,
    ScorerLike,
    decode_batch,
    score_posts,
)
from classify.settings import ClassifySettings
from contract import DLQ_TOPIC, RAW_TOPIC, SCORED_TOPIC, encode
from contract.dead_letters import DeadLetterBudget, DeadLetterRatioExceeded

log = logging.getLogger(__name__)

APP_ID = "ugc-classify"


def create_app(settings: ClassifySettings, scorer: ScorerLike) -> faust.App:
    """Build the faust app with its scoring agent; the scorer is loaded once, by the caller."""
    app = stream_app(
        APP_ID,
        settings,
        session_timeout_s=settings.session_timeout_s,
        heartbeat_interval_s=settings.heartbeat_interval_s,
    )
    raw_topic = app.topic(RAW_TOPIC, key_type=bytes, value_type=bytes)
    scored_topic = app.topic(SCORED_TOPIC, key_type=bytes, value_type=bytes)
    dlq_topic = app.topic(DLQ_TOPIC, key_type=bytes, value_type=bytes)
    dead_letter_budget = DeadLetterBudget(
        settings.classify_dlq_max_ratio, window=settings.classify_dlq_window
    )
    # Scoring runs in a thread so that the event loop keeps heartbeating to the group
    # coordinator while torch is busy; one thread, because batches are processed in order.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorer")

    async def process(events: Sequence[Any]) -> None:
        batch = decode_batch([_inbound(event.message) for event in events])
        dead_letter_budget.record(total=len(events), poisoned=len(batch.rejected))
        loop = asyncio.get_running_loop()
        scored = await loop.run_in_executor(executor, score_posts, scorer, batch.posts)
        deliveries = [
            await scored_topic.send(key=post.post_id.encode(), value=encode(post), force=True)
            for post in scored
        ]
        for message in batch.rejected:
            dead = message.letter
            log.warning("dead-lettered offset %s/%s: %s", dead.partition, dead.offset, dead.reason)
            deliveries.append(
                await dlq_topic.send(key=message.key, value=message.value, force=True)
            )
        # Wait for the broker to acknowledge every output before faust may commit the inputs.
        await asyncio.gather(*deliveries)
        log.info("scored %d posts, dead-lettered %d", len(scored), len(batch.rejected))

    @app.agent(raw_topic, concurrency=1, name="score_posts")
    async def score_raw_posts(stream: faust.StreamT[bytes]) -> None:
        # take_events is on the concrete Stream, not on the StreamT protocol faust declares.
        concrete = cast(faust.Stream[bytes], stream)
        batches = concrete.take_events(settings.batch_size, within=settings.batch_window_s)
        async for events in batches:
            try:
                await process(events)
            except DeadLetterRatioExceeded as exc:
                log.critical("%s", exc)
                # Crash the whole app: the worker exits non-zero and the batch stays uncommitted.
                await app.crash(exc)
                return

    return app


def _inbound(message: Any) -> InboundMessage:
    return InboundMessage(
        value=message.value,
        key=message.key,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )


def run_worker(settings: ClassifySettings, scorer: ScorerLike, *, loglevel: str = "info") -> None:
    """Run the scoring worker until SIGINT/SIGTERM, which faust turns into a clean stop."""
    app = create_app(settings, scorer)
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()


@click.command(name="worker")
@click.option(
    "--batch-size", type=int, default=None, help="Override UGC_BATCH_SIZE (posts per pass)."
)
def worker_command(batch_size: int | None) -> None:
    """Score posts from ugc.posts.raw into ugc.posts.scored until SIGINT/SIGTERM.

    Loads the model once (progress is logged), then joins the consumer group; run more workers,
    up to the partition count, to score in parallel.
    """
    from classify.scoring import Scorer

    settings = ClassifySettings()
    if batch_size is not None:
        settings = settings.model_copy(update={"batch_size": batch_size})
    steps = iter(range(1, 100))
    started = time.monotonic()

    def progress(step: str) -> None:
        log.info("loading model [%d] %s (%.1fs)", next(steps), step, time.monotonic() - started)

    scorer = Scorer.from_settings(settings, progress=progress)
    info = scorer.model_info
    log.info(
        "model %s %s ready in %.1fs; joining the consumer group",
        info.name,
        info.version,
        time.monotonic() - started,
    )
    run_worker(settings, scorer)
