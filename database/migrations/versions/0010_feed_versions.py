"""A content version per feed, bumped by every change that can change what the feed shows;
rights windows indexed by start and by end (a feed's next boundary).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(
            sa.Column("content_version", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_index("ix_rights_requests_starts_at", "rights_requests", ["starts_at"])
    op.create_index("ix_rights_requests_ends_at", "rights_requests", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_rights_requests_ends_at", table_name="rights_requests")
    op.drop_index("ix_rights_requests_starts_at", table_name="rights_requests")
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("content_version")
