"""Where media variants live: a directory on one machine, an S3-compatible bucket in
production. Both behind the three calls the worker and the route need."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.exceptions import ClientError

from curation_api.media.settings import MediaSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3's DeleteObjects takes at most this many keys per call.
S3_DELETE_BATCH = 1000


class MediaStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there."""

    def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None when there are none."""

    def delete(self, keys: Sequence[str]) -> None:
        """Remove ``keys``; a missing key is not an error (deletion is retried)."""


class UnsafeKey(ValueError):
    """A key that would leave the store's root."""


class DirectoryStore:
    """Files under ``root``; a write goes to a temporary file renamed into place, so a reader
    never sees half an image."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_of(self, key: str) -> Path:
        """The file of ``key``; :class:`UnsafeKey` when it would lie outside the root."""
        path = (self.root / key).resolve()
        if not key or Path(key).is_absolute() or not path.is_relative_to(self.root):
            raise UnsafeKey(f"media key {key!r} is outside the store")
        if path == self.root:
            raise UnsafeKey(f"media key {key!r} names the store itself")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:  # noqa: ARG002
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self.path_of(key).read_bytes()
        except (FileNotFoundError, UnsafeKey):
            return None

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            path = self.path_of(key)
            path.unlink(missing_ok=True)
            # The copy's directory goes with its last variant; another copy's never does.
            if path.parent != self.root:
                with contextlib.suppress(OSError):
                    path.parent.rmdir()


class S3Store:
    """Objects in one bucket of an S3-compatible service."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return answer["Body"].read()

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), S3_DELETE_BATCH):
            batch = keys[start : start + S3_DELETE_BATCH]
            answer = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise RuntimeError(
                    f"{len(errors)} media objects not deleted: "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )


def store_from_settings(settings: MediaSettings) -> MediaStore:
    """The store ``settings`` name."""
    if settings.media_storage == "directory":
        return DirectoryStore(settings.media_directory)
    secret = settings.media_s3_secret_access_key
    client = boto3.client(
        "s3",
        endpoint_url=settings.media_s3_endpoint_url,
        region_name=settings.media_s3_region,
        aws_access_key_id=settings.media_s3_access_key_id,
        aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
    )
    return S3Store(client, settings.media_s3_bucket)
