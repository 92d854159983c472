"""X (API v2) recent search as a polling connector: ``#tag -is:retweet``, newest first.

The first poll of a hashtag (no position) takes the newest ``backfill_pages`` pages. Later polls
ask for tweets newer than the position (``since_id``) and page back with ``next_token`` until X
gives none; the new position is the newest id seen. Ids are decimal strings that grow in length,
so they are compared as numbers, never as text.

The page cap (``max_pages``) needs care because X pages from the newest tweet backwards: a fetch
stopped by the cap leaves a hole between the old position and the oldest tweet it got. Saving
the newest id would skip the hole forever; keeping the old position would fetch the same newest
pages again and never reach it. So the position records the hole as JSON, ``{"since_id": old,
"until_id": oldest fetched, "newest_id": newest fetched}``, and the result says ``more``. The
next fetch asks only for the hole (``since_id`` and ``until_id`` are both exclusive), narrowing
``until_id`` page after page; once the hole is empty the position becomes ``newest_id`` and
polling goes on from there. An ``until_id`` never expires (a ``next_token`` may), so a restart
in the middle of a backlog resumes exactly where the acknowledged posts end.

X refuses a ``since_id`` older than its 7-day search window: a job stopped for longer than that
fails with X's own message and needs its position cleared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

import httpx

from contract import RawPost, normalize_hashtag
from ingest.connectors.base import Budget, FetchResult, JobSpec, position_object, position_text
from ingest.connectors.from_job import (
    Hooks,
    Wiring,
    int_option,
    required_credential,
    text_option,
)
from ingest.connectors.http import ApiClient, RateLimit, epoch_reset, header_number, http_client
from ingest.connectors.x_tweet import (
    oldest_first,
    read_page,
    tweet_id,
    tweet_to_post,
    x_error_message,
)

log = logging.getLogger(__name__)

NETWORK = "x"
REQUIRED_CREDENTIALS: tuple[str, ...] = ("bearer_token",)
OPTIONS: dict[str, str] = {
    "base_url": "API root (default https://api.x.com)",
    "max_results": "tweets per page, 10 to 100 (default 100)",
    "backfill_pages": "pages taken on the first poll of a hashtag (default 1)",
    "max_pages": "pages per fetch before the position records the hole left (default 10)",
}

DEFAULT_BASE_URL = "https://api.x.com"
SEARCH_PATH = "/2/tweets/search/recent"
TWEET_FIELDS = (
    "created_at,lang,public_metrics,author_id,attachments,entities,referenced_tweets,note_tweet"
)
EXPANSIONS = "author_id,attachments.media_keys"
USER_FIELDS = "username,name,public_metrics"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text"


def x_rate_limit(response: httpx.Response, now: datetime) -> RateLimit:
    """``x-rate-limit-*`` headers; the reset is in Unix seconds."""
    return RateLimit(
        remaining=header_number(response, "x-rate-limit-remaining"),
        limit=header_number(response, "x-rate-limit-limit"),
        resets_at=epoch_reset(header_number(response, "x-rate-limit-reset")),
    )


@dataclass(frozen=True)
class _Window:
    """Where the next fetch looks: after ``since_id``, and before ``until_id`` while a hole left
    by the page cap is being filled (``newest_id`` is then where polling goes on after it)."""

    since_id: int
    until_id: int | None = None
    newest_id: int | None = None

    def encode(self) -> str:
        if self.until_id is None:
            return str(self.since_id)
        return position_text(
            {
                "since_id": str(self.since_id),
                "until_id": str(self.until_id),
                "newest_id": str(self.newest_id if self.newest_id is not None else self.since_id),
            }
        )

    @classmethod
    def decode(cls, position: str) -> _Window | None:
        if position.isdigit():
            return cls(int(position))
        raw = position_object(position) or {}
        try:
            return cls(int(raw["since_id"]), int(raw["until_id"]), int(raw["newest_id"]))
        except (ValueError, TypeError, KeyError):
            return None


@dataclass
class _Batch:
    items: list[dict[str, Any]]
    ids: list[int]
    exhausted: bool  # X gave no next_token: nothing older is left in the window


class XConnector:
    """Recent search on X for one job (see the module docstring for positions)."""

    network = NETWORK

    def __init__(
        self,
        api: ApiClient,
        *,
        bearer_token: str,
        base_url: str = DEFAULT_BASE_URL,
        max_results: int = 100,
        backfill_pages: int = 1,
        max_pages: int = 10,
    ) -> None:
        self._api = api
        self._headers = {"Authorization": f"Bearer {bearer_token}"}
        self._url = base_url.rstrip("/") + SEARCH_PATH
        self._max_results = max_results
        self._backfill_pages = backfill_pages
        self._max_pages = max_pages

    def __repr__(self) -> str:
        return f"XConnector(url={self._url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> XConnector:
        """The connector of ``job``; it owns ``client`` from now on (``close`` closes it)."""
        token = required_credential(job, "bearer_token")
        max_results = int_option(job, "max_results", 100, low=10, high=100)
        backfill_pages = int_option(job, "backfill_pages", 1)
        max_pages = int_option(job, "max_pages", 10)
        api = Wiring(**hooks).api(
            NETWORK,
            lambda: http_client(timeout_s=30.0, follow_redirects=True),
            rate_limit=x_rate_limit,
            error_message=x_error_message,
        )
        return cls(
            api,
            bearer_token=token,
            base_url=text_option(job, "base_url", DEFAULT_BASE_URL),
            max_results=max_results,
            backfill_pages=backfill_pages,
            max_pages=max_pages,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Tweets about ``tag`` newer than ``position``, oldest first."""
        window = _Window.decode(position) if position is not None else None
        if position is not None and window is None:
            log.warning("x: unreadable position %r for #%s; starting over", position, tag)
        if window is None:
            batch = self._collect(tag, since_id=None, until_id=None, pages=self._backfill_pages)
            newest = max(batch.ids, default=None)
            return FetchResult(batch.items, str(newest) if newest is not None else None)

        batch = self._collect(
            tag, since_id=window.since_id, until_id=window.until_id, pages=self._max_pages
        )
        newest = max([window.newest_id or window.since_id, *batch.ids])
        oldest = min(batch.ids, default=None)
        if batch.exhausted or (oldest is not None and oldest <= window.since_id):
            return FetchResult(batch.items, str(newest))
        if oldest is None:
            # Full pages of nothing: no id to narrow the hole with. Keep the position so that
            # nothing is skipped; the next poll asks again.
            log.warning(
                "x: #%s: %d pages without a tweet; trying again later", tag, self._max_pages
            )
            return FetchResult(batch.items, None)
        log.info("x: #%s: more than %d pages new; fetching the rest next", tag, self._max_pages)
        hole = _Window(window.since_id, until_id=oldest, newest_id=newest)
        return FetchResult(batch.items, hole.encode(), more=True)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return tweet_to_post(item, tag=normalize_hashtag(tag), collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        return tweet_id(item)

    def budget(self) -> Budget | None:
        return self._api.rate_limit_budget()

    def close(self) -> None:
        self._api.client.close()

    def _collect(
        self, tag: str, *, since_id: int | None, until_id: int | None, pages: int
    ) -> _Batch:
        params: dict[str, str | int] = {
            "query": f"#{normalize_hashtag(tag)} -is:retweet",
            "max_results": self._max_results,
            "sort_order": "recency",
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": USER_FIELDS,
            "media.fields": MEDIA_FIELDS,
        }
        if since_id is not None:
            params["since_id"] = str(since_id)
        if until_id is not None:
            params["until_id"] = str(until_id)
        items: dict[str, dict[str, Any]] = {}
        ids: list[int] = []
        tokens: set[str] = set()
        for _ in range(pages):
            body = self._api.get_json(self._url, params, self._headers)
            page_items, page_ids, next_token = read_page(body)
            for item in page_items:
                items.setdefault(tweet_id(item) or f"#{len(items)}", item)
            ids.extend(page_ids)
            if next_token is None:
                return _Batch(oldest_first(items.values()), ids, exhausted=True)
            if next_token in tokens:  # a repeating cursor: the hole logic takes over from here
                log.warning("x: #%s: next_token repeats; stopping this fetch", tag)
                break
            tokens.add(next_token)
            params["next_token"] = next_token
        return _Batch(oldest_first(items.values()), ids, exhausted=False)
