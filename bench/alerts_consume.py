"""The baseline of ``bench/alerts.py``: consuming ``ugc.posts.scored`` without the detector.

A faust app with the spike stream's consumer settings (raw serializers, batches of the
same size and window, ``concurrency=1``) whose one agent decodes every scored post and
does nothing else. Its CPU time per post is what consuming the topic costs; the spike stream's
CPU time per post, measured over the same messages in the same run, is compared with it.

Run by the bench: ``python bench/alerts_consume.py`` with the ``UGC_*`` settings of the spikes
worker in its environment.
"""

from __future__ import annotations

import logging
from typing import cast

import faust

from classify.faust_app import stream_app
from classify.spikes.settings import SpikeSettings
from contract import SCORED_TOPIC, PoisonMessage, ScoredPost, decode

APP_ID = "bench-consume"
log = logging.getLogger(__name__)


def create_app(settings: SpikeSettings) -> faust.App:
    app = stream_app(
        APP_ID,
        settings,
        session_timeout_s=settings.spikes_session_timeout_s,
        heartbeat_interval_s=settings.spikes_heartbeat_interval_s,
    )
    scored = app.topic(SCORED_TOPIC, key_type=bytes, value_type=bytes)

    @app.agent(scored, concurrency=1, name="consume")
    async def consume(stream: faust.StreamT[bytes]) -> None:
        concrete = cast(faust.Stream[bytes], stream)
        batches = concrete.take_events(
            settings.spikes_batch_size, within=settings.spikes_batch_window_s
        )
        async for events in batches:
            for event in events:
                try:
                    decode(ScoredPost, event.message.value)
                except PoisonMessage as poison:
                    log.warning("poison: %s", poison)

    return app


if __name__ == "__main__":
    faust.Worker(
        create_app(SpikeSettings()), loglevel="warning", quiet=True
    ).execute_from_commandline()
