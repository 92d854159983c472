"""Settings shared by every deployable: where the broker is and how topics are laid out.

Each deployable (ingest, classify, curation API and sink) has its own ``Settings`` class that
extends :class:`KafkaSettings` and, where it needs them, the settings of a lower layer declared
once there (``database.settings``, ``listening.settings``); all read ``UGC_*`` environment
variables, loaded once at start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "dev-moderator-key", "secret"})

#: What every environment variable of the pipeline starts with.
ENV_PREFIX = "UGC_"


class BaseUgcSettings(BaseSettings):
    # validate_by_name: a setting that also answers to a deprecated variable has an alias, and
    # code still passes it by its field name.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_by_name=True)

    env: Literal["development", "production"] = Field(
        default="development",
        description="`production` refuses placeholder secrets.",
    )


class KafkaSettings(BaseUgcSettings):
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated Kafka bootstrap servers.",
    )
    topic_partitions: int = Field(
        default=3, ge=1, description="Partitions of the post topics when they are created."
    )
    topic_replication: int = Field(
        default=1, ge=1, description="Replication factor of the post topics when created."
    )

    @property
    def bootstrap_list(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]


def refuse_placeholder(settings: BaseUgcSettings, name: str, value: str) -> None:
    """Outside development a secret must be a real one, not the default from the README."""
    if settings.env == "production" and value.strip().casefold() in PLACEHOLDER_SECRETS:
        raise ValueError(f"UGC_{name.upper()} must be set to a real secret when UGC_ENV=production")
