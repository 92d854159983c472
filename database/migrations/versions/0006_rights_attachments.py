"""Files attached to rights decisions (``rights_attachments``): a screenshot of a creator's
consent given outside the networks, stored with its SHA-256.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rights_attachments",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.String(300), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(255), nullable=False),
        sa.Column("transition_id", _id(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.post_id"], name=op.f("fk_rights_attachments_post_id_posts")
        ),
        sa.ForeignKeyConstraint(
            ["transition_id"],
            ["rights_transitions.id"],
            name=op.f("fk_rights_attachments_transition_id_rights_transitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_attachments")),
    )
    op.create_index("ix_rights_attachments_post_id", "rights_attachments", ["post_id"])


def downgrade() -> None:
    op.drop_index("ix_rights_attachments_post_id", table_name="rights_attachments")
    op.drop_table("rights_attachments")
