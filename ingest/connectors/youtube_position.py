"""Where a YouTube poll got to: the newest instant produced, and a ceiling while catching up.

Search results come newest first and ``publishedAfter``/``publishedBefore`` are inclusive, to
the second. :class:`Position` keeps ``after`` (the newest ``publishedAt`` produced, with the
ids published in that second, to drop them when they come back); while a backlog is being read
it also keeps ``before`` (the oldest instant fetched so far: the next fetch reads below it) and
``top`` (the newest instant seen, where ``after`` moves once the backlog is drained).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.connectors.base import position_object, position_text
from ingest.connectors.youtube_video import video_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Instant:
    at: str  # publishedAt exactly as YouTube wrote it, sent back as publishedAfter/Before
    ids: set[str]

    @property
    def instant(self) -> datetime:
        return datetime.fromisoformat(self.at)


@dataclass(frozen=True)
class Position:
    after: Instant
    top: Instant | None = None
    before: Instant | None = None

    @classmethod
    def parse(cls, position: str | None) -> Position | None:
        if position is None:
            return None
        try:
            payload = position_object(position) or {}
            parts = {
                name: Instant(str(payload[name]), set(map(str, payload[f"{name}_ids"])))
                for name in ("after", "top", "before")
                if payload.get(name) is not None
            }
            for part in parts.values():
                part.instant  # noqa: B018  # a timestamp that does not parse is no position
            return cls(**parts)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("youtube: unreadable position, starting over with a first poll")
            return None

    def encode(self) -> str:
        payload: dict[str, Any] = {}
        for name in ("after", "top", "before"):
            part: Instant | None = getattr(self, name)
            if part is not None:
                payload[name], payload[f"{name}_ids"] = part.at, sorted(part.ids)
        return position_text(payload)


def _dated(items: list[Any]) -> list[tuple[datetime, str, str]]:
    """(instant, publishedAt, videoId) of the items that have both, for positions."""
    dated = []
    for item in items:
        native_id = video_id(item)
        snippet = item.get("snippet") if isinstance(item, dict) else None
        at = snippet.get("publishedAt") if isinstance(snippet, dict) else None
        if native_id is None or not isinstance(at, str):
            continue
        try:
            dated.append((datetime.fromisoformat(at), at, native_id))
        except ValueError:
            continue
    return dated


def newest(items: list[Any]) -> Instant | None:
    return _extreme(items, max)


def oldest(items: list[Any]) -> Instant | None:
    return _extreme(items, min)


def _extreme(items: list[Any], pick: Callable[..., datetime]) -> Instant | None:
    dated = _dated(items)
    if not dated:
        return None
    instant = pick(d[0] for d in dated)
    at = next(d[1] for d in dated if d[0] == instant)
    return Instant(at, {d[2] for d in dated if d[0] == instant})
