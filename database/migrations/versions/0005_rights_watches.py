"""The rights requests the ingest worker watches for replies (``rights_watches``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rights_watches",
        sa.Column(
            "request_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("post_id", sa.String(255), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("sent_id", sa.String(255), nullable=False),
        sa.Column("sent_at", _utc(), nullable=False),
        sa.Column("watch_until", _utc(), nullable=False),
        sa.Column("next_poll_at", _utc(), nullable=False),
        sa.Column("seen_reply_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rights_watches")),
    )
    op.create_index("ix_rights_watches_next_poll_at", "rights_watches", ["next_poll_at"])


def downgrade() -> None:
    op.drop_index("ix_rights_watches_next_poll_at", table_name="rights_watches")
    op.drop_table("rights_watches")
