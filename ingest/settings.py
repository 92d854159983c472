"""Settings of the ingest deployable: which networks and hashtags to listen to, and how.

Loaded once from ``UGC_*`` environment variables by the CLI and passed down; sources never read
the environment themselves. Listening jobs live in the curation database, so the jobs worker
reads the same ``UGC_DATABASE_URL`` as the API.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from contract import normalize_hashtag
from contract.settings import KafkaSettings
from ingest.connectors.base import DEFAULT_STATE_DIR

#: Mastodon refuses ``limit`` above 40 on timelines (it silently clamps it).
MASTODON_MAX_PAGE_LIMIT = 40


class IngestSettings(KafkaSettings):
    mastodon_base_url: str = Field(
        default="https://mastodon.social",
        description="Base URL of the Mastodon instance whose hashtag timelines are polled.",
    )
    mastodon_hashtags: str = Field(
        default="",
        description="Comma-separated hashtags to follow on Mastodon, with or without `#`.",
    )
    mastodon_access_token: str | None = Field(
        default=None,
        repr=False,
        description="Bearer token for instances that require authentication for tag timelines.",
    )
    mastodon_poll_interval_s: float = Field(
        default=30.0, gt=0, description="Seconds between two polls of every followed hashtag."
    )
    mastodon_page_limit: int = Field(
        default=MASTODON_MAX_PAGE_LIMIT,
        ge=1,
        le=MASTODON_MAX_PAGE_LIMIT,
        description="Statuses per page requested from Mastodon (`limit`, at most 40).",
    )
    mastodon_backfill_pages: int = Field(
        default=1,
        ge=1,
        description="Pages of history taken on the very first poll of a hashtag (no checkpoint).",
    )
    checkpoint_dir: Path = Field(
        default=Path(".ugc/checkpoints"),
        description="Directory of the polling checkpoints (newest id seen per instance and tag).",
    )
    state_dir: Path = Field(
        default=DEFAULT_STATE_DIR,
        description=(
            "Directory of what listening jobs keep besides their positions: Instagram's hashtag "
            "budget (one file per account) and YouTube's daily quota (one per API key). Given to "
            "jobs whose `state_dir` option is not set."
        ),
    )
    replay_rate: float = Field(
        default=20.0,
        ge=0,
        description="Posts per second when replaying a JSONL file; 0 means as fast as possible.",
    )
    http_timeout_s: float = Field(
        default=10.0, gt=0, description="Timeout of one HTTP request to a network, in seconds."
    )
    database_url: str = Field(
        default="sqlite:///./ugc.db",
        description=(
            "SQLAlchemy URL of the database the API, the sink and the ingest jobs worker share: "
            "a SQLite file by default, `postgresql+psycopg://user:password@host/db` in production."
        ),
    )
    secrets_file: Path | None = Field(
        default=None,
        description=(
            "JSON or TOML file (or a directory of files) with listening jobs' secrets per "
            "credentials reference; `UGC_CRED_<REF>_<NAME>` variables win over it."
        ),
    )
    jobs_reload_interval_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Seconds between two reads of the listening jobs by `ugc ingest run`: added, changed "
            "and deleted jobs are picked up this often, without a restart."
        ),
    )

    @field_validator("mastodon_access_token")
    @classmethod
    def _blank_token_is_none(cls, token: str | None) -> str | None:
        # `UGC_MASTODON_ACCESS_TOKEN=` in a .env file must not send `Authorization: Bearer `.
        if token is None or not token.strip():
            return None
        return token.strip()

    @field_validator("database_url")
    @classmethod
    def _psycopg_for_postgresql(cls, url: str) -> str:
        # Same reading as the API's: `postgresql://` would select psycopg2, not a dependency.
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url.removeprefix(scheme)
        return url

    @property
    def mastodon_hashtag_list(self) -> list[str]:
        """The followed hashtags, normalized (no ``#``, case-folded), deduplicated, in order."""
        tags = (normalize_hashtag(tag) for tag in self.mastodon_hashtags.split(","))
        return list(dict.fromkeys(tag for tag in tags if tag))
