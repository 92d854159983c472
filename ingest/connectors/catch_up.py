"""Catching up with a search that answers newest first, a page cap at a time, without a hole.

X's recent search, Reddit's search and YouTube's search return the newest items first and page
only backwards. A poll reads back from the newest item until it reaches the saved position (the
*mark* where everything produced so far ends). A first poll (no position) reads
``backfill_pages`` pages of history and no more.

The page cap (``max_pages``) needs care: a fetch stopped by it leaves a gap between the old mark
and the oldest item it read. Saving the newest mark would skip the gap for ever; keeping the old
one would read the same newest pages again and never reach it. So the position becomes a
:class:`Backlog`: the old mark, where the gap goes on (``resume``: a cursor that never expires,
or the oldest item read as a ceiling) and the newest mark seen, and the result says ``more``.
The next fetch reads only the gap; once it reaches the old mark, the position becomes the newest
mark and polling goes on from there, so the items published meanwhile come next.

Each network says how to write its position and how two marks compare (its :class:`CatchUp`)
and how to read pages (a :data:`Reader`); each job how many pages (:class:`PageCaps`).
:meth:`CatchUp.fetch` does the rest, identically for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ingest.connectors.base import FetchResult, JobSpec
from ingest.connectors.options import int_option

log = logging.getLogger(__name__)

M = TypeVar("M")  # a mark: where produced items end (an id, a time), newest the greatest
R = TypeVar("R")  # where reading a gap goes on: a cursor, or the oldest mark read (a ceiling)


@dataclass(frozen=True)
class Backlog(Generic[M, R]):
    """A saved position: everything up to ``since`` is produced. While a gap is open,
    ``resume`` says where reading goes on and ``newest`` is where ``since`` moves after it."""

    since: M
    resume: R | None = None
    newest: M | None = None


@dataclass(frozen=True)
class Pages(Generic[M, R]):
    """What one read of newest-first pages found: its items, the newest mark among them, and
    whether it got back to the mark (or to the end of the results); if not, where the next
    page would start (``None``: no way to go on, such as full pages without a usable mark)."""

    items: Sequence[Any]
    newest: M | None
    reached: bool
    resume: R | None = None


#: Reads at most ``pages`` pages newer than a mark (``None``: from the newest item back), from
#: the start of the results or from a gap's ``resume``.
Reader = Callable[[M | None, R | None, int], Pages[M, R]]


@dataclass(frozen=True)
class PageCaps:
    """How many pages one fetch reads: ``backfill`` on a first poll, at most ``most`` after."""

    backfill: int = 1
    most: int = 10

    @classmethod
    def of(cls, job: JobSpec, *, most: int = 10) -> PageCaps:
        """The job's options ``backfill_pages`` (default 1) and ``max_pages`` (default ``most``)."""
        return cls(int_option(job, "backfill_pages", 1), int_option(job, "max_pages", most))


@dataclass(frozen=True)
class CatchUp(Generic[M, R]):
    """How one network's newest-first search is caught up with.

    ``decode`` returns ``None`` for a text it cannot read (the fetch then starts over: the
    duplicates are dropped downstream); ``newer`` is the later of two marks (merging them
    where two marks of one instant both count).
    """

    network: str
    decode: Callable[[str], Backlog[M, R] | None]
    encode: Callable[[Backlog[M, R]], str]
    newer: Callable[[M, M], M]

    def fetch(
        self,
        tag: str,
        position: str | None,
        read: Reader[M, R],
        pages: PageCaps,
        *,
        start: M | None = None,
    ) -> FetchResult:
        """The items of ``tag`` after ``position``, and the position that covers them.

        ``start`` is where a first poll that finds nothing starts listening from (``None``:
        nowhere yet, the next poll is a first poll again).
        """
        backlog = self._load(tag, position)
        if backlog is None:
            first = read(None, None, pages.backfill)
            since = first.newest if first.newest is not None else start
            return FetchResult(first.items, None if since is None else self.encode(Backlog(since)))

        found = read(backlog.since, backlog.resume, pages.most)
        newest = backlog.newest if backlog.newest is not None else backlog.since
        if found.newest is not None:
            newest = self.newer(newest, found.newest)
        if found.reached:
            return FetchResult(found.items, self.encode(Backlog(newest)))
        if found.resume is None:
            # No mark to narrow the gap with: keep the position, so that nothing is skipped.
            log.warning(
                "%s: #%s: %d pages without a usable item; trying again later",
                self.network,
                tag,
                pages.most,
            )
            return FetchResult(found.items, None)
        log.info(
            "%s: #%s: more than %d pages new; fetching the rest next",
            self.network,
            tag,
            pages.most,
        )
        gap = Backlog(backlog.since, found.resume, newest)
        return FetchResult(found.items, self.encode(gap), more=True)

    def _load(self, tag: str, position: str | None) -> Backlog[M, R] | None:
        if position is None:
            return None
        backlog = self.decode(position)
        if backlog is None:
            log.warning(
                "%s: unreadable position %r for #%s; starting over", self.network, position, tag
            )
        return backlog
