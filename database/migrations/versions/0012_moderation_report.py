"""Visitors' reports in the moderation audit log: the ``report`` action.

A report from a widget puts a post back in the queue and is logged as a moderation action, so
``moderation_actions.action`` gains a value and its CHECK constraint is replaced. SQLite cannot
alter a constraint: batch mode rebuilds ``moderation_actions`` there, which is safe because no
table references it (no ON DELETE CASCADE runs).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = ("approve", "reject")
WITH_REPORT = (*ACTIONS, "report")


def _action(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(*values, name="action", native_enum=False, create_constraint=True, length=16)


def upgrade() -> None:
    with op.batch_alter_table("moderation_actions") as batch:
        batch.alter_column(
            "action", existing_type=_action(ACTIONS), type_=_action(WITH_REPORT), nullable=False
        )


def downgrade() -> None:
    # The older schema cannot hold reports: they go with it.
    op.execute("DELETE FROM moderation_actions WHERE action = 'report'")
    with op.batch_alter_table("moderation_actions") as batch:
        batch.alter_column(
            "action", existing_type=_action(WITH_REPORT), type_=_action(ACTIONS), nullable=False
        )
