"""Listening jobs, their health, and their positions (checkpoints).

New tables only, so every step is a plain CREATE/DROP on both backends. Health and positions
go with their job through ON DELETE CASCADE.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = ("poll", "stream")
JOB_STATUSES = ("pending", "ok", "backing_off", "failing")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _enum(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def _job_id() -> sa.types.TypeEngine[int]:
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "listening_jobs",
        sa.Column("id", _job_id(), autoincrement=True, nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("mode", _enum(MODES, "mode"), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("credentials_ref", sa.String(63), nullable=True),
        sa.Column("poll_interval_s", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_jobs")),
    )
    op.create_table(
        "listening_job_health",
        sa.Column("job_id", _job_id(), autoincrement=False, nullable=False),
        sa.Column("status", _enum(JOB_STATUSES, "status"), nullable=False),
        sa.Column("last_success_at", _utc(), nullable=True),
        sa.Column("posts_collected", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _utc(), nullable=True),
        sa.Column("backoff_s", sa.Float(), nullable=False),
        sa.Column("budget_remaining", sa.Float(), nullable=True),
        sa.Column("budget_limit", sa.Float(), nullable=True),
        sa.Column("budget_unit", sa.String(32), nullable=True),
        sa.Column("budget_resets_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["listening_jobs.id"],
            name=op.f("fk_listening_job_health_job_id_listening_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_listening_job_health")),
    )
    op.create_table(
        "listening_positions",
        sa.Column("job_id", _job_id(), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["listening_jobs.id"],
            name=op.f("fk_listening_positions_job_id_listening_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "key", name=op.f("pk_listening_positions")),
    )


def downgrade() -> None:
    op.drop_table("listening_positions")
    op.drop_table("listening_job_health")
    op.drop_table("listening_jobs")
