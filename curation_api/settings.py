"""Settings of the curation API and its sink, read once from ``UGC_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator

from contract.settings import KafkaSettings, refuse_placeholder


class ApiSettings(KafkaSettings):
    database_url: str = Field(
        default="sqlite:///./ugc.db",
        description=(
            "SQLAlchemy URL of the database the API and the sink share: a SQLite file by default, "
            "`postgresql+psycopg://user:password@host/db` in production."
        ),
    )
    # repr=False: the key must not end up in logs or tracebacks that print the settings.
    moderator_api_key: str = Field(
        default="dev-moderator-key",
        repr=False,
        description=(
            "Key moderators send as `X-API-Key` or `Authorization: Bearer`; "
            "`UGC_ENV=production` refuses the default."
        ),
    )
    secrets_file: Path | None = Field(
        default=None,
        description=(
            "JSON or TOML file (or a directory of files) with listening jobs' secrets per "
            "credentials reference; `UGC_CRED_<REF>_<NAME>` variables win over it."
        ),
    )
    api_host: str = Field(default="127.0.0.1", description="Interface the API listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port the API listens on.")
    cors_origins: str = Field(
        default="*",
        description=(
            "Comma-separated origins allowed to read the public feeds from a browser "
            "(`*` lets any site embed a widget)."
        ),
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
    sink_max_dead_letter_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "The sink stops when more than this share of its recent messages went to the "
            "dead-letter topic, so that a bad deploy halts the pipeline instead of draining it."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_for_postgresql(cls, url: str) -> str:
        # `postgresql://` (what most hosts hand out) would select psycopg2, which is not a
        # dependency; psycopg 3 is.
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url.removeprefix(scheme)
        return url

    @model_validator(mode="after")
    def _refuse_placeholder_key(self) -> Self:
        refuse_placeholder(self, "moderator_api_key", self.moderator_api_key)
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
