"""Copies of posts' media served from our own origin: network URLs expire (Instagram's CDN
links last days) or refuse hotlinking, so a publishable post's images are fetched once, stored
in resized WebP variants and served by the API.

One row per item of ``posts.media`` (``position`` is its index there). The row is also the
copy's timer: a pending copy is due at ``next_attempt_at`` (a retry after a failed fetch, or
the lease of a worker that claimed it), polled through ``ix_media_copies_state_next_attempt_at``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from database.columns import big_id, string_enum
from database.engine import Base, UtcDateTime

CONTENT_TYPE_LENGTH = 64


class MediaCopyState(StrEnum):
    PENDING = "pending"  # to be fetched (first time or retry), due at next_attempt_at
    STORED = "stored"  # variants in the store
    FAILED = "failed"  # given up; last_error says why
    DELETED = "deleted"  # the post stopped being publishable; its variants were removed


class MediaCopy(Base):
    __tablename__ = "media_copies"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.post_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    source_url: Mapped[str] = mapped_column(Text)
    alt_text: Mapped[str | None] = mapped_column(Text)
    state: Mapped[MediaCopyState] = mapped_column(string_enum(MediaCopyState, "state"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The sniffed type of the original (image/jpeg, ...), and its size after EXIF rotation.
    content_type: Mapped[str | None] = mapped_column(String(CONTENT_TYPE_LENGTH))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # [{"width", "height", "key", "bytes"}], narrowest first; [] until stored.
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # One copy per media item; also serves "the copies of these posts" (leading post_id).
        UniqueConstraint("post_id", "position"),
        # The worker's poll: pending copies, soonest due first; and stored ones to re-check.
        Index("ix_media_copies_state_next_attempt_at", "state", "next_attempt_at"),
    )
