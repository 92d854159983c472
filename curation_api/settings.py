"""Settings of the curation API and its sink, read once from ``UGC_*`` environment variables.

The database and the secrets file are declared by the layers that own them
(:class:`~database.settings.DatabaseSettings`, :class:`~listening.settings.SecretsSettings`).
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from contract.settings import KafkaSettings, refuse_placeholder
from database.settings import DatabaseSettings
from listening.settings import SecretsSettings


class ApiSettings(KafkaSettings, DatabaseSettings, SecretsSettings):
    # repr=False: the key must not end up in logs or tracebacks that print the settings.
    moderator_api_key: str = Field(
        default="dev-moderator-key",
        repr=False,
        description=(
            "Key moderators send as `X-API-Key` or `Authorization: Bearer`; "
            "`UGC_ENV=production` refuses the default."
        ),
    )
    api_host: str = Field(default="127.0.0.1", description="Interface the API listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on.")
    api_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="API worker processes (each with its own feed page cache); about one per core.",
    )
    api_access_log: bool = Field(
        default=False, description="Log every request (costs about a fifth of the throughput)."
    )
    feed_max_age_s: int = Field(
        default=10,
        ge=0,
        description="`Cache-Control: max-age` of public feed pages (browsers and CDNs; a "
        "revocation reaches a browser at most this much later).",
    )
    feed_stale_while_revalidate_s: int = Field(
        default=30,
        ge=0,
        description="`stale-while-revalidate` of public feed pages: how long a cache may show "
        "the old page while it fetches the new one.",
    )
    feed_cache_poll_s: float = Field(
        default=0.2,
        gt=0,
        description="How often each API worker reads the feeds' content versions: a change "
        "reaches every worker's page cache within this.",
    )
    feed_cache_max_pages: int = Field(
        default=10_000, ge=0, description="Rendered feed pages kept per API worker."
    )
    feed_cache_max_life_s: float = Field(
        default=60.0,
        gt=0,
        description="The longest a rendered feed page is served, even when nothing changed "
        "(bounds what a change made outside the API, by hand in SQL, can leave behind).",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "Public address of the curation API, for the links the API and the alerts sink "
            "hand out (an incident's `queue_url` in alerts and webhooks)."
        ),
    )
    cors_origins: str = Field(
        default="*",
        description=(
            "Comma-separated origins allowed to read the public feeds from a browser "
            "(`*` lets any site embed a widget)."
        ),
    )
    rights_attachment_max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1,
        description="Largest file a moderator may attach to a rights decision (a screenshot, "
        "an e-mail); larger uploads get 413.",
    )
    sink_group_id: str = Field(
        default="ugc-sink", description="Kafka consumer group of the scored-post sink."
    )
    sink_batch_size: int = Field(
        default=200, ge=1, le=5000, description="Most scored posts the sink writes per transaction."
    )
    sink_poll_timeout_ms: int = Field(
        default=500,
        ge=1,
        description=(
            "Longest the sink waits in one poll; it writes whatever a poll returns (up to "
            "the batch size), and notices a stop request within this time."
        ),
    )
    sink_session_timeout_ms: int = Field(
        default=10000,
        ge=1,
        description="Kafka group session timeout: how soon a dead sink's partitions move on.",
    )
    sink_heartbeat_interval_ms: int = Field(
        default=3000,
        ge=1,
        description="Kafka heartbeat interval of the sink (well under the session timeout).",
    )
    sink_dlq_max_ratio: float = dlq_max_ratio_field(
        "sink", who="The sink", formerly="UGC_SINK_MAX_DEAD_LETTER_RATIO"
    )
    sink_dlq_window: int = dlq_window_field("sink", default=1000)

    @model_validator(mode="after")
    def _refuse_placeholder_key(self) -> Self:
        refuse_placeholder(self, "moderator_api_key", self.moderator_api_key)
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
