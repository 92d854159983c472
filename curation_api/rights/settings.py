"""Settings of ``ugc rights worker``, read once from ``UGC_*`` environment variables: the outbox
relay, the rights-events consumer and the timers, in one process."""

from __future__ import annotations

from pydantic import Field

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from contract.settings import KafkaSettings
from database.settings import DatabaseSettings


class RightsWorkerSettings(KafkaSettings, DatabaseSettings):
    rights_group_id: str = Field(
        default="ugc-rights",
        description="Kafka consumer group of the rights worker (reads `ugc.rights.events`).",
    )
    rights_batch_size: int = Field(
        default=100, ge=1, le=5000, description="Most rights events applied per transaction."
    )
    rights_poll_timeout_ms: int = Field(
        default=500,
        ge=1,
        description=(
            "Longest the rights worker waits for events in one poll; it notices a stop request "
            "within this time, and relays the outbox and runs the timers between polls."
        ),
    )
    rights_session_timeout_ms: int = Field(
        default=10000,
        ge=1,
        description="Kafka group session timeout of the rights worker.",
    )
    rights_heartbeat_interval_ms: int = Field(
        default=3000,
        ge=1,
        description="Kafka heartbeat interval of the rights worker (under the session timeout).",
    )
    rights_dlq_max_ratio: float = dlq_max_ratio_field("rights", who="The rights worker")
    rights_dlq_window: int = dlq_window_field("rights", default=1000)
    rights_outbox_interval_s: float = Field(
        default=1.0,
        gt=0,
        description=(
            "How often the rights worker looks for unpublished outbox messages (commands to "
            "the networks); after a broker error it backs off instead."
        ),
    )
    rights_outbox_batch_size: int = Field(
        default=100, ge=1, le=5000, description="Most outbox messages published per round."
    )
    rights_timers_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often the rights worker runs the due reminders and expiries.",
    )
    rights_public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "Public address of the curation API, for the terms links in reminders and in proofs "
            "of consent the worker writes."
        ),
    )
