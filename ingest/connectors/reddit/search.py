"""Reddit search as a polling connector: posts sorted by new, paged back with ``after``.

Two ways in. With credentials (``access=oauth``): ``GET https://oauth.reddit.com/search`` with a
bearer token, either an ``access_token`` given as is or one obtained app-only from
``client_id`` + ``client_secret`` (``grant_type=client_credentials``, renewed before it expires
and once on a 401); the ``X-Ratelimit-*`` headers pace the job. Without (``access=anonymous``):
``https://www.reddit.com/search.json``, allowed 10 requests a minute, so every request
(retries included) waits until 6 s after the previous one and the limit is never hit. The pace
is per connector: two anonymous jobs in one worker share an IP but not the pace.

Reddit's search ignores ``#``, so the query is the bare tag and each result is then checked
for the hashtag itself (see :mod:`ingest.connectors.reddit.post` for what counts).

Position: the newest post seen, as JSON ``{"created_utc", "name"}`` (ordered by time, then by
base-36 id). A poll pages back from the newest post until one at or older than the position.
A fetch stopped by the page cap leaves a gap, caught up with as
:mod:`ingest.connectors.catch_up` says: the position keeps the old mark and adds ``after`` (the
cursor to go on from, a fullname that never expires) and ``newest``. A listing that ends before
the mark (Reddit stops after about 1000 results) cannot go further: that is logged, and polling
goes on from ``newest``. A post that reaches the search index later than newer posts may be
missed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Unpack

import httpx

from contract import RawPost, normalize_hashtag, utcnow
from database.enums import ListeningMode
from ingest.connectors.base import AuthFailed, ConfigError, FetchResult, JobSpec, MalformedResponse
from ingest.connectors.catch_up import CatchUp, PageCaps, Pages
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import ApiClient, bearer, http_client
from ingest.connectors.options import choice_option, int_option, optional_credential, text_option
from ingest.connectors.rate_limit import RateLimit, header_number, seconds_reset
from ingest.connectors.reddit.oauth import TOKEN_URL, BearerToken
from ingest.connectors.reddit.post import (
    ListingMark,
    child_id,
    child_to_post,
    decode_mark,
    encode_mark,
)
from listening.networks import REDDIT

log = logging.getLogger(__name__)

OAUTH_BASE_URL = "https://oauth.reddit.com"
ANONYMOUS_BASE_URL = "https://www.reddit.com"
USER_AGENT = "python:ugc-pipeline:0.1 (hashtag listening)"
ANONYMOUS_INTERVAL_S = 6.0  # 10 requests a minute
_CATCH_UP = CatchUp(REDDIT.name, decode_mark, encode_mark, max)


def reddit_rate_limit(response: httpx.Response, now: datetime) -> RateLimit:
    """``X-Ratelimit-*``: the reset is in seconds from now; less than one request left (Reddit
    counts in fractions) is none left."""
    remaining = header_number(response, "X-Ratelimit-Remaining")
    used = header_number(response, "X-Ratelimit-Used")
    return RateLimit(
        remaining=0.0 if remaining is not None and remaining < 1 else remaining,
        limit=used + remaining if used is not None and remaining is not None else None,
        resets_at=seconds_reset(header_number(response, "X-Ratelimit-Reset"), now),
    )


class RedditConnector(ApiConnector):
    """Reddit search for one job (see the module docstring for access and positions)."""

    def __init__(
        self,
        api: ApiClient,
        *,
        base_url: str,
        token: BearerToken | None,
        user_agent: str = USER_AGENT,
        limit: int = 100,
        pages: PageCaps,
        bare_word: bool = False,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(api)
        self._token = token
        self._url = base_url.rstrip("/") + ("/search" if token else "/search.json")
        self._user_agent = user_agent
        self._limit = limit
        self._pages = pages
        self._bare_word = bare_word
        self._now, self._sleep = now, sleep
        self._last_request_at: datetime | None = None
        if token is None:  # anonymous: on the client, so that the ApiClient's retries are paced
            api.client.event_hooks["request"].append(self._pace)

    def __repr__(self) -> str:
        return f"RedditConnector(url={self._url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> RedditConnector:
        """The connector of ``job``: OAuth with the credentials it has, anonymous without."""
        names = REDDIT.credentials[ListeningMode.POLL].optional
        secrets = {n: value for n in names if (value := optional_credential(job, n)) is not None}
        access = choice_option(
            job, "access", ("oauth", "anonymous"), "oauth" if secrets else "anonymous"
        )
        app: tuple[str, str] | None = None
        if access == "oauth" and "access_token" not in secrets:
            for name in ("client_id", "client_secret"):
                if name not in secrets:
                    raise ConfigError(
                        f"reddit job {job.job_id}: OAuth needs the credential 'access_token', "
                        f"or 'client_id' and 'client_secret': '{name}' is missing"
                    )
            app = (secrets["client_id"], secrets["client_secret"])
        match = choice_option(job, "match", ("hashtag", "word"), "hashtag")
        anonymous = access == "anonymous"
        limit = int_option(job, "limit", 100, high=100)
        pages = PageCaps.of(job)
        user_agent = text_option(job, "user_agent", USER_AGENT)
        wiring = Wiring(**hooks)
        api = wiring.api(
            REDDIT.name,
            lambda: http_client(timeout_s=30.0, follow_redirects=True),
            rate_limit=reddit_rate_limit,
        )
        token = None
        if not anonymous:
            token = BearerToken(
                api,
                access_token=secrets.get("access_token"),
                app_credentials=app,
                token_url=text_option(job, "token_url", TOKEN_URL),
                user_agent=user_agent,
                now=wiring.now,
            )
        default_url = ANONYMOUS_BASE_URL if anonymous else OAUTH_BASE_URL
        return cls(
            api,
            base_url=text_option(job, "base_url", default_url),
            token=token,
            user_agent=user_agent,
            limit=limit,
            pages=pages,
            bare_word=match == "word",
            now=wiring.now,
            sleep=wiring.sleep,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Posts that may carry ``#tag``, newer than ``position``, newest first."""
        tag = normalize_hashtag(tag)
        return _CATCH_UP.fetch(tag, position, partial(self._collect, tag), self._pages)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return child_to_post(
            item, tag=normalize_hashtag(tag), collected_at=collected_at, bare_word=self._bare_word
        )

    def item_key(self, item: Any) -> str | None:
        return child_id(item)

    def _collect(
        self, tag: str, since: ListingMark | None, after: str | None, pages: int
    ) -> Pages[ListingMark, str]:
        """Up to ``pages`` pages from ``after`` back, until a post at or before ``since``."""
        items: dict[str, Any] = {}
        newest: ListingMark | None = None
        cursor = after
        for _ in range(pages):
            children, next_cursor = self._page(tag, cursor)
            for child in children:
                mark = ListingMark.of(child)
                if since is not None and mark is not None and mark <= since:
                    return Pages(list(items.values()), newest, reached=True)
                if mark is not None and (newest is None or mark > newest):
                    newest = mark
                items.setdefault(child_id(child) or f"#{len(items)}", child)
            if next_cursor is None or next_cursor == cursor:
                if since is not None:
                    log.warning("reddit: #%s: the listing ended before the position", tag)
                return Pages(list(items.values()), newest, reached=True)
            cursor = next_cursor
        return Pages(list(items.values()), newest, reached=False, resume=cursor)

    def _page(self, tag: str, after: str | None) -> tuple[list[Any], str | None]:
        params: dict[str, str | int] = {
            "q": tag,
            "sort": "new",
            "limit": self._limit,
            "type": "link",
            "include_over_18": "on",
        }
        if after is not None:
            params["after"] = after
        try:
            body = self._api.get_json(self._url, params, self._headers())
        except AuthFailed as exc:
            if self._token is None or not self._token.renewable or exc.status != 401:
                raise
            self._token.forget()  # revoked or expired early: one fresh token, then give up
            body = self._api.get_json(self._url, params, self._headers())
        listing = body if isinstance(body, dict) and body.get("kind") == "Listing" else {}
        data = listing.get("data")
        children = data.get("children") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(children, list):
            raise MalformedResponse("reddit: the search answer is not a Listing of children")
        cursor = data.get("after")
        return children, cursor if isinstance(cursor, str) and cursor else None

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": self._user_agent, "Accept": "application/json"}
        if self._token is not None:
            headers.update(bearer(self._token.value()))
        return headers

    def _pace(self, _request: httpx.Request) -> None:
        """At most one anonymous request every 6 s, so Reddit's 10 a minute is never hit."""
        if self._last_request_at is not None:
            wait = ANONYMOUS_INTERVAL_S - (self._now() - self._last_request_at).total_seconds()
            if wait > 0:
                self._sleep(wait)
        self._last_request_at = self._now()
