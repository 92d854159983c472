"""Spike incidents from ugc.alerts and the alert settings of each hashtag.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("hashtag", sa.String(255), nullable=False),
        sa.Column(
            "sensitivity", _enum(("fewer", "balanced", "more"), "alert_sensitivity"), nullable=True
        ),
        sa.Column("min_volume", sa.Integer(), nullable=True),
        sa.Column("cooldown_minutes", sa.Integer(), nullable=True),
        sa.Column("snoozed_until", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("hashtag", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(320), nullable=False),
        sa.Column("hashtag", sa.String(255), nullable=False),
        sa.Column(
            "status",
            _enum(("firing", "acknowledged", "resolved"), "incident_status"),
            nullable=False,
        ),
        sa.Column("window_start", _utc(), nullable=False),
        sa.Column("window_end", _utc(), nullable=False),
        sa.Column("negative_count", sa.Integer(), nullable=False),
        sa.Column("expected_negative", sa.Float(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("negative_share", sa.Float(), nullable=False),
        sa.Column("baseline_share", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("peak_score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("top_posts", sa.JSON(), nullable=False),
        sa.Column("top_terms", sa.JSON(), nullable=False),
        sa.Column("networks", sa.JSON(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("detected_at", _utc(), nullable=False),
        sa.Column("as_of", _utc(), nullable=True),
        sa.Column("first_seen", _utc(), nullable=False),
        sa.Column("last_seen", _utc(), nullable=False),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", _utc(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("resolve_reason", _enum(("auto", "person"), "resolve_reason"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_first_seen_id", "incidents", ["first_seen", "id"])
    op.create_index(
        "ix_incidents_status_first_seen_id", "incidents", ["status", "first_seen", "id"]
    )
    op.create_index(
        "ix_incidents_hashtag_first_seen_id", "incidents", ["hashtag", "first_seen", "id"]
    )
    op.create_table(
        "incident_posts",
        sa.Column("incident_id", sa.String(320), nullable=False),
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_posts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "post_id", name=op.f("pk_incident_posts")),
    )


def downgrade() -> None:
    op.drop_table("incident_posts")
    op.drop_index("ix_incidents_hashtag_first_seen_id", table_name="incidents")
    op.drop_index("ix_incidents_status_first_seen_id", table_name="incidents")
    op.drop_index("ix_incidents_first_seen_id", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("alert_settings")
