"""Rights to reuse a creator's post: brands and their settings, message templates, versioned
terms, one current request per post with its audit trail of transitions, and the immutable
proofs of consent.

The scope is four boolean columns rather than a JSON list so that the public feed's rule
("granted, scope includes website, window contains now") is plain, portable SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database.columns import big_id, string_enum
from database.engine import Base, UtcDateTime
from database.enums import RightsActorKind, RightsMethod, RightsState, TemplateKind, TimerKind

STATE_LENGTH = 24


def _state(name: str) -> Any:
    return string_enum(RightsState, name, length=STATE_LENGTH)


class Brand(Base):
    """A brand whose posts are curated: a post belongs to it when it carries one of its
    hashtags. Holds what a rights request needs (approval hashtag, delays, default scope)."""

    __tablename__ = "brands"

    slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    approval_hashtag: Mapped[str] = mapped_column(String(255))
    require_mention: Mapped[bool] = mapped_column(Boolean)
    # network -> the brand's handle there, e.g. {"mastodon": "@brewnorth@example.social"}
    accounts: Mapped[dict[str, str]] = mapped_column(JSON)
    reminder_after_s: Mapped[int] = mapped_column(Integer)
    expire_after_s: Mapped[int] = mapped_column(Integer)
    scope_website: Mapped[bool] = mapped_column(Boolean)
    scope_social: Mapped[bool] = mapped_column(Boolean)
    scope_ads: Mapped[bool] = mapped_column(Boolean)
    scope_email: Mapped[bool] = mapped_column(Boolean)
    default_window_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    hashtags: Mapped[list[BrandHashtag]] = relationship(
        lazy="selectin", order_by="BrandHashtag.tag", cascade="all, delete-orphan"
    )


class BrandHashtag(Base):
    __tablename__ = "brand_hashtags"

    brand_slug: Mapped[str] = mapped_column(
        ForeignKey("brands.slug", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class RightsTemplate(Base):
    """A message of one kind for one network and language; ``*`` matches any."""

    __tablename__ = "rights_templates"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    brand_slug: Mapped[str] = mapped_column(ForeignKey("brands.slug", ondelete="CASCADE"))
    kind: Mapped[TemplateKind] = mapped_column(string_enum(TemplateKind, "kind"))
    network: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("brand_slug", "kind", "network", "language"),)


class TermsVersion(Base):
    """One version of a brand's terms of use. Never updated: a change is a new version."""

    __tablename__ = "terms_versions"

    brand_slug: Mapped[str] = mapped_column(ForeignKey("brands.slug"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RightsRequest(Base):
    """The current rights request of a post (at most one; a new request after an expiry
    reuses the row, the transitions keep the history)."""

    __tablename__ = "rights_requests"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.post_id"), unique=True)
    brand_slug: Mapped[str] = mapped_column(ForeignKey("brands.slug"))
    state: Mapped[RightsState] = mapped_column(_state("state"))
    method: Mapped[RightsMethod] = mapped_column(string_enum(RightsMethod, "method"))
    terms_version: Mapped[int | None] = mapped_column(Integer)
    request_text: Mapped[str | None] = mapped_column(Text)
    scope_website: Mapped[bool] = mapped_column(Boolean)
    scope_social: Mapped[bool] = mapped_column(Boolean)
    scope_ads: Mapped[bool] = mapped_column(Boolean)
    scope_email: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_reply_id: Mapped[str | None] = mapped_column(Text)
    sent_permalink: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The next timer of the request, polled by curation_api.rights.timers.
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    due_kind: Mapped[TimerKind | None] = mapped_column(string_enum(TimerKind, "due_kind"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # The inbox: one state, most recently changed first, keyset on (updated_at, id).
        Index("ix_rights_requests_state_updated_at_id", "state", "updated_at", "id"),
        # The timers' poll.
        Index("ix_rights_requests_next_due_at", "next_due_at"),
        # A feed's next window boundary: the first start or end after now, in index order.
        Index("ix_rights_requests_starts_at", "starts_at"),
        Index("ix_rights_requests_ends_at", "ends_at"),
    )


class RightsTransition(Base):
    """One change of a request's state, kept forever, with who or what made it."""

    __tablename__ = "rights_transitions"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(big_id(), ForeignKey("rights_requests.id"))
    from_state: Mapped[RightsState | None] = mapped_column(_state("from_state"))
    to_state: Mapped[RightsState] = mapped_column(_state("to_state"))
    actor_kind: Mapped[RightsActorKind] = mapped_column(string_enum(RightsActorKind, "actor_kind"))
    actor: Mapped[str] = mapped_column(String(255))
    reply_id: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_rights_transitions_request_id_id", "request_id", "id"),)


class RightsProof(Base):
    """What a grant rested on, as canonical JSON with its SHA-256. Never updated."""

    __tablename__ = "rights_proofs"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(big_id(), ForeignKey("rights_requests.id"), index=True)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RightsAttachment(Base):
    """A file a moderator attached to a post's rights record (a screenshot of the creator's
    "yes", an e-mail): stored here with its SHA-256, never changed. ``transition_id`` is the
    decision that cited it, set once; the proof of a grant lists the hashes of its files."""

    __tablename__ = "rights_attachments"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.post_id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(255))
    transition_id: Mapped[int | None] = mapped_column(big_id(), ForeignKey("rights_transitions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
