"""Which state a rights request may move to from which: the one table every rule consults, so
that an impossible move is refused with the same words wherever it is attempted."""

from __future__ import annotations

from enum import StrEnum

from database.enums import RightsState
from database.errors import Conflict

S = RightsState


class RightsMove(StrEnum):
    REQUEST = "request"
    MARK_SENT = "mark_sent"
    NEEDS_MANUAL_SEND = "needs_manual_send"
    GRANT = "grant"
    DECLINE = "decline"
    MARK_UNCLEAR = "mark_unclear"
    REVOKE = "revoke"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


# None: the post has no request yet.
_BEFORE_ANSWER: frozenset[S | None] = frozenset(
    {None, S.DRAFT, S.QUEUED, S.SENT, S.MANUAL_SEND_NEEDED, S.AWAITING_REPLY, S.UNCLEAR}
)

ALLOWED_FROM: dict[RightsMove, frozenset[S | None]] = {
    # Asking again is for a request nobody answered (expired) or one never sent.
    RightsMove.REQUEST: frozenset({None, S.DRAFT, S.EXPIRED}),
    RightsMove.MARK_SENT: frozenset({S.QUEUED, S.MANUAL_SEND_NEEDED, S.SENT}),
    # The ingest worker cannot send a queued request (the network's API cannot, or it gave up).
    RightsMove.NEEDS_MANUAL_SEND: frozenset({S.QUEUED}),
    # Consent may also be given outside the networks after a refusal, an expiry or a revocation.
    RightsMove.GRANT: _BEFORE_ANSWER | {S.DECLINED, S.EXPIRED, S.REVOKED},
    RightsMove.DECLINE: _BEFORE_ANSWER | {S.EXPIRED},
    RightsMove.MARK_UNCLEAR: frozenset({S.SENT, S.AWAITING_REPLY}),
    RightsMove.REVOKE: frozenset({S.GRANTED}),
    RightsMove.EXPIRE: frozenset({S.SENT, S.AWAITING_REPLY}),
    RightsMove.WITHDRAW: frozenset(set(S) - {S.WITHDRAWN}) | {None},
}

TARGET: dict[RightsMove, S] = {
    RightsMove.REQUEST: S.QUEUED,
    RightsMove.MARK_SENT: S.AWAITING_REPLY,
    RightsMove.NEEDS_MANUAL_SEND: S.MANUAL_SEND_NEEDED,
    RightsMove.GRANT: S.GRANTED,
    RightsMove.DECLINE: S.DECLINED,
    RightsMove.MARK_UNCLEAR: S.UNCLEAR,
    RightsMove.REVOKE: S.REVOKED,
    RightsMove.EXPIRE: S.EXPIRED,
    RightsMove.WITHDRAW: S.WITHDRAWN,
}


def check_move(move: RightsMove, current: S | None, *, post_id: str) -> S:
    """The state ``move`` leads to from ``current``, or :class:`Conflict` saying why not."""
    if current not in ALLOWED_FROM[move]:
        shown = current.value if current is not None else "no request"
        allowed = sorted(s.value if s is not None else "no request" for s in ALLOWED_FROM[move])
        raise Conflict(
            f"cannot {move.value.replace('_', ' ')} the rights of {post_id!r}: they are "
            f"{shown}; this is possible from {', '.join(allowed)}"
        )
    return TARGET[move]
