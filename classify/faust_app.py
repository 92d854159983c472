"""The faust app settings every stream of classify shares (the scoring worker, the spike stream).

Raw bytes in and out (the contract encodes and decodes), ``acks=all`` on what they produce, a
new group reading from the beginning (the consumers downstream are idempotent), in-memory
tables recovered from their changelog topics, and no web server.
"""

from __future__ import annotations

import faust

from contract.settings import KafkaSettings


def broker_url(settings: KafkaSettings) -> str:
    return ";".join(f"kafka://{server}" for server in settings.bootstrap_list)


def stream_app(
    app_id: str, settings: KafkaSettings, *, session_timeout_s: float, heartbeat_interval_s: float
) -> faust.App:
    """A faust app named ``app_id`` (its consumer group and the prefix of its internal topics)
    on the broker of ``settings``."""
    return faust.App(
        app_id,
        broker=broker_url(settings),
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=session_timeout_s,
        broker_heartbeat_interval=heartbeat_interval_s,
        topic_partitions=settings.topic_partitions,
        topic_disable_leader=True,
        web_enabled=False,
        store="memory://",
    )
