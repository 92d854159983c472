"""Bluesky search (``app.bsky.feed.searchPosts``) as a polling connector, for backfill.

Jetstream is the live source; search fills in history and what a stream outage missed. Search
is refused without a session in practice, so the connector logs in with the credentials
``identifier`` + ``app_password`` (:mod:`ingest.connectors.bluesky_session`).

Results come newest first (``sort=latest``) and can only be paged *back* with ``cursor``, so a
poll reads a *window*: everything since the last poll (``since``), page by page back. A window
bigger than ``max_pages`` is read over several fetches (the position keeps the cursor, ``more``
asks the runner to go on), and only a complete window moves ``since`` forward. Search filters
on ``sortAt`` (the earlier of ``createdAt`` and ``indexedAt``): a post indexed late sorts before
posts already seen, so each window starts ``overlap_s`` before the newest post seen, and the
posts of that overlap are remembered (``seen``) so that they are not returned again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack

from contract import Engagement, PoisonMessage, RawPost, normalize_hashtag, utcnow
from ingest.connectors.base import (
    Budget,
    ConfigError,
    FetchResult,
    JobSpec,
    MalformedResponse,
    position_object,
    position_text,
)
from ingest.connectors.bluesky_post import parse_datetime, split_post_uri, to_post, view_media
from ingest.connectors.bluesky_session import XrpcSession, classify, read_rate_limit
from ingest.connectors.from_job import Hooks, Wiring, int_option, optional_credential, url_option
from ingest.connectors.http import ApiClient, http_client

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bsky.social/xrpc"
PAGE_LIMIT = 100
#: Pages of one window read per fetch; the runner checkpoints between fetches.
DEFAULT_MAX_PAGES = 10
DEFAULT_OVERLAP_S = 60.0
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
        return position_text(
            {
                "since": _iso(self.since),
                "newest": _iso(self.newest),
                "cursor": self.cursor,
                "seen": {uri: _iso(at) for uri, at in self.seen.items()},
            }
        )


class BlueskyConnector:
    """``searchPosts`` by hashtag; build it with :meth:`from_job`."""

    network = "bluesky"

    def __init__(
        self,
        api: ApiClient,
        *,
        hashtags: Sequence[str],
        base_url: str = DEFAULT_BASE_URL,
        identifier: str | None = None,
        app_password: str | None = None,
        backfill_pages: int = 1,
        max_pages: int = DEFAULT_MAX_PAGES,
        overlap_s: float = DEFAULT_OVERLAP_S,
        now: Callable[[], datetime] = utcnow,
        owns_client: bool = False,
    ) -> None:
        self._api = api
        self.hashtags = tuple(t for t in map(normalize_hashtag, hashtags) if t)
        self._base_url = base_url.rstrip("/")
        login = (identifier, app_password) if identifier and app_password else None
        self._session = XrpcSession(api, self._base_url, login)
        self._backfill_pages = backfill_pages
        self._max_pages = max_pages
        self._overlap = timedelta(seconds=overlap_s)
        self._now = now
        self._owns_client = owns_client

    def __repr__(self) -> str:  # the password and tokens stay out of reprs
        return f"BlueskyConnector(base_url={self._base_url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> BlueskyConnector:
        """The connector for ``job``: options ``base_url``, ``backfill_pages``, ``max_pages``,
        ``overlap_s``; credentials ``identifier`` and ``app_password`` (both or neither)."""
        base_url = url_option(job, "base_url", DEFAULT_BASE_URL).rstrip("/")
        identifier = optional_credential(job, "identifier")
        password = optional_credential(job, "app_password")
        if (identifier is None) != (password is None):
            missing = "app_password" if password is None else "identifier"
            raise ConfigError(f"bluesky: credential {missing} is missing (search needs both)")
        backfill_pages = int_option(job, "backfill_pages", 1)
        max_pages = int_option(job, "max_pages", DEFAULT_MAX_PAGES)
        overlap_s = int_option(job, "overlap_s", int(DEFAULT_OVERLAP_S))
        wiring = Wiring(**hooks)
        api = wiring.api(
            "bluesky",
            http_client,
            rate_limit=read_rate_limit,
            classify=classify,
        )
        return cls(
            api,
            hashtags=job.hashtags,
            base_url=base_url,
            identifier=identifier,
            app_password=password,
            backfill_pages=backfill_pages,
            max_pages=max_pages,
            overlap_s=overlap_s,
            now=wiring.now,
            owns_client=wiring.owns_client,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Posts about ``tag`` since the last complete window, oldest first."""
        tag = normalize_hashtag(tag)
        state = SearchPosition.load(position)
        fresh = state.since is None and state.cursor is None
        cursor, newest = state.cursor, state.newest
        found: dict[str, tuple[datetime | None, Any]] = {}
        for _ in range(self._backfill_pages if fresh else self._max_pages):
            posts, cursor = self._page(tag, since=state.since, cursor=cursor)
            older = 0
            for post in posts:
                uri = post.get("uri") if isinstance(post, dict) else None
                at = _sort_at(post)
                if state.since is not None and at is not None and at < state.since:
                    older += 1  # an index that ignores `since`: the window is read
                    continue
                if isinstance(uri, str) and (uri in state.seen or uri in found):
                    continue
                found[uri if isinstance(uri, str) else f"#{len(found)}"] = (at, post)
                if at is not None and (newest is None or at > newest):
                    newest = at
            if not posts or cursor is None or older:
                cursor = None
                break
        if fresh:
            cursor = None  # a first poll takes backfill_pages of history, no more
        seen = {**state.seen, **{u: at for u, (at, _) in found.items() if at is not None}}
        newest = newest or self._now()
        # The next window re-reads this one's last `overlap`; while this one is still being
        # read, its older pages may also repeat the previous window's (just after `since`).
        overlaps = [(newest - self._overlap, newest)]
        if cursor is None:
            state = SearchPosition(since=newest - self._overlap, newest=newest)
        else:
            since = state.since or newest
            overlaps.append((since, since + self._overlap))
            state = SearchPosition(since=state.since, newest=newest, cursor=cursor)
        state.seen = _within(seen, overlaps)
        items = [post for _, post in sorted(found.values(), key=_oldest_first)]
        return FetchResult(items=items, position=state.dump(), more=cursor is not None)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        """The post of one PostView (the author's handle, counts and the embed's view)."""
        if not isinstance(item, dict):
            raise PoisonMessage(f"Bluesky PostView is a JSON {type(item).__name__}, not an object")
        uri, author = item.get("uri"), item.get("author")
        parts = split_post_uri(uri) if isinstance(uri, str) else None
        if parts is None:
            raise PoisonMessage(f"Bluesky PostView has no post AT URI: {uri!r}")
        did, rkey = parts
        if not isinstance(author, dict) or author.get("did") != did:
            raise PoisonMessage("Bluesky PostView's author is missing or not the URI's DID")
        handle, name = author.get("handle"), author.get("displayName")
        return to_post(
            item.get("record"),
            did=did,
            rkey=rkey,
            followed=self.hashtags,
            collected_at=collected_at,
            first_tag=normalize_hashtag(tag),
            handle=handle if isinstance(handle, str) and handle != "handle.invalid" else None,
            display_name=name if isinstance(name, str) else None,
            media=view_media(item["embed"]) if isinstance(item.get("embed"), dict) else None,
            engagement=Engagement(
                likes=_count(item.get("likeCount")),
                reposts=_count(item.get("repostCount")),
                replies=_count(item.get("replyCount")),
                quotes=_count(item.get("quoteCount")),
            ),
            seen_at=parse_datetime(item.get("indexedAt")),
        )

    def item_key(self, item: Any) -> str | None:
        """The post's AT URI."""
        uri = item.get("uri") if isinstance(item, dict) else None
        return uri if isinstance(uri, str) else None

    def budget(self) -> Budget | None:
        """What the newest answer's ``RateLimit-*`` headers said."""
        return self._api.rate_limit_budget()

    def close(self) -> None:
        """Close the HTTP client if :meth:`from_job` made it."""
        if self._owns_client:
            self._api.client.close()

    def _page(
        self, tag: str, *, since: datetime | None, cursor: str | None
    ) -> tuple[list[Any], str | None]:
        params: dict[str, str | int] = {
            "q": f"#{tag}",
            "tag": tag,
            "sort": "latest",
            "limit": PAGE_LIMIT,
        }
        if since is not None:
            params["since"] = _iso(since) or ""
        if cursor is not None:
            params["cursor"] = cursor
        body = self._session.get("app.bsky.feed.searchPosts", params)
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise MalformedResponse("bluesky: searchPosts answered without a posts array")
        next_cursor = body.get("cursor")
        return posts, next_cursor if isinstance(next_cursor, str) and next_cursor else None


def _sort_at(post: Any) -> datetime | None:
    """``sortAt`` as the AppView computes it: the earlier of ``createdAt`` and ``indexedAt``."""
    if not isinstance(post, dict):
        return None
    record = post.get("record")
    created = parse_datetime(record.get("createdAt")) if isinstance(record, dict) else None
    indexed = parse_datetime(post.get("indexedAt"))
    times = [t for t in (created, indexed) if t is not None]
    return min(times) if times else None


def _oldest_first(entry: tuple[datetime | None, Any]) -> datetime:
    return entry[0] or datetime.max.replace(tzinfo=UTC)


def _within(
    seen: dict[str, datetime], ranges: list[tuple[datetime, datetime]]
) -> dict[str, datetime]:
    """The posts whose sortAt falls in one of ``ranges``, the newest :data:`MAX_SEEN`."""
    kept = sorted(
        ((at, uri) for uri, at in seen.items() if any(a <= at <= b for a, b in ranges)),
        reverse=True,
    )
    return {uri: at for at, uri in kept[:MAX_SEEN]}


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
