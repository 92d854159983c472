"""Mastodon hashtag timelines as a polling connector (``GET /api/v1/timelines/tag/{tag}``).

A fetch without a position takes the newest ``backfill_pages`` pages, paging back with
``max_id``. A fetch from a position pages *forward* in time with ``min_id``, following the
``Link: rel="prev"`` cursor of each page, until a page is empty (a page shorter than ``limit``
proves nothing: filters shorten pages), a page gives no cursor that moves forward, or
:data:`MAX_PAGES_PER_POLL` pages were read (then ``more`` asks the runner to fetch again).

The position is the newest status id seen, boosts and malformed statuses included: they were
handled, so the next fetch may pass them. Mastodon ids are decimal strings of unequal length,
so they are compared by (length, text), never as text alone.

The instance's manners (``X-RateLimit-*`` with an ISO reset time, errors as
``{"error": "..."}``) are :class:`~ingest.connectors.http.ApiClient`'s hooks; errors that
retrying cannot fix say what to check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack
from urllib.parse import parse_qs, quote, urlsplit

import httpx

from contract import RawPost, normalize_hashtag
from ingest.connectors.base import FetchResult, JobSpec, MalformedResponse
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import ApiClient, bearer, http_client, json_error_message
from ingest.connectors.mastodon.status import id_order, is_boost, status_id, status_to_post
from ingest.connectors.options import int_option, optional_credential, url_option
from ingest.connectors.rate_limit import RateLimit, header_number, iso_reset
from ingest.link_header import parse_link_header
from listening.networks import MASTODON

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://mastodon.social"
#: Mastodon silently clamps ``limit`` above 40 on timelines.
MAX_PAGE_LIMIT = 40
DEFAULT_TIMEOUT_S = 10.0
#: Pages read by one fetch when catching up: the runner checkpoints between fetches, so a busy
#: hashtag never holds a huge batch before its checkpoint.
MAX_PAGES_PER_POLL = 25

_TIMELINE = "/api/v1/timelines/tag/"
_HINTS = {
    401: "this instance requires an access token (credential access_token under the job's "
    "credentials_ref), or the token is invalid",
    403: "the access token is not allowed to read this timeline",
    404: "check the job's base_url option: is {host} a Mastodon instance, and the hashtag valid?",
    422: "the instance rejected the request: check the hashtag",
}


@dataclass(frozen=True)
class TimelinePage:
    """One page of a timeline, newest first, and the cursors its ``Link`` header gave."""

    statuses: list[Any]  # raw JSON values: each is normalized on its own
    older_max_id: str | None  # from rel="next": the page before this one in time
    newer_min_id: str | None  # from rel="prev": the page after this one in time


def make_http_client(base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> httpx.Client:
    """An HTTP client for one instance (timeout, identification)."""
    return http_client(base_url=base_url, timeout_s=timeout_s, follow_redirects=True)


def read_rate_limit(response: httpx.Response, _now: datetime) -> RateLimit:
    """``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` (an ISO 8601 timestamp)."""
    return RateLimit(
        remaining=header_number(response, "X-RateLimit-Remaining"),
        limit=header_number(response, "X-RateLimit-Limit"),
        resets_at=iso_reset(response.headers.get("X-RateLimit-Reset")),
    )


def read_error(response: httpx.Response) -> str | None:
    """``{"error": "..."}``, with what to check when retrying cannot help."""
    message = json_error_message(response)
    status = response.status_code
    hint = _HINTS.get(status)
    if hint is None and 400 <= status < 500 and status not in (408, 429):
        hint = "retrying will not help"
    if hint is None:
        return message
    host = response.request.url.host
    return f"{message or response.reason_phrase}; {hint.format(host=host)}"


class MastodonConnector(ApiConnector):
    """Hashtag timelines of one instance; build it with :meth:`from_job`."""

    def __init__(
        self,
        api: ApiClient,
        *,
        base_url: str,
        page_limit: int = MAX_PAGE_LIMIT,
        backfill_pages: int = 1,
        access_token: str | None = None,
    ) -> None:
        super().__init__(api)
        self._base_url = base_url.rstrip("/")
        self._host = urlsplit(self._base_url).netloc.lower()
        self._page_limit = page_limit
        self._backfill_pages = backfill_pages
        self._headers = bearer(access_token) if access_token else {}

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"MastodonConnector(base_url={self._base_url!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> MastodonConnector:
        """The connector for ``job``: options ``base_url``, ``page_limit``, ``backfill_pages``;
        credential ``access_token`` when the instance requires login."""
        wiring = Wiring(**hooks)
        base_url = url_option(job, "base_url", DEFAULT_BASE_URL).rstrip("/")
        page_limit = int_option(job, "page_limit", MAX_PAGE_LIMIT, high=MAX_PAGE_LIMIT)
        backfill_pages = int_option(job, "backfill_pages", 1)
        api = wiring.api(
            MASTODON.name,
            lambda: make_http_client(base_url),
            rate_limit=read_rate_limit,
            error_message=read_error,
        )
        return cls(
            api,
            base_url=base_url,
            page_limit=page_limit,
            backfill_pages=backfill_pages,
            access_token=optional_credential(job, "access_token"),
        )

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Statuses about ``tag`` newer than the status id ``position``, oldest first."""
        tag = normalize_hashtag(tag)
        if position is None:
            statuses, more = self._newest_pages(tag), False
        else:
            statuses, more = self._pages_after(tag, position)
        items = _oldest_first_unique(statuses)
        newest = _newest_id(items, position)
        return FetchResult(items=items, position=newest if newest != position else None, more=more)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        """The post of one status; ``None`` for a boost (someone else's status, found as its
        own post or not at all)."""
        if is_boost(item):
            return None
        return status_to_post(item, tag=normalize_hashtag(tag), collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        """The status id."""
        return status_id(item)

    def tag_timeline(
        self, tag: str, *, max_id: str | None = None, min_id: str | None = None
    ) -> TimelinePage:
        """One page: the newest statuses, or those just older than ``max_id``, or those just
        newer than ``min_id`` (paging forward)."""
        params: dict[str, str | int] = {"limit": self._page_limit}
        if max_id is not None:
            params["max_id"] = max_id
        if min_id is not None:
            params["min_id"] = min_id
        url = f"{self._base_url}{_TIMELINE}{quote(tag, safe='')}"
        response = self._api.request("GET", url, params=params, headers=self._headers)
        try:
            statuses = response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise MalformedResponse(
                f"mastodon: GET {_TIMELINE}{tag}: the body is not JSON ({exc})"
            ) from None
        if not isinstance(statuses, list):
            raise MalformedResponse(
                f"mastodon: GET {_TIMELINE}{tag}: expected a JSON array of statuses, "
                f"got {type(statuses).__name__}"
            )
        links = parse_link_header(response.headers.get("Link", ""))
        return TimelinePage(
            statuses=statuses,
            older_max_id=_query_param(links.get("next"), "max_id"),
            newer_min_id=_query_param(links.get("prev"), "min_id"),
        )

    def _newest_pages(self, tag: str) -> list[Any]:
        """First poll of a hashtag: the newest ``backfill_pages`` pages."""
        statuses: list[Any] = []
        max_id: str | None = None
        for _ in range(self._backfill_pages):
            page = self.tag_timeline(tag, max_id=max_id)
            statuses.extend(page.statuses)
            if not page.statuses or page.older_max_id in (None, max_id):
                break
            max_id = page.older_max_id
        return statuses

    def _pages_after(self, tag: str, since: str) -> tuple[list[Any], bool]:
        """Statuses newer than ``since``, page by page forward; ``True`` when pages are left."""
        statuses: list[Any] = []
        min_id = since
        for _ in range(MAX_PAGES_PER_POLL):
            page = self.tag_timeline(tag, min_id=min_id)
            if not page.statuses:
                return statuses, False
            statuses.extend(page.statuses)
            cursor = page.newer_min_id
            # Without a cursor that moves forward, stop here: the position still advances to
            # the newest status seen, so the next fetch resumes from there without a gap.
            if cursor is None or id_order(cursor) <= id_order(min_id):
                log.warning(
                    "#%s on %s: no forward cursor past %s; the next poll goes on from here",
                    tag,
                    self._host,
                    min_id,
                )
                return statuses, False
            min_id = cursor
        log.info("#%s on %s: more than %d new pages", tag, self._host, MAX_PAGES_PER_POLL)
        return statuses, True


def _oldest_first_unique(statuses: Iterable[Any]) -> list[Any]:
    """Oldest first, so that the topic reads in the order the posts were written; a status
    seen twice (overlapping pages) once. Statuses without an id stay, to be dead-lettered."""
    seen: set[str] = set()
    unique: list[Any] = []
    for raw in statuses:
        native_id = status_id(raw)
        if native_id is not None:
            if native_id in seen:
                continue
            seen.add(native_id)
        unique.append(raw)
    return sorted(unique, key=lambda s: id_order(status_id(s) or ""))


def _newest_id(statuses: Iterable[Any], since: str | None) -> str | None:
    """The newest status id among ``statuses`` and ``since``."""
    ids = [i for i in map(status_id, statuses) if i is not None]
    if since is not None:
        ids.append(since)
    return max(ids, key=id_order, default=None)


def _query_param(url: str | None, name: str) -> str | None:
    if url is None:
        return None
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None
