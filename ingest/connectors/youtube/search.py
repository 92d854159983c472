"""The YouTube connector: ``search.list`` for ``#tag``, newest first, within a daily unit quota.

A search costs 100 of the project's 10,000 daily units, so every call is counted first by
:class:`~ingest.connectors.youtube.quota.QuotaLedger`; a call that would overspend is not made
and :class:`BudgetExhausted` tells the job to wait for midnight Pacific time (also when YouTube
itself answers ``quotaExceeded``, a 403 that is not a credentials problem).

Position (:mod:`~ingest.connectors.youtube.position`): the newest ``publishedAt`` produced and
the ids published at that instant (``publishedAfter`` is inclusive, so those come back and are
dropped). Results come newest first, so a poll that stops early (the page cap, the quota) has
the newest videos but not the oldest new ones: that gap is caught up with as
:mod:`ingest.connectors.catch_up` says, the next fetch reading
``publishedAfter``..``publishedBefore`` (the oldest ``publishedAt`` fetched) until it is drained.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Unpack

import httpx

from contract import RawPost, utcnow
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    BudgetExhausted,
    FetchResult,
    JobSpec,
    MalformedResponse,
)
from ingest.connectors.catch_up import CatchUp, PageCaps, Pages
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import (
    RETRY,
    ApiClient,
    Classifier,
    Verdict,
    http_client,
    json_error_message,
    json_object,
)
from ingest.connectors.options import int_option, required_credential, state_dir_option, text_option
from ingest.connectors.youtube.position import (
    Instant,
    decode_window,
    encode_window,
    later,
    newest,
    oldest,
)
from ingest.connectors.youtube.quota import SEARCH_COST, QuotaLedger, next_pacific_midnight
from ingest.connectors.youtube.video import video_id, video_to_post
from ingest.html_text import html_to_text
from listening.networks import YOUTUBE

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://www.googleapis.com"
SEARCH_PATH = "/youtube/v3/search"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID"})
#: Pages of already-produced videos read past the page cap before a fetch gives up.
MAX_STALE_PAGES = 10
_CATCH_UP = CatchUp(YOUTUBE.name, decode_window, encode_window, later)


class YouTubeConnector(ApiConnector):
    """Polls YouTube search for each hashtag of a job, one API key's quota at a time."""

    def __init__(
        self,
        api: ApiClient,
        *,
        api_key: str,
        quota: QuotaLedger,
        hashtag_count: int = 1,
        base_url: str = DEFAULT_BASE_URL,
        max_results: int = 50,
        pages: PageCaps,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(api)
        self._key = api_key
        self._quota = quota
        self._hashtag_count = hashtag_count
        self._url = base_url.rstrip("/") + SEARCH_PATH
        self._max_results = max_results
        self._pages = pages
        self._now = now

    def __repr__(self) -> str:
        return f"YouTubeConnector(url={self._url!r})"  # never the key

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> YouTubeConnector:
        """Build from a listening job; warns when its poll interval outruns the quota."""
        api_key = required_credential(job, "api_key")
        max_results = int_option(job, "max_results", 50, high=50)
        daily_quota = int_option(job, "daily_quota", 10_000)
        pages = PageCaps.of(job, most=5)
        wiring = Wiring(**hooks)
        quota = QuotaLedger(state_dir_option(job), api_key, daily_quota=daily_quota, now=wiring.now)
        api = wiring.api(
            YOUTUBE.name,
            http_client,
            error_message=_error_message,
            classify=quota_verdicts(quota, wiring.now),
        )
        connector = cls(
            api,
            api_key=api_key,
            quota=quota,
            hashtag_count=max(1, len(job.hashtags)),
            base_url=text_option(job, "base_url", DEFAULT_BASE_URL),
            max_results=max_results,
            pages=pages,
            now=wiring.now,
        )
        safe = connector.min_poll_interval_s()
        if job.poll_interval_s < safe:
            log.warning(
                "job %s: polling %d YouTube hashtags every %.0fs would spend the daily quota "
                "early; every %.0fs or more spreads it over the day",
                job.job_id,
                len(job.hashtags),
                job.poll_interval_s,
                safe,
            )
        return connector

    def min_poll_interval_s(self) -> float:
        """The shortest poll interval that spreads the daily quota over 24 h (one search page
        per hashtag and poll; other jobs on the same key need their share on top)."""
        polls_per_day = self._quota.daily_quota / (SEARCH_COST * self._hashtag_count)
        return 86_400.0 / polls_per_day if polls_per_day > 0 else float("inf")

    # --- PollingConnector -------------------------------------------------------------------

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Videos with ``#tag`` published since ``position`` (the newest pages on a first poll)."""
        # A first poll that finds nothing listens from now on, or a burst before the next poll
        # would be cut to the newest pages again.
        now = Instant(self._now().strftime("%Y-%m-%dT%H:%M:%SZ"), set())
        return _CATCH_UP.fetch(tag, position, partial(self._read, tag), self._pages, start=now)

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return video_to_post(item, tag=tag, collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        return video_id(item)

    def budget(self) -> Budget | None:
        """What is left of the key's daily units."""
        return self._quota.budget()

    # --- the API ------------------------------------------------------------------------------

    def _read(
        self, tag: str, after: Instant | None, before: Instant | None, pages: int
    ) -> Pages[Instant, Instant]:
        """Up to ``pages`` pages published from ``after`` to ``before`` (both inclusive, so the
        videos of those seconds already produced are dropped); the oldest instant read is where
        a gap goes on."""
        if after is None:
            items, _ = self._search(tag, {}, pages=pages)
            return Pages(items, newest(items), reached=True)
        window = {"publishedAfter": after.at}
        if before is not None:
            window["publishedBefore"] = before.at
        known = after.ids | (before.ids if before is not None else set())
        found, drained = self._search(tag, window, pages=pages, known=known)
        bottom = oldest(found)
        if bottom is not None and before is not None and bottom.instant == before.instant:
            bottom = Instant(bottom.at, bottom.ids | before.ids)
        items = [item for item in found if video_id(item) not in known]
        return Pages(items, newest(found), reached=drained, resume=bottom)

    def _search(
        self, tag: str, window: dict[str, str], *, pages: int, known: set[str] | None = None
    ) -> tuple[list[Any], bool]:
        """Up to ``pages`` search pages; also whether the results ended (no ``nextPageToken``).

        A page holding only ``known`` videos does not count against ``pages`` (up to
        :data:`MAX_STALE_PAGES`): when more videos share the ceiling's second than a fetch
        can read, the next fetch would otherwise read the same pages again, forever.
        When the quota runs out after the first page, what was fetched is returned (not
        drained): the next fetch then raises :class:`BudgetExhausted` and the job waits.
        """
        params = {
            "part": "snippet",
            "q": f"#{tag}",
            "type": "video",
            "order": "date",
            "maxResults": str(self._max_results),
            **window,
        }
        items: dict[str, Any] = {}
        tokens: set[str] = set()
        useful = stale = 0
        while useful < pages and stale <= MAX_STALE_PAGES:
            try:
                self._quota.spend(SEARCH_COST)
                body = self._api.get_json(self._url, params={**params, "key": self._key})
            except BudgetExhausted:
                if not items and not tokens:
                    raise
                log.warning("youtube #%s: the quota ran out in the middle of a poll", tag)
                return list(items.values()), False
            if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                raise MalformedResponse("youtube: search: the answer has no 'items' list")
            page = {video_id(i) or json.dumps(i, sort_keys=True): i for i in body["items"]}
            if set(page) - (known or set()):
                useful += 1
            else:
                stale += 1
            items.update(page)
            token = body.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return list(items.values()), True
            if token in tokens:
                return list(items.values()), False
            tokens.add(token)
            params["pageToken"] = token
        return list(items.values()), False


# --- the API's manners ------------------------------------------------------------------------


def quota_verdicts(quota: QuotaLedger, now: Callable[[], datetime]) -> Classifier:
    """Google's error reasons: a spent quota (a 403) waits for midnight Pacific time and marks
    ``quota`` spent, a rate limit is retried, a bad key fails the job."""

    def classify(response: httpx.Response) -> Verdict:
        if response.is_success:
            return None
        reasons = _reasons(response)
        message = _error_message(response) or response.reason_phrase
        if reasons & QUOTA_REASONS:
            quota.exhausted()
            return BudgetExhausted(f"youtube: {message}", resets_at=next_pacific_midnight(now()))
        if reasons & RATE_REASONS:
            return RETRY
        if reasons & KEY_REASONS:
            return AuthFailed(
                f"youtube answered {response.status_code} to GET "
                f"{response.request.url.path}: {message}",
                status=response.status_code,
            )
        return None

    return classify


def _reasons(response: httpx.Response) -> set[str]:
    """``errors[].reason`` and ``details[].reason`` of a Google error body."""
    error = (json_object(response) or {}).get("error")
    if not isinstance(error, dict):
        return set()
    entries = [*(error.get("errors") or []), *(error.get("details") or [])]
    return {
        e["reason"] for e in entries if isinstance(e, dict) and isinstance(e.get("reason"), str)
    }


def _error_message(response: httpx.Response) -> str | None:
    # YouTube puts HTML in some messages ("exceeded your <a href=...>quota</a>").
    message = json_error_message(response)
    return html_to_text(message) if message else None
