"""What the media feature shows: a post's copies with their state (the moderation view), and
the variants of a stored copy (the public feed's ``srcset``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from database.media_models import MediaCopyState


class MediaVariantRead(BaseModel):
    width: int
    height: int
    url: str  # on our origin: /media/{copy_id}/{width}.webp


class StoredMediaRead(BaseModel):
    """A stored copy of the post's media item at ``position``, for the public feed."""

    position: int
    alt_text: str | None
    width: int
    height: int
    variants: list[MediaVariantRead]  # narrowest first


class MediaCopyRead(BaseModel):
    """A copy of one media item and where it stands, for the post view."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    source_url: str
    alt_text: str | None
    state: MediaCopyState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    content_type: str | None
    width: int | None
    height: int | None
    updated_at: datetime
