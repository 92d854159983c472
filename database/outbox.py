"""The transactional outbox: a message for a topic, written in the same transaction as the
change of state it announces, and published later by a relay (which sets ``published_at``).
A click is never lost between the database and the broker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from database.columns import big_id
from database.engine import Base, UtcDateTime


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(Text)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    # The relay's poll: unpublished messages in the order they were written.
    __table_args__ = (Index("ix_outbox_published_at_id", "published_at", "id"),)


def enqueue(session: Session, *, topic: str, key: str, value: bytes, now: datetime) -> None:
    """Add a message to the outbox of the session's transaction (nothing is sent now)."""
    session.add(OutboxMessage(topic=topic, key=key, value=value, created_at=now, attempts=0))
