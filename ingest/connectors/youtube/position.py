"""Where a YouTube poll got to: the newest instant produced, and a ceiling while catching up.

Search results come newest first and ``publishedAfter``/``publishedBefore`` are inclusive, to
the second. A position (:data:`Window`) keeps ``after`` (the newest ``publishedAt`` produced,
with the ids published in that second, to drop them when they come back); while a gap is being
read (:mod:`ingest.connectors.catch_up`) it also keeps ``before`` (the oldest instant fetched so
far: the next fetch reads below it) and ``top`` (the newest instant seen, where ``after`` moves
once the gap is read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.connectors.base import position_object, position_text
from ingest.connectors.catch_up import Backlog
from ingest.connectors.youtube.video import video_id


@dataclass(frozen=True)
class Instant:
    at: str  # publishedAt exactly as YouTube wrote it, sent back as publishedAfter/Before
    ids: set[str]

    @property
    def instant(self) -> datetime:
        return datetime.fromisoformat(self.at)


#: ``after`` (since), ``before`` (where the gap goes on) and ``top`` (the newest seen).
Window = Backlog[Instant, Instant]
_NAMES = ("after", "top", "before")


def decode_window(position: str) -> Window | None:
    """What :func:`encode_window` wrote; ``None`` for anything else."""
    try:
        payload = position_object(position) or {}
        parts = {
            name: Instant(str(payload[name]), set(map(str, payload[f"{name}_ids"])))
            for name in _NAMES
            if payload.get(name) is not None
        }
        for part in parts.values():
            part.instant  # noqa: B018  # a timestamp that does not parse is no position
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if "after" not in parts:
        return None
    return Backlog(parts["after"], resume=parts.get("before"), newest=parts.get("top"))


def encode_window(window: Window) -> str:
    """Each instant as ``{name}`` and ``{name}_ids``; ``top`` and ``before`` only in a gap."""
    payload: dict[str, Any] = {}
    for name, part in zip(_NAMES, (window.since, window.newest, window.resume), strict=True):
        if part is not None:
            payload[name], payload[f"{name}_ids"] = part.at, sorted(part.ids)
    return position_text(payload)


def later(one: Instant, other: Instant) -> Instant:
    """The later of two instants; of one second, both its ids (each was seen there)."""
    if one.instant == other.instant:
        return Instant(one.at, one.ids | other.ids)
    return one if one.instant > other.instant else other


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
    """The newest ``publishedAt`` among ``items``, with the ids published then."""
    return _extreme(items, max)


def oldest(items: list[Any]) -> Instant | None:
    """The oldest ``publishedAt`` among ``items``, with the ids published then."""
    return _extreme(items, min)


def _extreme(items: list[Any], pick: Callable[..., datetime]) -> Instant | None:
    dated = _dated(items)
    if not dated:
        return None
    instant = pick(d[0] for d in dated)
    at = next(d[1] for d in dated if d[0] == instant)
    return Instant(at, {d[2] for d in dated if d[0] == instant})
