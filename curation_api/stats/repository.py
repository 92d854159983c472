"""Aggregate queries over posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session


def count_by(session: Session, column: InstrumentedAttribute[Any]) -> dict[Any, int]:
    """Number of posts per value of ``column`` (a full scan: fine for a progress view)."""
    rows = session.execute(select(column, func.count()).group_by(column))
    return {value: count for value, count in rows}


def latest(session: Session, column: InstrumentedAttribute[datetime]) -> datetime | None:
    return session.scalar(select(func.max(column)))


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
