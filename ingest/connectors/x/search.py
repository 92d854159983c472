"""X (API v2) recent search as a polling connector: ``#tag -is:retweet``, newest first.

The first poll of a hashtag (no position) takes the newest ``backfill_pages`` pages. Later polls
ask for tweets newer than the position (``since_id``) and page back with ``next_token`` until X
gives none; the new position is the newest id seen. Ids are decimal strings that grow in length,
so they are compared as numbers, never as text.

A fetch stopped by the page cap (``max_pages``) leaves a gap, caught up with as
:mod:`ingest.connectors.catch_up` says; the position then records it as JSON, ``{"since_id":
old, "until_id": oldest fetched, "newest_id": newest fetched}``, and the next fetch asks only
for the gap (``since_id`` and ``until_id`` are both exclusive), narrowing ``until_id`` page
after page. An ``until_id`` never expires (a ``next_token`` may), so a restart in the middle of
a backlog resumes exactly where the acknowledged posts end.

X refuses a ``since_id`` older than its 7-day search window: a job stopped for longer than that
fails with X's own message and needs its position cleared.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any, Unpack

import httpx

from contract import RawPost, normalize_hashtag
from ingest.connectors.base import FetchResult, JobSpec, position_object, position_text
from ingest.connectors.catch_up import Backlog, CatchUp, PageCaps, Pages
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import ApiClient, bearer, http_client
from ingest.connectors.options import int_option, required_credential, text_option
from ingest.connectors.rate_limit import RateLimit, epoch_reset, header_number
from ingest.connectors.x.tweet import (
    oldest_first,
    read_page,
    tweet_id,
    tweet_to_post,
    x_error_message,
)
from listening.networks import X

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.x.com"
SEARCH_PATH = "/2/tweets/search/recent"
TWEET_FIELDS = (
    "created_at,lang,public_metrics,author_id,attachments,entities,referenced_tweets,note_tweet"
)
EXPANSIONS = "author_id,attachments.media_keys"
USER_FIELDS = "username,name,public_metrics"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text"

#: A position while no gap is open is the newest id as is; a gap (``until_id``: the oldest id
#: fetched, exclusive) is JSON.
Window = Backlog[int, int]


def x_rate_limit(response: httpx.Response, _now: datetime) -> RateLimit:
    """``x-rate-limit-*`` headers; the reset is in Unix seconds."""
    return RateLimit(
        remaining=header_number(response, "x-rate-limit-remaining"),
        limit=header_number(response, "x-rate-limit-limit"),
        resets_at=epoch_reset(header_number(response, "x-rate-limit-reset")),
    )


def encode_window(window: Window) -> str:
    """The newest id alone, or ``{"since_id", "until_id", "newest_id"}`` while a gap is open."""
    if window.resume is None:
        return str(window.since)
    newest = window.newest if window.newest is not None else window.since
    return position_text(
        {"since_id": str(window.since), "until_id": str(window.resume), "newest_id": str(newest)}
    )


def decode_window(position: str) -> Window | None:
    """What :func:`encode_window` wrote; ``None`` for anything else."""
    if position.isdigit():
        return Backlog(int(position))
    raw = position_object(position) or {}
    try:
        return Backlog(int(raw["since_id"]), int(raw["until_id"]), int(raw["newest_id"]))
    except (ValueError, TypeError, KeyError):
        return None


_CATCH_UP = CatchUp(X.name, decode_window, encode_window, max)


class XConnector(ApiConnector):
    """Recent search on X for one job (see the module docstring for positions)."""

    def __init__(
        self,
        api: ApiClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        bearer_token: str,
        max_results: int = 100,
        pages: PageCaps,
    ) -> None:
        super().__init__(api)
        self._url = base_url.rstrip("/") + SEARCH_PATH
        self._headers = bearer(bearer_token)
        self._max_results = max_results
        self._pages = pages

    def __repr__(self) -> str:
        return f"XConnector(url={self._url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> XConnector:
        """The connector of ``job`` (options ``base_url``, ``max_results``, ``backfill_pages``,
        ``max_pages``; credential ``bearer_token``)."""
        token = required_credential(job, "bearer_token")
        max_results = int_option(job, "max_results", 100, low=10, high=100)
        pages = PageCaps.of(job)
        api = Wiring(**hooks).api(
            X.name,
            lambda: http_client(timeout_s=30.0, follow_redirects=True),
            rate_limit=x_rate_limit,
            error_message=x_error_message,
        )
        return cls(
            api,
            bearer_token=token,
            base_url=text_option(job, "base_url", DEFAULT_BASE_URL),
            max_results=max_results,
            pages=pages,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Tweets about ``tag`` newer than ``position``, oldest first."""
        return _CATCH_UP.fetch(tag, position, partial(self._collect, tag), self._pages)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return tweet_to_post(item, tag=normalize_hashtag(tag), collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        return tweet_id(item)

    def _collect(
        self, tag: str, since_id: int | None, until_id: int | None, pages: int
    ) -> Pages[int, int]:
        """Up to ``pages`` pages between the ids (both exclusive), newest first; the items come
        back oldest first, and the oldest id read is where a gap goes on."""
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
        exhausted = False  # X gave no next_token: nothing older is left in the window
        for _ in range(pages):
            body = self._api.get_json(self._url, params, self._headers)
            page_items, page_ids, next_token = read_page(body)
            for item in page_items:
                items.setdefault(tweet_id(item) or f"#{len(items)}", item)
            ids.extend(page_ids)
            if next_token is None:
                exhausted = True
                break
            if next_token in tokens:  # a repeating cursor: the gap logic takes over from here
                log.warning("x: #%s: next_token repeats; stopping this fetch", tag)
                break
            tokens.add(next_token)
            params["next_token"] = next_token
        oldest = min(ids, default=None)
        past_since = oldest is not None and since_id is not None and oldest <= since_id
        return Pages(
            oldest_first(items.values()),
            newest=max(ids, default=None),
            reached=exhausted or past_since,
            resume=oldest,
        )
