"""Settings of ``ugc alerts sink`` (the consumer of ``ugc.alerts``), read once from ``UGC_*``
environment variables. It extends the API's settings like the scored-post sink does: the same
database, broker and public address (``UGC_PUBLIC_BASE_URL``, for the incidents' queue links)."""

from __future__ import annotations

from pydantic import Field

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from curation_api.settings import ApiSettings


class AlertsSinkSettings(ApiSettings):
    alerts_group_id: str = Field(
        default="ugc-alerts-sink",
        description="Kafka consumer group of the alerts sink (reads `ugc.alerts`).",
    )
    alerts_batch_size: int = Field(
        default=100, ge=1, le=5000, description="Most alert messages applied per transaction."
    )
    alerts_poll_timeout_ms: int = Field(
        default=500,
        ge=1,
        description="Longest the alerts sink waits in one poll; it notices a stop within it.",
    )
    alerts_session_timeout_ms: int = Field(
        default=10000, ge=1, description="Kafka group session timeout of the alerts sink."
    )
    alerts_heartbeat_interval_ms: int = Field(
        default=3000, ge=1, description="Kafka heartbeat interval of the alerts sink."
    )
    alerts_dlq_max_ratio: float = dlq_max_ratio_field("alerts", who="The alerts sink")
    alerts_dlq_window: int = dlq_window_field("alerts", default=200)
