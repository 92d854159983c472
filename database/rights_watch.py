"""The rights requests the ingest worker sent and now watches for the creator's reply.

Written by the ingest rights worker when a send succeeds (``ingest/rights/watches.py``), read by
its reply watcher. It lives in the database, not in memory, so that a restart neither forgets a
request nor emits a reply it already reported: ``seen_reply_ids`` holds every reply emitted.
The send budget of each brand account (:class:`RightsPacing`) is here for the same reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from database.columns import big_id
from database.engine import Base, UtcDateTime


class RightsWatch(Base):
    __tablename__ = "rights_watches"

    request_id: Mapped[int] = mapped_column(big_id(), primary_key=True, autoincrement=False)
    post_id: Mapped[str] = mapped_column(String(255))
    network: Mapped[str] = mapped_column(String(32))
    #: Our own message on the network (the status whose replies are read).
    sent_id: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    watch_until: Mapped[datetime] = mapped_column(UtcDateTime)
    next_poll_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_reply_ids: Mapped[list[str]] = mapped_column(JSON)

    # The watcher's poll: what is due next.
    __table_args__ = (Index("ix_rights_watches_next_poll_at", "next_poll_at"),)


class RightsPacing(Base):
    """One network account's token bucket: ``tokens`` left at ``at`` (see
    ``ingest/rights/pacing.py``)."""

    __tablename__ = "rights_pacing"

    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
