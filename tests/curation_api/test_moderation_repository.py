"""Queries of the moderation feature that the HTTP tests cannot see: which index they use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from curation_api.moderation.repository import list_posts
from database.models import PostStatus


# SQLite only: its planner's rule is deterministic, PostgreSQL picks a plan from statistics.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_low_confidence_queue_runs_on_its_partial_index(session: Session) -> None:
    connection = session.connection()
    # SQLite uses a partial index only when the query repeats the index's WHERE term, so a
    # change in how the filter is rendered (`IS 1`, say) would silently fall back to scanning
    # every pending post.
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", capture)
    try:
        list_posts(
            session,
            status=PostStatus.PENDING,
            hashtags=[],
            sentiments=[],
            risks=[],
            low_confidence=True,
            cursor=None,
            limit=51,
        )
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    statement, parameters = statements[0]

    plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()

    details = " | ".join(str(row[-1]) for row in plan)
    assert "ix_posts_low_confidence_status_created_at_post_id" in details, details
    assert "TEMP B-TREE" not in details, details
