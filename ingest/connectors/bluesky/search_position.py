"""Where a Bluesky search poll got to: the window being read, and the overlap already returned.

A poll reads everything since the last complete window (``since``), paging back with
``cursor``; ``newest`` is the newest ``sortAt`` seen. Each window starts ``overlap`` before the
newest post of the last one, for posts indexed late, and the posts of that overlap are
remembered (``seen``, AT URI -> ``sortAt``) so that they are not returned twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ingest.connectors.base import position_object, position_text
from ingest.connectors.bluesky.post import parse_datetime

log = logging.getLogger(__name__)

#: Overlap posts remembered at most (a hashtag with more posts a minute re-sends some).
MAX_SEEN = 1000


@dataclass
class SearchPosition:
    """What a hashtag's position holds (saved as JSON): the window being read and the posts of
    the overlap already returned (AT URI -> sortAt)."""

    since: datetime | None = None
    newest: datetime | None = None
    cursor: str | None = None
    seen: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def load(cls, position: str | None) -> SearchPosition:
        """What :meth:`dump` wrote; an empty position (a first poll) for anything else."""
        data = position_object(position)
        if data is None:
            if position:
                log.warning("bluesky: ignoring unreadable search position %r", position)
            data = {}
        seen = data.get("seen")
        seen = seen if isinstance(seen, dict) else {}
        return cls(
            since=parse_datetime(data.get("since")),
            newest=parse_datetime(data.get("newest")),
            cursor=data["cursor"] if isinstance(data.get("cursor"), str) else None,
            seen={uri: at for uri, value in seen.items() if (at := parse_datetime(value))},
        )

    def dump(self) -> str:
        """The position as JSON text."""
        return position_text(
            {
                "since": iso(self.since),
                "newest": iso(self.newest),
                "cursor": self.cursor,
                "seen": {uri: iso(at) for uri, at in self.seen.items()},
            }
        )


def within(
    seen: dict[str, datetime], ranges: list[tuple[datetime, datetime]]
) -> dict[str, datetime]:
    """The posts whose sortAt falls in one of ``ranges``, the newest :data:`MAX_SEEN`."""
    kept = sorted(
        ((at, uri) for uri, at in seen.items() if any(a <= at <= b for a, b in ranges)),
        reverse=True,
    )
    return {uri: at for at, uri in kept[:MAX_SEEN]}


def iso(when: datetime | None) -> str | None:
    """``when`` as Bluesky writes times (UTC, milliseconds, ``Z``)."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
