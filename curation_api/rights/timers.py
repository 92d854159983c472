"""The rights timers: rows with a due time (``rights_requests.next_due_at``), polled from the
database. A reminder is sent once after the brand's reminder delay; after the expiry delay an
unanswered request expires. A grant's window needs no timer: the feed query checks it.

``ugc rights worker`` (:mod:`curation_api.rights.worker`) calls :func:`process_due` every
``UGC_RIGHTS_TIMERS_INTERVAL_S``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from curation_api.rights import repository, service
from database.enums import RightsState, TimerKind


def process_due(session: Session, now: datetime, *, base_url: str = "", limit: int = 100) -> int:
    """Handle every timer due at ``now`` (up to ``limit``); returns how many. Flushes only:
    the caller commits, so a crash repeats a timer instead of losing it."""
    handled = 0
    for request in repository.due_requests(session, now, limit=limit):
        if request.state not in (RightsState.SENT, RightsState.AWAITING_REPLY):
            request.next_due_at = request.due_kind = None  # answered meanwhile
        elif request.due_kind is TimerKind.REMINDER:
            service.remind(session, request, now=now, base_url=base_url)
        else:
            service.expire(session, request, now=now)
        handled += 1
    session.flush()
    return handled
