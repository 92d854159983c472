"""The database: scored posts with their moderation state, feeds, the moderation audit log, and
the listening jobs the ingest worker runs.

The sink writes the contract fields of :class:`Post` (see ``sink/repository.py``); moderators
own ``status`` and ``moderated_*``. Hashtags live in their own tables so that hashtag filters
are plain, indexable SQL on every backend. Listening jobs are written by people (API, CLI);
their health and positions by the ingest worker (``ingest/jobs/store.py``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contract import RiskLevel, Sentiment
from database.alert_models import AlertSensitivity as AlertSensitivity
from database.alert_models import AlertSetting as AlertSetting
from database.alert_models import Incident as Incident
from database.alert_models import IncidentPost as IncidentPost
from database.alert_models import IncidentStatus as IncidentStatus
from database.alert_models import ResolveReason as ResolveReason
from database.columns import big_id, string_enum
from database.engine import Base, UtcDateTime
from database.enums import JobStatus, ListeningMode
from database.media_models import MediaCopy as MediaCopy
from database.media_models import MediaCopyState as MediaCopyState
from database.outbox import OutboxMessage as OutboxMessage
from database.rights_models import Brand as Brand
from database.rights_models import BrandHashtag as BrandHashtag
from database.rights_models import RightsAttachment as RightsAttachment
from database.rights_models import RightsProof as RightsProof
from database.rights_models import RightsRequest as RightsRequest
from database.rights_models import RightsTemplate as RightsTemplate
from database.rights_models import RightsTransition as RightsTransition
from database.rights_models import TermsVersion as TermsVersion
from database.rights_watch import RightsPacing as RightsPacing
from database.rights_watch import RightsWatch as RightsWatch
from database.webhook_models import WebhookAttempt as WebhookAttempt
from database.webhook_models import WebhookDelivery as WebhookDelivery
from database.webhook_models import WebhookEndpoint as WebhookEndpoint
from database.webhook_models import WebhookEvent as WebhookEvent


class PostStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ModerationVerb(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REPORT = "report"  # a visitor reported the post from a widget: it went back to pending


def _enum(enum: type[StrEnum], name: str) -> Enum:
    return string_enum(enum, name)


class Post(Base):
    __tablename__ = "posts"

    post_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    native_id: Mapped[str] = mapped_column(String(255))
    schema_version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(Text)
    author_handle: Mapped[str] = mapped_column(Text)
    author_display_name: Mapped[str | None] = mapped_column(Text)
    author_followers: Mapped[int | None] = mapped_column(BigInteger)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    permalink: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(35))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime)

    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)

    sentiment: Mapped[Sentiment] = mapped_column(_enum(Sentiment, "sentiment"))
    sentiment_scores: Mapped[dict[str, float]] = mapped_column(JSON)
    risk: Mapped[RiskLevel] = mapped_column(_enum(RiskLevel, "risk"))
    safety_scores: Mapped[dict[str, float]] = mapped_column(JSON)
    garm_scores: Mapped[dict[str, float]] = mapped_column(JSON)
    risk_reasons: Mapped[list[str]] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(Text)
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # ScoredPost.detected_language, flattened. The three are NULL together when the classifier
    # sent no detection (an older build); detected_language alone is NULL when it found too
    # little text to name a language, so "was there a detection" is language_supported IS NOT
    # NULL.
    detected_language: Mapped[str | None] = mapped_column(String(16))
    language_confidence: Mapped[float | None] = mapped_column(Float)
    language_supported: Mapped[bool | None] = mapped_column(Boolean)
    # The server default gives posts stored before the classifier sent the flag a definite
    # "not known to be a guess" instead of NULL, so that the queue filter has two values only.
    low_confidence: Mapped[bool] = mapped_column(Boolean, server_default=false())

    status: Mapped[PostStatus] = mapped_column(
        _enum(PostStatus, "status"), default=PostStatus.PENDING
    )
    moderated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    moderated_by: Mapped[str | None] = mapped_column(String(255))

    # When the sink first wrote the row (benchmarks measure produce -> row latency with it) and
    # when anything about it last changed.
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the network reported the original deleted: the post leaves every feed at once.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    hashtags: Mapped[list[PostHashtag]] = relationship(
        lazy="raise", order_by="PostHashtag.tag", viewonly=True
    )
    rights_request: Mapped[RightsRequest | None] = relationship(lazy="raise", viewonly=True)

    __table_args__ = (
        # The moderation queue: one status, newest first, keyset on (created_at, post_id).
        Index("ix_posts_status_created_at_post_id", "status", "created_at", "post_id"),
        # The queue with status=all.
        Index("ix_posts_created_at_post_id", "created_at", "post_id"),
    )


# The low-confidence review queue (status=pending&low_confidence=true, newest first). Partial:
# low-confidence posts are expected to be the minority, so the index stays small and costs the
# sink little, while the other side of the filter (the majority) is served well enough by
# ix_posts_status_created_at_post_id. The predicate is spelled per dialect as the queue's filter
# renders there: SQLite has no boolean type and only uses a partial index when the query repeats
# the index's term, `low_confidence = 1`.
Index(
    "ix_posts_low_confidence_status_created_at_post_id",
    Post.status,
    Post.created_at,
    Post.post_id,
    postgresql_where=Post.low_confidence,
    sqlite_where=Post.low_confidence == true(),
)


class PostHashtag(Base):
    __tablename__ = "post_hashtags"

    post_id: Mapped[str] = mapped_column(
        ForeignKey("posts.post_id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class Feed(Base):
    __tablename__ = "feeds"

    slug: Mapped[str] = mapped_column(String(63), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The public page shows only posts whose reuse rights are granted for the website.
    requires_rights: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Bumped in the transaction of every change that can change what the feed shows
    # (:mod:`database.feed_versions`); the API's page cache compares it.
    content_version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    hashtags: Mapped[list[FeedHashtag]] = relationship(
        lazy="selectin", order_by="FeedHashtag.tag", cascade="all, delete-orphan"
    )


class FeedHashtag(Base):
    __tablename__ = "feed_hashtags"

    feed_slug: Mapped[str] = mapped_column(
        ForeignKey("feeds.slug", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(255), primary_key=True)


class ModerationAction(Base):
    """One approve or reject, kept forever: who did what to which post, when, and why."""

    __tablename__ = "moderation_actions"

    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.post_id"))
    action: Mapped[ModerationVerb] = mapped_column(_enum(ModerationVerb, "action"))
    actor: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    # A post's audit trail, oldest first, keyset on id.
    __table_args__ = (Index("ix_moderation_actions_post_id_id", "post_id", "id"),)


_JobId = big_id()


class ListeningJob(Base):
    """One hashtag listening job: what to listen to, where, and under which secrets' name.

    ``revision`` grows with every change, so that the worker restarts a job whose definition
    changed, and a failure reported for an older revision does not stop the new one.
    """

    __tablename__ = "listening_jobs"

    id: Mapped[int] = mapped_column(_JobId, primary_key=True, autoincrement=True)
    network: Mapped[str] = mapped_column(String(32))
    mode: Mapped[ListeningMode] = mapped_column(_enum(ListeningMode, "mode"))
    hashtags: Mapped[list[str]] = mapped_column(JSON)
    credentials_ref: Mapped[str | None] = mapped_column(String(63))
    poll_interval_s: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    health: Mapped[ListeningJobHealth] = relationship(
        lazy="selectin", cascade="all, delete-orphan", passive_deletes=True
    )


class ListeningJobHealth(Base):
    """How a job is doing, as the ingest worker last reported it."""

    __tablename__ = "listening_job_health"

    job_id: Mapped[int] = mapped_column(
        _JobId,
        ForeignKey("listening_jobs.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "status"))
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    posts_collected: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    backoff_s: Mapped[float] = mapped_column(Float)
    budget_remaining: Mapped[float | None] = mapped_column(Float)
    budget_limit: Mapped[float | None] = mapped_column(Float)
    budget_unit: Mapped[str | None] = mapped_column(String(32))
    budget_resets_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ListeningPosition(Base):
    """Where a job got to on one of its cursors (a hashtag's newest id, a stream cursor).

    Saved only after the broker acknowledged everything before it; deleted with the job.
    """

    __tablename__ = "listening_positions"

    job_id: Mapped[int] = mapped_column(
        _JobId, ForeignKey("listening_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    position: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


# Registers the flush hook that bumps the feeds' content versions, wherever models are used.
from database import feed_versions as feed_versions  # noqa: E402
