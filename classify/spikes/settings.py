"""Settings of the spike stream (``classify.spikes.worker``), read once from ``UGC_*``
environment variables. The per-hashtag settings (sensitivity, minimum volume, cooldown,
snooze) live in the database table ``alert_settings``; these are the defaults where a hashtag
has no row (or a NULL column) and the stream's own mechanics."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from contract.settings import KafkaSettings
from database.settings import DatabaseSettings


class SpikeSettings(KafkaSettings, DatabaseSettings):
    spikes_sensitivity: Literal["fewer", "balanced", "more"] = Field(
        default="balanced",
        description="Default sensitivity of a hashtag's spike alerts (`fewer`, `balanced`, "
        "`more`); `PUT /v1/alerts/settings/{hashtag}` overrides it per hashtag.",
    )
    spikes_min_volume: int = Field(
        default=10,
        ge=1,
        description="Default minimum of negative posts in the alert window before an alert.",
    )
    spikes_cooldown_minutes: int = Field(
        default=60,
        ge=0,
        description="Default quiet time after a burst ended before the hashtag alerts again.",
    )
    spikes_bucket_s: int = Field(
        default=300, ge=10, description="Length of the time buckets the detector counts in."
    )
    spikes_warmup_s: float = Field(
        default=86400.0,
        ge=0,
        description="History a hashtag needs (in stream time) before it may alert: its "
        "baselines need one daily cycle.",
    )
    spikes_lateness_s: float = Field(
        default=30.0,
        ge=0,
        description="A bucket closes once a post this much past its end arrives; a post older "
        "than the open bucket then is late: not counted, only tallied (and logged).",
    )
    spikes_evidence_buckets: int = Field(
        default=3,
        ge=0,
        description="Closed buckets whose negative posts are kept as evidence before a burst "
        "fires (its posts, terms and networks include them).",
    )
    spikes_settings_refresh_s: float = Field(
        default=10.0,
        gt=0,
        description="How often the stream re-reads the per-hashtag alert settings and snoozes.",
    )
    spikes_tick_s: float = Field(
        default=5.0,
        gt=0,
        description="How often the stream looks for quiet hashtags whose buckets must close "
        "without new posts.",
    )
    spikes_quiet_after_s: float = Field(
        default=60.0,
        ge=0,
        description="Wall-clock silence after which a hashtag's stream time advances with the "
        "clock, so that a burst can end and resolve while nobody posts.",
    )
    spikes_quiet_rate: float = Field(
        default=1.0,
        gt=0,
        description="Stream seconds per wall-clock second while a hashtag is quiet (above 1 "
        "only for time-compressed demos and tests).",
    )
    spikes_batch_size: int = Field(
        default=1000,
        ge=1,
        description="Scored posts the stream takes together to sum per hashtag and bucket "
        "(one repartitioned record per partition per batch).",
    )
    spikes_batch_window_s: float = Field(
        default=1.0, gt=0, description="Longest the stream waits to fill a batch of posts."
    )
    spikes_detect_batch_size: int = Field(
        default=100,
        ge=1,
        description="Repartitioned records the detector applies together (each hashtag's "
        "state is written once per batch).",
    )
    spikes_detect_window_s: float = Field(
        default=5.0,
        gt=0,
        description="Longest the detector waits to fill a batch of records: alerts may wait "
        "this long, plus the posts' batch window.",
    )
    spikes_session_timeout_s: float = Field(
        default=60.0, gt=0, description="Consumer-group session timeout of the spike stream."
    )
    spikes_heartbeat_interval_s: float = Field(
        default=3.0, gt=0, description="How often the spike stream heartbeats."
    )
    spikes_dlq_max_ratio: float = dlq_max_ratio_field("spikes", who="The spike stream")
    spikes_dlq_window: int = dlq_window_field("spikes", default=200)
