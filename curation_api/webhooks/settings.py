"""Settings of webhooks, read once from ``UGC_*`` environment variables: what the API checks
when endpoints are registered, and how ``ugc webhooks deliver`` sends and retries."""

from __future__ import annotations

from pydantic import Field

from database.settings import DatabaseSettings

DAY_S = 24 * 3600


class WebhookSettings(DatabaseSettings):
    webhooks_allow_private: bool = Field(
        default=False,
        description=(
            "Allow endpoints whose host resolves to a private, loopback, link-local or otherwise "
            "non-public address (a local receiver in the demo and the tests). Off, such "
            "endpoints are refused at registration and every delivery to them fails."
        ),
    )
    webhooks_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest one webhook request may take, connect to end."
    )
    webhooks_secret_grace_s: int = Field(
        default=DAY_S,
        ge=0,
        description=(
            "After a secret rotation, how long deliveries are still signed with the previous "
            "secret too (both signatures in `webhook-signature`)."
        ),
    )
    webhooks_retry_for_s: int = Field(
        default=3 * DAY_S,
        gt=0,
        description=(
            "How long a delivery is retried after its event was emitted before it is given up."
        ),
    )
    webhooks_backoff_base_s: float = Field(
        default=30.0,
        gt=0,
        description="Backoff before the first retry; it doubles per attempt (full jitter).",
    )
    webhooks_backoff_cap_s: float = Field(
        default=6 * 3600.0, gt=0, description="Longest backoff between two attempts."
    )
    webhooks_disable_after: int = Field(
        default=10,
        ge=0,
        description=(
            "Disable an endpoint after this many events in a row were given up on (0: never)."
        ),
    )
    webhooks_poll_interval_s: float = Field(
        default=1.0, gt=0, description="How often the delivery worker looks for due deliveries."
    )
    webhooks_batch_size: int = Field(
        default=20, ge=1, le=1000, description="Most deliveries the worker sends per round."
    )
