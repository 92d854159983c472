"""Settings of the ingest deployable: where its listening jobs are and how they run.

Loaded once from ``UGC_*`` environment variables by the CLI and passed down; connectors never
read the environment themselves. Listening jobs live in the curation database, so the ingest
commands read the same ``UGC_DATABASE_URL`` (:class:`~database.settings.DatabaseSettings`) and
``UGC_SECRETS_FILE`` (:class:`~listening.settings.SecretsSettings`) as the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from contract.dead_letters import dlq_max_ratio_field, dlq_window_field
from contract.settings import KafkaSettings
from database.settings import DatabaseSettings
from listening.networks import DEFAULT_STATE_DIR
from listening.settings import SecretsSettings


class IngestSettings(KafkaSettings, DatabaseSettings, SecretsSettings):
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
    jobs_reload_interval_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Seconds between two reads of the listening jobs by `ugc ingest run`: added, changed "
            "and deleted jobs are picked up this often, without a restart."
        ),
    )
    rights_mastodon_base_url: str | None = Field(
        default=None,
        description=(
            "The brand's Mastodon instance, from which `ugc ingest rights` replies to creators "
            "(e.g. `https://mastodon.social`). Unset: Mastodon requests become manual sends."
        ),
    )
    rights_mastodon_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's Mastodon account: its token (scopes "
            "`read:statuses write:statuses read:accounts`) is `UGC_CRED_<REF>_ACCESS_TOKEN`."
        ),
    )
    rights_mastodon_visibility: Literal["public", "unlisted", "direct"] = Field(
        default="public",
        description=(
            "Visibility of the brand's reply: `public` shows the request under the creator's "
            "post, where its followers see the brand asking openly; `direct` only notifies "
            "the creator."
        ),
    )
    rights_sends_per_hour: int = Field(
        default=20,
        ge=1,
        description=(
            "Messages each network account sends per hour at most (a token bucket per "
            "process: a restart starts with a full hour's budget)."
        ),
    )
    rights_watch_days: float = Field(
        default=14.0,
        gt=0,
        description="Days during which replies to a sent request are read (the brand's expiry).",
    )
    ingest_rights_group_id: str = Field(
        default="ugc-ingest-rights",
        description="Consumer group of `ugc ingest rights` on `ugc.rights.commands`.",
    )
    ingest_rights_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description="Session timeout of the rights worker's consumer.",
    )
    ingest_rights_dlq_max_ratio: float = dlq_max_ratio_field(
        "ingest_rights", who="`ugc ingest rights`"
    )
    ingest_rights_dlq_window: int = dlq_window_field("ingest_rights", default=100)
