"""Catching up with a newest-first search (:mod:`ingest.connectors.catch_up`) over a fake feed:
the backfill, the page cap, the gap the position records, the resume, then the newer items."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from ingest.connectors.base import FetchResult
from ingest.connectors.catch_up import Backlog, CatchUp, PageCaps, Pages

PAGE_SIZE = 3


class NewestFirstFeed:
    """Items with growing ids, served newest first in pages of :data:`PAGE_SIZE`, between an
    exclusive ``since`` and an exclusive ``until`` (as X's recent search serves tweets)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.pages_read = 0

    def publish(self, count: int) -> list[int]:
        start = self.ids[-1] + 1 if self.ids else 1
        new = list(range(start, start + count))
        self.ids.extend(new)
        return new

    def read(self, since: int | None, until: int | None, pages: int) -> Pages[int, int]:
        window = [
            i
            for i in reversed(self.ids)
            if (since is None or i > since) and (until is None or i < until)
        ]
        items: list[int] = []
        for page in range(pages):
            self.pages_read += 1
            items.extend(window[page * PAGE_SIZE : (page + 1) * PAGE_SIZE])
            if len(window) <= (page + 1) * PAGE_SIZE:
                return Pages(items, max(items, default=None), reached=True)
        return Pages(items, max(items), reached=False, resume=min(items))


def encode(backlog: Backlog[int, int]) -> str:
    return json.dumps([backlog.since, backlog.resume, backlog.newest])


def decode(position: str) -> Backlog[int, int] | None:
    try:
        since, resume, newest = json.loads(position)
    except (ValueError, TypeError):
        return None
    return Backlog(since, resume, newest)


CATCH_UP = CatchUp("fake", decode, encode, max)
PAGES = PageCaps(backfill=1, most=2)


def saved(result: FetchResult) -> list[Any]:
    assert result.position is not None
    return list(json.loads(result.position))


def test_a_first_poll_takes_the_backfill_pages_and_listens_after_the_newest() -> None:
    feed = NewestFirstFeed()
    feed.publish(10)

    result = CATCH_UP.fetch("brand", None, feed.read, PageCaps(backfill=2, most=5))

    assert result.items == [10, 9, 8, 7, 6, 5]
    assert saved(result) == [10, None, None]
    assert not result.more


def test_a_first_poll_that_finds_nothing_starts_where_it_is_told_or_nowhere() -> None:
    feed = NewestFirstFeed()

    nowhere = CATCH_UP.fetch("brand", None, feed.read, PAGES)
    started = CATCH_UP.fetch("brand", None, feed.read, PAGES, start=0)

    assert nowhere.items == []
    assert nowhere.position is None
    assert saved(started) == [0, None, None]


def test_a_poll_within_the_cap_moves_the_position_to_the_newest_item() -> None:
    feed = NewestFirstFeed()
    feed.publish(3)
    position = CATCH_UP.fetch("brand", None, feed.read, PAGES).position
    new = feed.publish(4)

    result = CATCH_UP.fetch("brand", position, feed.read, PAGES)

    assert sorted(result.items) == new
    assert saved(result) == [new[-1], None, None]
    assert not result.more


def test_a_backlog_beyond_the_cap_is_read_gap_by_gap_then_the_newer_items_come() -> None:
    feed = NewestFirstFeed()
    feed.publish(3)
    position = CATCH_UP.fetch("brand", None, feed.read, PAGES).position
    backlog = feed.publish(20)  # 4 to 23: more than the 2 pages of 3 a fetch may read

    first = CATCH_UP.fetch("brand", position, feed.read, PAGES)

    assert first.items == [23, 22, 21, 20, 19, 18]
    assert first.more
    assert saved(first) == [3, 18, 23]  # the old mark, where the gap goes on, the newest seen

    later = feed.publish(2)  # 24 and 25, published while the gap is read
    got = list(first.items)
    result = first
    fetches = 0
    while result.more:
        result = CATCH_UP.fetch("brand", result.position, feed.read, PAGES)
        got.extend(result.items)
        fetches += 1

    assert fetches == 3  # 17..12, 11..6, then 5 and 4: the gap is closed
    assert sorted(got) == backlog  # each item of the gap once, none of the newer ones yet
    assert saved(result) == [23, None, None]

    after = CATCH_UP.fetch("brand", result.position, feed.read, PAGES)

    assert after.items == sorted(later, reverse=True)
    assert saved(after) == [25, None, None]


def test_a_restart_in_the_middle_of_a_gap_resumes_from_the_saved_position() -> None:
    feed = NewestFirstFeed()
    feed.publish(1)
    position = CATCH_UP.fetch("brand", None, feed.read, PAGES).position
    feed.publish(12)  # 2 to 13
    gap = CATCH_UP.fetch("brand", position, feed.read, PAGES)

    # Another process, the same saved text: it reads on from the gap, not from the newest.
    pages_before = feed.pages_read
    resumed = CatchUp("fake", decode, encode, max).fetch("brand", gap.position, feed.read, PAGES)

    assert resumed.items == [7, 6, 5, 4, 3, 2]
    assert feed.pages_read - pages_before == 2
    assert saved(resumed) == [13, None, None]


def test_pages_without_a_mark_to_narrow_the_gap_keep_the_position(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unmarked(_since: int | None, _until: int | None, pages: int) -> Pages[int, int]:
        return Pages([{"no": "id"}] * pages, newest=None, reached=False)

    with caplog.at_level(logging.WARNING, logger="ingest.connectors.catch_up"):
        result = CATCH_UP.fetch("brand", encode(Backlog(5)), unmarked, PAGES)

    assert len(result.items) == 2
    assert result.position is None
    assert not result.more
    assert "2 pages without a usable item" in caplog.text


def test_an_unreadable_position_starts_over_with_a_first_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = NewestFirstFeed()
    feed.publish(5)

    with caplog.at_level(logging.WARNING, logger="ingest.connectors.catch_up"):
        result = CATCH_UP.fetch("brand", "not a position", feed.read, PAGES)

    assert result.items == [5, 4, 3]  # backfill_pages, not max_pages
    assert saved(result) == [5, None, None]
    assert "unreadable position 'not a position' for #brand" in caplog.text


def test_the_newest_mark_is_the_later_one_as_the_network_compares_them() -> None:
    merged: list[tuple[int, int]] = []

    def newer(one: int, other: int) -> int:
        merged.append((one, other))
        return max(one, other)

    def stale(_since: int | None, _until: int | None, _pages: int) -> Pages[int, int]:
        return Pages([4], newest=4, reached=True)  # a server that ignored `since`

    result = CatchUp("fake", decode, encode, newer).fetch("brand", encode(Backlog(9)), stale, PAGES)

    assert merged == [(9, 4)]
    assert saved(result) == [9, None, None]  # the position never goes back
