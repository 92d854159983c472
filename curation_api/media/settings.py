"""Settings of media copies, read once from ``UGC_MEDIA_*`` environment variables: where the
variants are stored, what a fetch may download, and how ``ugc media worker`` polls and retries.

The bucket's credentials may be left unset: boto3 then finds them the usual way (``AWS_*``
variables, a profile, an instance role). They are never logged (``SecretStr``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from database.settings import DatabaseSettings

MB = 1024 * 1024


class MediaSettings(DatabaseSettings):
    media_storage: Literal["directory", "s3"] = Field(
        default="directory",
        description="Where media copies are stored: a local directory, or an S3-compatible bucket.",
    )
    media_directory: Path = Field(
        default=Path(".ugc/media"), description="The directory of media copies (`directory`)."
    )
    media_s3_bucket: str = Field(default="", description="The bucket of media copies (`s3`).")
    media_s3_endpoint_url: str | None = Field(
        default=None,
        description="The S3 API endpoint (MinIO, R2, ...); unset: AWS's for the region.",
    )
    media_s3_region: str | None = Field(default=None, description="The bucket's region.")
    media_s3_access_key_id: str | None = Field(
        default=None, description="Access key of the bucket; unset: boto3's usual lookup."
    )
    media_s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Secret key of the bucket; unset: boto3's usual lookup."
    )
    media_max_bytes: int = Field(
        default=20 * MB, gt=0, description="Largest original a media fetch downloads."
    )
    media_widths: list[int] = Field(
        default=[320, 640, 1080],
        description="Widths of the WebP variants (JSON list); never wider than the original.",
    )
    media_timeout_s: float = Field(
        default=20.0, gt=0, description="Longest one media download may take, connect to end."
    )
    media_max_attempts: int = Field(
        default=5, ge=1, description="Fetches of a media item before it is marked failed."
    )
    media_backoff_base_s: float = Field(
        default=60.0, gt=0, description="Wait before the first media retry; doubles per attempt."
    )
    media_backoff_cap_s: float = Field(
        default=6 * 3600.0, gt=0, description="Longest wait between two media fetches."
    )
    media_poll_interval_s: float = Field(
        default=2.0, gt=0, description="How often the media worker looks for work."
    )
    media_batch_size: int = Field(
        default=20, ge=1, le=1000, description="Most media items the worker handles per round."
    )
    media_allow_private: bool = Field(
        default=False,
        description=(
            "Allow media URLs whose host resolves to a private, loopback, link-local or "
            "otherwise non-public address (a local fake CDN in the tests). Off, they fail."
        ),
    )

    @field_validator("media_widths")
    @classmethod
    def _positive_distinct_widths(cls, widths: list[int]) -> list[int]:
        if not widths or any(w <= 0 for w in widths):
            raise ValueError("media widths must be a non-empty list of positive integers")
        return sorted(set(widths))

    @model_validator(mode="after")
    def _bucket_for_s3(self) -> Self:
        if self.media_storage == "s3" and not self.media_s3_bucket:
            raise ValueError("UGC_MEDIA_S3_BUCKET must be set when UGC_MEDIA_STORAGE=s3")
        return self
