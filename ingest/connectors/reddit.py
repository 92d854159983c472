"""Reddit search as a polling connector: posts sorted by new, paged back with ``after``.

Two ways in. With credentials (``access=oauth``): ``GET https://oauth.reddit.com/search`` with a
bearer token, either an ``access_token`` given as is or one obtained app-only from
``client_id`` + ``client_secret`` (``grant_type=client_credentials``, renewed before it expires
and once on a 401); the ``X-Ratelimit-*`` headers pace the job. Without (``access=anonymous``):
``https://www.reddit.com/search.json``, allowed 10 requests a minute, so every request
(retries included) waits until 6 s after the previous one and the limit is never hit. The pace
is per connector: two anonymous jobs in one worker share an IP but not the pace.

Reddit's search ignores ``#``, so the query is the bare tag and each result is then checked
for the hashtag itself (see :mod:`ingest.connectors.reddit_item` for what counts).

Position: the newest post seen, as JSON ``{"created_utc", "name"}`` (ordered by time, then by
base-36 id). A poll pages back from the newest post until one at or older than the position.
If the page cap stops it first, the posts between the position and the oldest page fetched are
still unread, so the position keeps the old mark and adds ``after`` (the cursor to go on from,
a fullname that never expires) and ``newest``; the next fetch resumes there, and once it reaches
the old mark the position becomes ``newest``. A listing that ends before the mark (Reddit stops
after about 1000 results) cannot go further: that is logged, and polling goes on from
``newest``. A post that reaches the search index later than newer posts may be missed.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Unpack

import httpx

from contract import RawPost, normalize_hashtag, utcnow
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    ConfigError,
    FetchResult,
    JobSpec,
    MalformedResponse,
    position_object,
    position_text,
)
from ingest.connectors.from_job import (
    Hooks,
    Wiring,
    choice_option,
    int_option,
    optional_credential,
    text_option,
)
from ingest.connectors.http import ApiClient, RateLimit, header_number, http_client, seconds_reset
from ingest.connectors.reddit_item import ListingMark, child_id, child_to_post

log = logging.getLogger(__name__)

NETWORK = "reddit"
#: None is required: without credentials the job searches anonymously, at 10 requests a minute.
REQUIRED_CREDENTIALS: tuple[str, ...] = ()
OPTIONAL_CREDENTIALS: tuple[str, ...] = ("access_token", "client_id", "client_secret")
OPTIONS: dict[str, str] = {
    "base_url": "search host (default https://oauth.reddit.com, anonymously www.reddit.com)",
    # not "mode": a job's mode is already poll or stream
    "access": "oauth or anonymous (default: oauth when credentials are given)",
    "user_agent": "the descriptive User-Agent Reddit requires (platform:app:version (by /u/x))",
    "token_url": "app-only OAuth endpoint (default https://www.reddit.com/api/v1/access_token)",
    "limit": "posts per page, 1 to 100 (default 100)",
    "backfill_pages": "pages taken on the first poll of a hashtag (default 1)",
    "max_pages": "pages per fetch before the position records where to go on (default 10)",
    "match": "hashtag (default: only #tag counts) or word (the bare word counts too)",
}

OAUTH_BASE_URL = "https://oauth.reddit.com"
ANONYMOUS_BASE_URL = "https://www.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
USER_AGENT = "python:ugc-pipeline:0.1 (hashtag listening)"
ANONYMOUS_INTERVAL_S = 6.0  # 10 requests a minute
_TOKEN_MARGIN = timedelta(seconds=60)


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


@dataclass(frozen=True)
class _Position:
    since: ListingMark
    after: str | None = None
    newest: ListingMark | None = None

    def encode(self) -> str:
        if self.after is None:
            return position_text(self.since.dump())
        newest = self.newest or self.since
        return position_text({**self.since.dump(), "after": self.after, "newest": newest.dump()})

    @classmethod
    def decode(cls, position: str) -> _Position | None:
        raw = position_object(position)
        since = ListingMark.load(raw)
        if raw is None or since is None:
            return None
        after = raw.get("after")
        after = after if isinstance(after, str) and after else None
        return cls(since, after, ListingMark.load(raw.get("newest")))


@dataclass
class _Batch:
    items: list[Any]
    newest: ListingMark | None
    reached: bool  # got to the position, or to the end of the listing
    cursor: str | None  # where the next page would start


class RedditConnector:
    """Reddit search for one job (see the module docstring for access and positions)."""

    network = NETWORK

    def __init__(
        self,
        api: ApiClient,
        *,
        base_url: str,
        anonymous: bool,
        access_token: str | None = None,
        app_credentials: tuple[str, str] | None = None,
        token_url: str = TOKEN_URL,
        user_agent: str = USER_AGENT,
        limit: int = 100,
        backfill_pages: int = 1,
        max_pages: int = 10,
        bare_word: bool = False,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._api = api
        self._url = base_url.rstrip("/") + ("/search.json" if anonymous else "/search")
        self._anonymous = anonymous
        self._token = access_token
        self._token_expires_at: datetime | None = None
        self._app_credentials = app_credentials
        self._token_url = token_url
        self._user_agent = user_agent
        self._limit, self._backfill_pages, self._max_pages = limit, backfill_pages, max_pages
        self._bare_word = bare_word
        self._now, self._sleep = now, sleep
        self._last_request_at: datetime | None = None
        if anonymous:  # on the client, so that the ApiClient's retries are paced too
            api.client.event_hooks["request"].append(self._pace)

    def __repr__(self) -> str:
        return f"RedditConnector(url={self._url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> RedditConnector:
        """The connector of ``job``; it owns ``client`` from now on (``close`` closes it)."""
        secrets = {
            name: value
            for name in OPTIONAL_CREDENTIALS
            if (value := optional_credential(job, name)) is not None
        }
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
        backfill_pages = int_option(job, "backfill_pages", 1)
        max_pages = int_option(job, "max_pages", 10)
        wiring = Wiring(**hooks)
        api = wiring.api(
            NETWORK,
            lambda: http_client(timeout_s=30.0, follow_redirects=True),
            rate_limit=reddit_rate_limit,
        )
        return cls(
            api,
            base_url=text_option(
                job, "base_url", ANONYMOUS_BASE_URL if anonymous else OAUTH_BASE_URL
            ),
            anonymous=anonymous,
            access_token=None if anonymous else secrets.get("access_token"),
            app_credentials=app,
            token_url=text_option(job, "token_url", TOKEN_URL),
            user_agent=text_option(job, "user_agent", USER_AGENT),
            limit=limit,
            backfill_pages=backfill_pages,
            max_pages=max_pages,
            bare_word=match == "word",
            now=wiring.now,
            sleep=wiring.sleep,
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Posts that may carry ``#tag``, newer than ``position``, newest first."""
        tag = normalize_hashtag(tag)
        pos = _Position.decode(position) if position is not None else None
        if position is not None and pos is None:
            log.warning("reddit: unreadable position %r for #%s; starting over", position, tag)
        if pos is None:
            batch = self._collect(tag, since=None, after=None, pages=self._backfill_pages)
            return FetchResult(
                batch.items, _Position(batch.newest).encode() if batch.newest else None
            )
        batch = self._collect(tag, since=pos.since, after=pos.after, pages=self._max_pages)
        newest = max(m for m in (pos.newest or pos.since, batch.newest) if m is not None)
        if batch.reached or batch.cursor is None:
            return FetchResult(batch.items, _Position(newest).encode())
        log.info(
            "reddit: #%s: more than %d pages new; fetching the rest next", tag, self._max_pages
        )
        return FetchResult(
            batch.items, _Position(pos.since, batch.cursor, newest).encode(), more=True
        )

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return child_to_post(
            item, tag=normalize_hashtag(tag), collected_at=collected_at, bare_word=self._bare_word
        )

    def item_key(self, item: Any) -> str | None:
        return child_id(item)

    def budget(self) -> Budget | None:
        return self._api.rate_limit_budget()

    def close(self) -> None:
        self._api.client.close()

    def _collect(
        self, tag: str, *, since: ListingMark | None, after: str | None, pages: int
    ) -> _Batch:
        items: dict[str, Any] = {}
        newest: ListingMark | None = None
        cursor = after
        for _ in range(pages):
            children, next_cursor = self._page(tag, cursor)
            for child in children:
                mark = ListingMark.of(child)
                if since is not None and mark is not None and mark <= since:
                    return _Batch(list(items.values()), newest, reached=True, cursor=None)
                if mark is not None and (newest is None or mark > newest):
                    newest = mark
                items.setdefault(child_id(child) or f"#{len(items)}", child)
            if next_cursor is None or next_cursor == cursor:
                if since is not None:
                    log.warning("reddit: #%s: the listing ended before the position", tag)
                return _Batch(list(items.values()), newest, reached=True, cursor=None)
            cursor = next_cursor
        return _Batch(list(items.values()), newest, reached=False, cursor=cursor)

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
        headers = self._headers()
        try:
            body = self._api.get_json(self._url, params, headers)
        except AuthFailed as exc:
            if self._app_credentials is None or exc.status != 401:
                raise
            self._token = None  # revoked or expired early: one fresh token, then give up
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
        if not self._anonymous:
            headers["Authorization"] = f"Bearer {self._bearer()}"
        return headers

    def _bearer(self) -> str:
        expired = self._token_expires_at is not None and self._now() >= self._token_expires_at
        if self._token is not None and not expired:
            return self._token
        if self._app_credentials is None:
            raise ConfigError("reddit: no access token")  # from_job makes this unreachable
        client_id, secret = self._app_credentials
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = self._api.request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "User-Agent": self._user_agent},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthFailed(f"reddit refused app-only OAuth: {error or 'no access_token'}")
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        self._token = token
        self._token_expires_at = (
            self._now() + timedelta(seconds=float(expires_in)) - _TOKEN_MARGIN
            if isinstance(expires_in, int | float)
            else None
        )
        return token

    def _pace(self, request: httpx.Request) -> None:
        """At most one anonymous request every 6 s, so Reddit's 10 a minute is never hit."""
        if self._last_request_at is not None:
            wait = ANONYMOUS_INTERVAL_S - (self._now() - self._last_request_at).total_seconds()
            if wait > 0:
                self._sleep(wait)
        self._last_request_at = self._now()
