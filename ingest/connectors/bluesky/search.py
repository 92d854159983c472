"""Bluesky search (``app.bsky.feed.searchPosts``) as a polling connector, for backfill.

Jetstream is the live source; search fills in history and what a stream outage missed. Search
is refused without a session in practice, so the connector logs in with the credentials
``identifier`` + ``app_password`` (:mod:`ingest.connectors.bluesky.session`).

Results come newest first (``sort=latest``) and can only be paged *back* with ``cursor``, so a
poll reads a *window*: everything since the last poll (``since``), page by page back. A window
bigger than ``max_pages`` is read over several fetches (the position keeps the cursor, ``more``
asks the runner to go on), and only a complete window moves ``since`` forward. Search filters
on ``sortAt`` (the earlier of ``createdAt`` and ``indexedAt``): a post indexed late sorts before
posts already seen, so each window starts ``overlap_s`` before the newest post seen, and the
posts of that overlap are remembered (``seen``) so that they are not returned again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Unpack

from contract import Engagement, PoisonMessage, RawPost, normalize_hashtag, utcnow
from ingest.connectors.base import ConfigError, FetchResult, JobSpec, MalformedResponse
from ingest.connectors.bluesky.post import parse_datetime, split_post_uri, to_post, view_media
from ingest.connectors.bluesky.search_position import SearchPosition, iso, within
from ingest.connectors.bluesky.session import XrpcSession, classify, read_rate_limit
from ingest.connectors.catch_up import PageCaps
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import ApiClient, http_client
from ingest.connectors.normalizing import count
from ingest.connectors.options import int_option, optional_credential, url_option
from listening.networks import BLUESKY

DEFAULT_BASE_URL = "https://bsky.social/xrpc"
PAGE_LIMIT = 100
#: Pages of one window read per fetch; the runner checkpoints between fetches.
DEFAULT_MAX_PAGES = 10
DEFAULT_OVERLAP_S = 60.0


class BlueskyConnector(ApiConnector):
    """``searchPosts`` by hashtag; build it with :meth:`from_job`."""

    def __init__(
        self,
        api: ApiClient,
        *,
        hashtags: Sequence[str],
        base_url: str = DEFAULT_BASE_URL,
        identifier: str | None = None,
        app_password: str | None = None,
        pages: PageCaps,
        overlap_s: float = DEFAULT_OVERLAP_S,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(api)
        self.hashtags = tuple(t for t in map(normalize_hashtag, hashtags) if t)
        self._base_url = base_url.rstrip("/")
        login = (identifier, app_password) if identifier and app_password else None
        self._session = XrpcSession(api, self._base_url, login)
        self._pages = pages
        self._overlap = timedelta(seconds=overlap_s)
        self._now = now

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
        pages = PageCaps.of(job, most=DEFAULT_MAX_PAGES)
        overlap_s = int_option(job, "overlap_s", int(DEFAULT_OVERLAP_S))
        wiring = Wiring(**hooks)
        api = wiring.api(BLUESKY.name, http_client, rate_limit=read_rate_limit, classify=classify)
        return cls(
            api,
            hashtags=job.hashtags,
            base_url=base_url,
            identifier=identifier,
            app_password=password,
            pages=pages,
            overlap_s=overlap_s,
            now=wiring.now,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Posts about ``tag`` since the last complete window, oldest first."""
        tag = normalize_hashtag(tag)
        state = SearchPosition.load(position)
        fresh = state.since is None and state.cursor is None
        cursor, newest = state.cursor, state.newest
        found: dict[str, tuple[datetime | None, Any]] = {}
        for _ in range(self._pages.backfill if fresh else self._pages.most):
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
        state.seen = within(seen, overlaps)
        items = [post for _, post in sorted(found.values(), key=_oldest_first)]
        return FetchResult(items=items, position=state.dump(), more=cursor is not None)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        """The post of one PostView (the author's handle, counts and the embed's view)."""
        if not isinstance(item, dict):
            raise PoisonMessage(f"Bluesky PostView is a JSON {type(item).__name__}, not an object")
        uri, author = item.get("uri"), item.get("author")
        ref = split_post_uri(uri) if isinstance(uri, str) else None
        if ref is None:
            raise PoisonMessage(f"Bluesky PostView has no post AT URI: {uri!r}")
        if not isinstance(author, dict) or author.get("did") != ref.did:
            raise PoisonMessage("Bluesky PostView's author is missing or not the URI's DID")
        handle, name = author.get("handle"), author.get("displayName")
        return to_post(
            item.get("record"),
            ref,
            followed=self.hashtags,
            collected_at=collected_at,
            first_tag=normalize_hashtag(tag),
            handle=handle if isinstance(handle, str) and handle != "handle.invalid" else None,
            display_name=name if isinstance(name, str) else None,
            media=view_media(item["embed"]) if isinstance(item.get("embed"), dict) else None,
            engagement=Engagement(
                likes=count(item.get("likeCount")),
                reposts=count(item.get("repostCount")),
                replies=count(item.get("replyCount")),
                quotes=count(item.get("quoteCount")),
            ),
            seen_at=parse_datetime(item.get("indexedAt")),
        )

    def item_key(self, item: Any) -> str | None:
        """The post's AT URI."""
        uri = item.get("uri") if isinstance(item, dict) else None
        return uri if isinstance(uri, str) else None

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
            params["since"] = iso(since) or ""
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
