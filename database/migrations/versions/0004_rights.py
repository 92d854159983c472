"""Rights to reuse posts: brands, templates, terms versions, requests with their transitions
and proofs, the outbox; ``posts.withdrawn_at`` and ``feeds.requires_rights``.

New tables are plain CREATE/DROP on both backends. ``posts`` and ``feeds`` are altered in place
(``recreate="never"``; SQLite 3.35 or newer for the downgrade's DROP COLUMN): rebuilding them
would cascade-delete their hashtags (see 0002). Existing feeds get ``requires_rights`` true,
the issue's default: a feed shows nothing until rights are granted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = (
    "draft",
    "queued",
    "sent",
    "manual_send_needed",
    "awaiting_reply",
    "granted",
    "declined",
    "unclear",
    "expired",
    "revoked",
    "withdrawn",
)
METHODS = ("api", "manual")
ACTOR_KINDS = ("moderator", "rule", "creator", "timer", "network")
TEMPLATE_KINDS = ("request", "thank_you", "reminder")
TIMER_KINDS = ("reminder", "expiry")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum(values: Sequence[str], name: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def _id() -> sa.types.TypeEngine[int]:
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _scope() -> list[sa.Column[bool]]:
    return [
        sa.Column(f"scope_{channel}", sa.Boolean(), nullable=False)
        for channel in ("website", "social", "ads", "email")
    ]


def upgrade() -> None:
    op.create_table(
        "brands",
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("approval_hashtag", sa.String(255), nullable=False),
        sa.Column("require_mention", sa.Boolean(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("reminder_after_s", sa.Integer(), nullable=False),
        sa.Column("expire_after_s", sa.Integer(), nullable=False),
        *_scope(),
        sa.Column("default_window_days", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_brands")),
    )
    op.create_table(
        "brand_hashtags",
        sa.Column("brand_slug", sa.String(63), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_slug"],
            ["brands.slug"],
            name=op.f("fk_brand_hashtags_brand_slug_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_slug", "tag", name=op.f("pk_brand_hashtags")),
    )
    op.create_index("ix_brand_hashtags_tag", "brand_hashtags", ["tag"])
    op.create_table(
        "rights_templates",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("brand_slug", sa.String(63), nullable=False),
        sa.Column("kind", _enum(TEMPLATE_KINDS, "kind"), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_slug"],
            ["brands.slug"],
            name=op.f("fk_rights_templates_brand_slug_brands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_templates")),
        sa.UniqueConstraint(
            "brand_slug", "kind", "network", "language", name=op.f("uq_rights_templates_brand_slug")
        ),
    )
    op.create_table(
        "terms_versions",
        sa.Column("brand_slug", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_slug"], ["brands.slug"], name=op.f("fk_terms_versions_brand_slug_brands")
        ),
        sa.PrimaryKeyConstraint("brand_slug", "version", name=op.f("pk_terms_versions")),
    )
    op.create_table(
        "rights_requests",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.Column("brand_slug", sa.String(63), nullable=False),
        sa.Column("state", _enum(STATES, "state", 24), nullable=False),
        sa.Column("method", _enum(METHODS, "method"), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=True),
        sa.Column("request_text", sa.Text(), nullable=True),
        *_scope(),
        sa.Column("starts_at", _utc(), nullable=True),
        sa.Column("ends_at", _utc(), nullable=True),
        sa.Column("sent_reply_id", sa.Text(), nullable=True),
        sa.Column("sent_permalink", sa.Text(), nullable=True),
        sa.Column("sent_at", _utc(), nullable=True),
        sa.Column("reminded_at", _utc(), nullable=True),
        sa.Column("next_due_at", _utc(), nullable=True),
        sa.Column("due_kind", _enum(TIMER_KINDS, "due_kind"), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_slug"], ["brands.slug"], name=op.f("fk_rights_requests_brand_slug_brands")
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.post_id"], name=op.f("fk_rights_requests_post_id_posts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
        sa.UniqueConstraint("post_id", name=op.f("uq_rights_requests_post_id")),
    )
    op.create_index("ix_rights_requests_next_due_at", "rights_requests", ["next_due_at"])
    op.create_index(
        "ix_rights_requests_state_updated_at_id", "rights_requests", ["state", "updated_at", "id"]
    )
    op.create_table(
        "rights_transitions",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("request_id", _id(), nullable=False),
        sa.Column("from_state", _enum(STATES, "from_state", 24), nullable=True),
        sa.Column("to_state", _enum(STATES, "to_state", 24), nullable=False),
        sa.Column("actor_kind", _enum(ACTOR_KINDS, "actor_kind"), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("reply_id", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_transitions_request_id_rights_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_transitions")),
    )
    op.create_index(
        "ix_rights_transitions_request_id_id", "rights_transitions", ["request_id", "id"]
    )
    op.create_table(
        "rights_proofs",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("request_id", _id(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name=op.f("fk_rights_proofs_request_id_rights_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_proofs")),
    )
    op.create_index("ix_rights_proofs_request_id", "rights_proofs", ["request_id"])
    op.create_table(
        "outbox",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_published_at_id", "outbox", ["published_at", "id"])
    with op.batch_alter_table("feeds", recreate="never") as batch:
        batch.add_column(
            sa.Column("requires_rights", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("posts", recreate="never") as batch:
        batch.add_column(sa.Column("withdrawn_at", _utc(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", recreate="never") as batch:
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("feeds", recreate="never") as batch:
        batch.drop_column("requires_rights")
    op.drop_table("outbox")
    op.drop_table("rights_proofs")
    op.drop_table("rights_transitions")
    op.drop_table("rights_requests")
    op.drop_table("terms_versions")
    op.drop_table("rights_templates")
    op.drop_table("brand_hashtags")
    op.drop_table("brands")
