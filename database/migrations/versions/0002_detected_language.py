"""Detected language and low-confidence flag on posts, and the low-confidence queue's index.

Every step alters ``posts`` in place (``recreate="never"``; SQLite 3.35 or newer for the
downgrade's DROP COLUMN). Batch mode's default would rebuild the table on SQLite, and dropping
the old ``posts`` with foreign keys on deletes every hashtag row through ON DELETE CASCADE, or
fails on the audit log's foreign key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOW_CONFIDENCE_INDEX = "ix_posts_low_confidence_status_created_at_post_id"


def upgrade() -> None:
    # Existing rows get low_confidence false: nothing said their scores were a guess.
    with op.batch_alter_table("posts", recreate="never") as batch:
        batch.add_column(sa.Column("detected_language", sa.String(16), nullable=True))
        batch.add_column(sa.Column("language_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("language_supported", sa.Boolean(), nullable=True))
        batch.add_column(
            sa.Column("low_confidence", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index(
            LOW_CONFIDENCE_INDEX,
            ["status", "created_at", "post_id"],
            postgresql_where=sa.text("low_confidence"),
            sqlite_where=sa.text("low_confidence = 1"),
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", recreate="never") as batch:
        batch.drop_index(LOW_CONFIDENCE_INDEX)
        batch.drop_column("low_confidence")
        batch.drop_column("language_supported")
        batch.drop_column("language_confidence")
        batch.drop_column("detected_language")
