"""Initial schema: posts with hashtags, feeds with hashtags, moderation audit log.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENTIMENTS = ("negative", "neutral", "positive")
RISK_LEVELS = ("floor", "high", "medium", "low", "none")
STATUSES = ("pending", "approved", "rejected")
ACTIONS = ("approve", "reject")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("native_id", sa.String(255), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Text(), nullable=False),
        sa.Column("author_handle", sa.Text(), nullable=False),
        sa.Column("author_display_name", sa.Text(), nullable=True),
        sa.Column("author_followers", sa.BigInteger(), nullable=True),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("language", sa.String(35), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("collected_at", _utc(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("reposts", sa.BigInteger(), nullable=True),
        sa.Column("replies", sa.BigInteger(), nullable=True),
        sa.Column("quotes", sa.BigInteger(), nullable=True),
        sa.Column("sentiment", _enum(SENTIMENTS, "sentiment"), nullable=False),
        sa.Column("sentiment_scores", sa.JSON(), nullable=False),
        sa.Column("risk", _enum(RISK_LEVELS, "risk"), nullable=False),
        sa.Column("safety_scores", sa.JSON(), nullable=False),
        sa.Column("garm_scores", sa.JSON(), nullable=False),
        sa.Column("risk_reasons", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("scored_at", _utc(), nullable=False),
        sa.Column("status", _enum(STATUSES, "status"), nullable=False),
        sa.Column("moderated_at", _utc(), nullable=True),
        sa.Column("moderated_by", sa.String(255), nullable=True),
        sa.Column("ingested_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_posts")),
    )
    op.create_index(
        "ix_posts_status_created_at_post_id", "posts", ["status", "created_at", "post_id"]
    )
    op.create_index("ix_posts_created_at_post_id", "posts", ["created_at", "post_id"])

    op.create_table(
        "post_hashtags",
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.post_id"],
            name=op.f("fk_post_hashtags_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", "tag", name=op.f("pk_post_hashtags")),
    )
    op.create_index(op.f("ix_post_hashtags_tag"), "post_hashtags", ["tag"])

    op.create_table(
        "feeds",
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_feeds")),
    )
    op.create_table(
        "feed_hashtags",
        sa.Column("feed_slug", sa.String(63), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_slug"],
            ["feeds.slug"],
            name=op.f("fk_feed_hashtags_feed_slug_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_slug", "tag", name=op.f("pk_feed_hashtags")),
    )

    op.create_table(
        "moderation_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.Column("action", _enum(ACTIONS, "action"), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.post_id"], name=op.f("fk_moderation_actions_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_actions")),
    )
    op.create_index("ix_moderation_actions_post_id_id", "moderation_actions", ["post_id", "id"])


def downgrade() -> None:
    op.drop_table("moderation_actions")
    op.drop_table("feed_hashtags")
    op.drop_table("feeds")
    op.drop_table("post_hashtags")
    op.drop_table("posts")
