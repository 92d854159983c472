"""Settings of the ingest deployable: where its listening jobs are and how they run.

Loaded once from ``UGC_*`` environment variables by the CLI and passed down; connectors never
read the environment themselves. Listening jobs live in the curation database, so the ingest
commands read the same ``UGC_DATABASE_URL`` (:class:`~database.settings.DatabaseSettings`) and
``UGC_SECRETS_FILE`` (:class:`~listening.settings.SecretsSettings`) as the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

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
    rights_bluesky_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's Bluesky account (`UGC_CRED_<REF>_IDENTIFIER` "
            "and `UGC_CRED_<REF>_APP_PASSWORD`). Unset: Bluesky requests become manual sends."
        ),
    )
    rights_bluesky_base_url: str = Field(
        default="https://bsky.social/xrpc",
        description="XRPC base URL of the brand account's PDS.",
    )
    rights_reddit_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's Reddit account, user OAuth with the `submit "
            "read identity` scopes: `UGC_CRED_<REF>_CLIENT_ID`, `_CLIENT_SECRET`, "
            "`_REFRESH_TOKEN`. Unset: Reddit requests become manual sends."
        ),
    )
    rights_reddit_base_url: str = Field(
        default="https://oauth.reddit.com", description="Reddit's OAuth API host."
    )
    rights_reddit_token_url: str = Field(
        default="https://www.reddit.com/api/v1/access_token",
        description="Where Reddit's refresh token is exchanged for an access token.",
    )
    rights_youtube_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's YouTube channel, user OAuth with the "
            "`youtube.force-ssl` scope: `UGC_CRED_<REF>_CLIENT_ID`, `_CLIENT_SECRET`, "
            "`_REFRESH_TOKEN`. Unset: YouTube requests become manual sends."
        ),
    )
    rights_youtube_base_url: str = Field(
        default="https://www.googleapis.com", description="YouTube Data API host."
    )
    rights_youtube_token_url: str = Field(
        default="https://oauth2.googleapis.com/token",
        description="Where Google's refresh token is exchanged for an access token.",
    )
    rights_x_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's X account: a user-context token "
            "(`UGC_CRED_<REF>_ACCESS_TOKEN`, scopes `tweet.read tweet.write users.read`). X "
            "lets it reply only where the author mentioned or quoted the brand; elsewhere, and "
            "when unset, X requests become manual sends."
        ),
    )
    rights_x_base_url: str = Field(default="https://api.x.com", description="X API root.")
    rights_instagram_credentials: str | None = Field(
        default=None,
        description=(
            "Credentials reference of the brand's Instagram professional account: "
            "`UGC_CRED_<REF>_ACCESS_TOKEN` and `_IG_USER_ID`. Instagram lets it comment only "
            "on media whose caption @mentions the brand; elsewhere, and when unset, Instagram "
            "requests become manual sends."
        ),
    )
    rights_instagram_base_url: str = Field(
        default="https://graph.facebook.com/v21.0",
        description="Graph API base URL, version included.",
    )
    rights_sends_per_hour: int = Field(
        default=20,
        ge=1,
        description=(
            "Messages each network account sends per hour at most: a token bucket in the "
            "database, shared by every rights worker and kept across restarts (20 at once, "
            "then one every 3 minutes at the default)."
        ),
    )
    rights_watch_days: float = Field(
        default=14.0,
        gt=0,
        description="Days during which replies to a sent request are read (the brand's expiry).",
    )
    rights_reply_poll_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds between two reads of a sent request's replies in its first hour (then "
            "every 15 minutes in its first day, then hourly): the longest a creator's answer "
            "waits before it is read."
        ),
    )

    @field_validator(
        "rights_mastodon_base_url",
        "rights_mastodon_credentials",
        "rights_bluesky_credentials",
        "rights_reddit_credentials",
        "rights_youtube_credentials",
        "rights_x_credentials",
        "rights_instagram_credentials",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Compose passes an unset variable as "": that network has no account (manual sends).
        return None if isinstance(value, str) and not value.strip() else value

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
