"""Listening jobs as people define them and read them back (with health, without secrets)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, field_validator

from contract import normalize_hashtags
from database.enums import JobStatus, ListeningMode
from database.models import ListeningJob
from listening.credentials import REF_PATTERN, CredentialStatus

MIN_POLL_INTERVAL_S = 5.0
MAX_POLL_INTERVAL_S = 86_400.0
MAX_HASHTAGS = 100


def normalized_hashtags(tags: list[str]) -> list[str]:
    """``tags`` without ``#``, case-folded, deduplicated in order; at least one."""
    return normalize_hashtags(tags, max_length=255)


HASHTAGS_DESCRIPTION = "Hashtags to listen for (`#` optional, case-insensitive)."
REF_DESCRIPTION = (
    "Name under which the job's secrets are kept: environment variables "
    "`UGC_CRED_<REF>_<NAME>` or the secrets file (`UGC_SECRETS_FILE`). Never a secret itself."
)
INTERVAL_DESCRIPTION = "Seconds between two polls (unused while streaming)."
MODE_DESCRIPTION = "`poll`, or `stream` where the network can; null: the network's default."
OPTIONS_DESCRIPTION = (
    "Network-specific settings (`base_url`, …): the README lists each network's options."
)


class JobCreate(BaseModel):
    """Body of ``POST /v1/listening/jobs``."""

    model_config = ConfigDict(extra="forbid")

    network: str = Field(
        min_length=1,
        max_length=32,
        description="mastodon, bluesky, x, instagram, reddit or youtube.",
        examples=["mastodon"],
    )
    hashtags: list[str] = Field(
        min_length=1,
        max_length=MAX_HASHTAGS,
        description=HASHTAGS_DESCRIPTION,
        examples=[["mybrand", "#MyBrandSummer"]],
    )
    credentials_ref: str | None = Field(
        default=None, pattern=REF_PATTERN, description=REF_DESCRIPTION, examples=["brand-x"]
    )
    poll_interval_s: float = Field(
        default=60.0,
        ge=MIN_POLL_INTERVAL_S,
        le=MAX_POLL_INTERVAL_S,
        description=INTERVAL_DESCRIPTION,
    )
    active: bool = Field(default=True, description="Inactive jobs are kept but not run.")
    mode: ListeningMode | None = Field(default=None, description=MODE_DESCRIPTION)
    options: dict[str, JsonValue] = Field(
        default_factory=dict,
        description=OPTIONS_DESCRIPTION,
        examples=[{"base_url": "https://mastodon.social"}],
    )

    _hashtags = field_validator("hashtags")(normalized_hashtags)


class JobUpdate(BaseModel):
    """Body of ``PATCH /v1/listening/jobs/{id}``: only the fields given change.

    Any change (even an empty body) clears a failing status, so that the worker tries again.
    The network cannot change: create another job instead.
    """

    model_config = ConfigDict(extra="forbid")

    hashtags: list[str] | None = Field(default=None, description=HASHTAGS_DESCRIPTION)
    credentials_ref: str | None = Field(
        default=None, pattern=REF_PATTERN, description=REF_DESCRIPTION + " null removes it."
    )
    poll_interval_s: float | None = Field(
        default=None,
        ge=MIN_POLL_INTERVAL_S,
        le=MAX_POLL_INTERVAL_S,
        description=INTERVAL_DESCRIPTION,
    )
    active: bool | None = None
    mode: ListeningMode | None = Field(default=None, description=MODE_DESCRIPTION)
    options: dict[str, JsonValue] | None = Field(
        default=None, description=OPTIONS_DESCRIPTION + " Replaces all of them."
    )

    @field_validator("hashtags", "poll_interval_s", "active", "options")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only the credentials reference can be removed; null elsewhere is a client bug.
        if value is None:
            raise ValueError("cannot be null: leave the field out to keep it")
        return value

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, tags: list[str]) -> list[str]:
        if len(tags) > MAX_HASHTAGS:
            raise ValueError(f"at most {MAX_HASHTAGS} hashtags")
        return normalized_hashtags(tags)


class BudgetRead(BaseModel):
    remaining: float | None
    limit: float | None
    unit: str | None
    resets_at: AwareDatetime | None


class JobHealthRead(BaseModel):
    """How the job is doing, as the ingest worker last reported it."""

    status: JobStatus = Field(
        description=(
            "`pending`: not polled since created or changed; `ok`; `backing_off`: the last poll "
            "failed and is retried; `failing`: stopped until the job is changed."
        )
    )
    last_success_at: AwareDatetime | None
    posts_collected: int
    last_error: str | None
    last_error_at: AwareDatetime | None
    backoff_s: float = Field(description="Current wait before the next try after a failure.")
    budget: BudgetRead | None = Field(
        description="What is left of the network's quota, where it has one."
    )
    updated_at: AwareDatetime


class CredentialsRead(BaseModel):
    """Which secrets the job needs and which are set, by name: values are never shown."""

    ref: str | None
    required: list[str]
    set: list[str]
    missing: list[str]

    @classmethod
    def from_status(cls, status: CredentialStatus) -> CredentialsRead:
        return cls(
            ref=status.ref,
            required=list(status.required),
            set=list(status.set),
            missing=list(status.missing),
        )


class JobRead(BaseModel):
    id: int
    network: str
    mode: ListeningMode
    hashtags: list[str]
    credentials_ref: str | None
    poll_interval_s: float
    active: bool
    options: dict[str, JsonValue]
    revision: int = Field(description="Grows with every change; the worker restarts the job.")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    health: JobHealthRead
    credentials: CredentialsRead

    @classmethod
    def from_row(cls, job: ListeningJob, credentials: CredentialStatus) -> JobRead:
        health = job.health
        budget = None
        if health.budget_remaining is not None or health.budget_limit is not None:
            budget = BudgetRead(
                remaining=health.budget_remaining,
                limit=health.budget_limit,
                unit=health.budget_unit,
                resets_at=health.budget_resets_at,
            )
        return cls(
            id=job.id,
            network=job.network,
            mode=job.mode,
            hashtags=list(job.hashtags),
            credentials_ref=job.credentials_ref,
            poll_interval_s=job.poll_interval_s,
            active=job.active,
            options=dict(job.options),
            revision=job.revision,
            created_at=job.created_at,
            updated_at=job.updated_at,
            health=JobHealthRead(
                status=health.status,
                last_success_at=health.last_success_at,
                posts_collected=health.posts_collected,
                last_error=health.last_error,
                last_error_at=health.last_error_at,
                backoff_s=health.backoff_s,
                budget=budget,
                updated_at=health.updated_at,
            ),
            credentials=CredentialsRead.from_status(credentials),
        )
