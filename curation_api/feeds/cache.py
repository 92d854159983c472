"""The public feed pages as rendered bytes, per API worker, kept until something changes them.

A page is keyed by (feed, cursor, limit) and holds its body, a strong ETag, the feed's
``content_version`` it was rendered at, and when time alone would change it (the next start or
end of a rights window among the feed's posts). It is served while the feed's version is the
same and that moment has not come, and for at most ``max_life_s`` whatever happens (a change
made behind the API's back, by hand in SQL, still shows within that).

Versions come from the database, polled every ``poll_s`` by one thread per worker
(:class:`FeedVersions`), not from a notification: it works the same on SQLite and PostgreSQL
and across any number of workers and hosts, costs one small query per interval whatever the
traffic, and a worker that missed nothing while it was down has nothing to catch up on. A
change reaches every worker within ``poll_s`` (0.2 s by default). The version is read before
the page's query, so a change that commits during a render makes that page stale at the next
poll instead of keeping it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import monotonic

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database.models import Feed

log = logging.getLogger(__name__)

PageKey = tuple[str, str | None, int]
RENDER_STRIPES = 64


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    etag: str
    version: int
    # When time alone changes the page (a rights window starts or ends); None: never.
    changes_at: datetime | None
    rendered: float  # monotonic seconds

    @classmethod
    def of(
        cls, body: bytes, *, version: int, changes_at: datetime | None, rendered: float
    ) -> CachedPage:
        return cls(body, strong_etag(body), version, changes_at, rendered)


def strong_etag(body: bytes) -> str:
    """A strong validator: the same tag only for the same bytes."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison (RFC 9110 §13.1.2): ``W/`` is ignored."""
    wanted = etag.removeprefix("W/")
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or wanted in candidates


class FeedVersions:
    """Every feed's ``content_version`` as of the last poll; a feed missing from it is
    unknown (new since the last poll, or deleted).

    ``poll_s=None`` reads them on every :meth:`get` instead, in the caller's thread, and
    :meth:`start` starts no thread: for a session factory that must stay in one thread at a
    time (tests bind theirs to one connection)."""

    def __init__(self, sessions: sessionmaker[Session], *, poll_s: float | None) -> None:
        self.sessions = sessions
        self.poll_s = poll_s
        self._versions: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, slug: str) -> int | None:
        if self.poll_s is None:
            self._poll_once()
        return self._versions.get(slug)

    def refresh(self) -> None:
        with self.sessions() as session:
            rows = session.execute(select(Feed.slug, Feed.content_version)).all()
        self._versions = {slug: version for slug, version in rows}  # one swap, no lock

    def start(self) -> None:
        """Poll in a daemon thread until :meth:`stop`; the first poll before returning."""
        self._poll_once()
        if self.poll_s is None:
            return
        self._thread = threading.Thread(target=self._run, name="feed-versions", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        assert self.poll_s is not None
        while not self._stop.wait(self.poll_s):
            self._poll_once()

    def _poll_once(self) -> None:
        try:
            self.refresh()
        except SQLAlchemyError as exc:
            # Pages rendered at the last known versions stay valid for max_life_s at most.
            log.warning("feed versions: database unavailable (%s)", exc)


class FeedPageCache:
    """Rendered pages; past ``max_pages`` the oldest rendered goes (reads take no lock)."""

    def __init__(
        self,
        versions: FeedVersions,
        *,
        max_pages: int,
        max_life_s: float,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self.versions = versions
        self.max_pages = max_pages
        self.max_life_s = max_life_s
        self.clock = clock
        self._pages: OrderedDict[PageKey, CachedPage] = OrderedDict()
        # Per feed: the version its next change was computed at, and that change.
        self._changes: dict[str, tuple[int, datetime | None]] = {}
        self._lock = threading.Lock()
        # One render of a page at a time: when a change makes a popular page stale, the
        # requests that arrive during its render wait for it instead of rendering it too.
        self._rendering = [threading.Lock() for _ in range(RENDER_STRIPES)]

    def get(self, key: PageKey, now: datetime) -> CachedPage | None:
        """The page if it is still what a render would give at ``now``."""
        page = self._pages.get(key)
        if page is None:
            return None
        if (
            page.version != self.versions.get(key[0])
            or (page.changes_at is not None and now >= page.changes_at)
            or self.clock() - page.rendered >= self.max_life_s
        ):
            return None
        return page

    def put(self, key: PageKey, page: CachedPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def render(
        self,
        key: PageKey,
        now: datetime,
        render: Callable[[], bytes],
        next_change: Callable[[], datetime | None],
    ) -> CachedPage:
        """The cached page, or a fresh render (kept when the feed's version is known).

        ``next_change`` (when time alone changes the feed) is asked once per feed version
        and again once that moment has come, not for every page."""
        cached = self.get(key, now)
        if cached is not None:
            return cached
        with self._rendering[hash(key) % RENDER_STRIPES]:
            cached = self.get(key, now)  # rendered while we waited
            if cached is not None:
                return cached
            return self._render(key, now, render, next_change)

    def _render(
        self,
        key: PageKey,
        now: datetime,
        render: Callable[[], bytes],
        next_change: Callable[[], datetime | None],
    ) -> CachedPage:
        slug = key[0]
        version = self.versions.get(slug)  # before the queries: see the module's docstring
        started = self.clock()
        body = render()
        known = self._changes.get(slug)
        if (
            version is not None
            and known is not None
            and known[0] == version
            and (known[1] is None or now < known[1])
        ):
            changes_at = known[1]
        else:
            changes_at = next_change()
            if version is not None:
                self._changes[slug] = (version, changes_at)
        page = CachedPage.of(body, version=version or 0, changes_at=changes_at, rendered=started)
        if version is not None:
            self.put(key, page)
        return page
