"""The Instagram connector: Graph API hashtag search, then the ``recent_media``/``top_media`` edges.

What the API makes hard, and what this module does about it:

- The edges serve only the last 24 hours, not in time order, with no "since" cursor. The
  position is therefore the set of media ids seen in the last :data:`SEEN_FOR` (24 h plus a
  margin), each with when it was last seen; a fetch returns only ids not in it. A job must poll
  well within the 24 h window: a poll interval above ``max_poll_interval_s`` (6 h) is refused,
  and a gap longer than 24 h between two polls (an outage) is logged as a possible loss.
- 30 unique hashtags per account per rolling 7 days: :class:`HashtagBudget` refuses the 31st
  before the API is asked, and survives restarts.
- Paging: follow ``paging.next`` until it is absent; the ``after`` cursor can repeat, so the
  walk also stops at a URL it already requested or a page that brings no new id.
- Throttling: ``X-App-Usage`` gives percentages of the app's hourly quota; above 90 % every call
  is slowed down, at 100 % the client waits ``throttle_wait_s``. Throttling errors (codes 4, 17,
  32, 613) arrive as 400/403 and are retried after that wait, never taken for bad credentials;
  code 190 (expired token) is :class:`AuthFailed`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, Unpack

import httpx

from contract import RawPost, utcnow
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    ConfigError,
    FetchResult,
    JobSpec,
    MalformedResponse,
    Unavailable,
    position_object,
    position_text,
)
from ingest.connectors.from_job import ApiConnector, Hooks, Wiring
from ingest.connectors.http import ApiClient, http_client
from ingest.connectors.instagram import graph
from ingest.connectors.instagram.budget import HASHTAG_LIMIT, HashtagBudget
from ingest.connectors.instagram.media import media_to_post
from ingest.connectors.options import (
    flag_option,
    int_option,
    required_credential,
    seconds_option,
    state_dir_option,
    text_option,
)
from listening.networks import INSTAGRAM

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
EDGES = ("recent_media", "top_media")

FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,"
    "children{media_type,media_url}"
)
PAGE_LIMIT = 50
WINDOW = timedelta(hours=24)
SEEN_FOR = WINDOW + timedelta(hours=1)


class InstagramConnector(ApiConnector):
    """Polls Instagram hashtags for one business account (``ig_user_id``)."""

    def __init__(
        self,
        api: ApiClient,
        *,
        access_token: str,
        ig_user_id: str,
        hashtags: HashtagBudget,
        base_url: str = DEFAULT_BASE_URL,
        edges: tuple[str, ...] = EDGES,
        max_pages: int = 20,
        check_recent_searches: bool = True,
        now: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(api)
        self._token = access_token
        self._ig_user_id = ig_user_id
        self._hashtags = hashtags
        self._base_url = base_url.rstrip("/")
        self._edges = edges
        self._max_pages = max_pages
        self._check_recent_searches = check_recent_searches
        self._now = now
        self._sleep = sleep

    @classmethod
    def from_job(cls, job: JobSpec, **hooks: Unpack[Hooks]) -> InstagramConnector:
        """Build from a listening job; refuses what cannot work before any request is sent."""
        token = required_credential(job, "access_token")
        ig_user_id = text_option(job, "ig_user_id", "").strip()
        if not ig_user_id:
            raise ConfigError("instagram: option ig_user_id (the business account id) is required")
        max_interval = seconds_option(job, "max_poll_interval_s", 6 * 3600.0)
        if job.poll_interval_s > max_interval:
            raise ConfigError(
                f"instagram: poll_interval_s {job.poll_interval_s:.0f}s is too long: Instagram "
                f"serves only the last 24 h of a hashtag, so poll at least every "
                f"{max_interval:.0f}s or posts are lost"
            )
        if len(set(job.hashtags)) > HASHTAG_LIMIT:
            raise ConfigError(
                f"instagram: {len(set(job.hashtags))} hashtags, but Instagram allows "
                f"{HASHTAG_LIMIT} unique hashtags per 7 days per account"
            )
        edges = tuple(e.strip() for e in text_option(job, "edges", ",".join(EDGES)).split(","))
        if not edges or not set(edges) <= set(EDGES):
            raise ConfigError(f"instagram: option edges must name some of {', '.join(EDGES)}")
        max_pages = int_option(job, "max_pages", 20)
        throttle_wait_s = seconds_option(job, "throttle_wait_s", 900.0)
        wiring = Wiring(**hooks)
        api = wiring.api(
            INSTAGRAM.name,
            http_client,
            rate_limit=graph.app_usage(timedelta(seconds=throttle_wait_s)),
            classify=graph.classify,
            max_rate_limit_wait_s=max(throttle_wait_s, 900.0),
        )
        return cls(
            api,
            access_token=token,
            ig_user_id=ig_user_id,
            hashtags=HashtagBudget(state_dir_option(job), ig_user_id, now=wiring.now),
            base_url=text_option(job, "base_url", DEFAULT_BASE_URL),
            edges=edges,
            max_pages=max_pages,
            check_recent_searches=flag_option(job, "check_recent_searches", True),
            now=wiring.now,
            sleep=wiring.sleep,
        )

    # --- PollingConnector -------------------------------------------------------------------

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        """Media of ``tag`` from the last 24 h that ``position`` has not seen yet."""
        seen, polled_at = _read_position(position)
        now = self._now()
        if polled_at is not None and now - polled_at > WINDOW:
            log.warning(
                "instagram #%s: last poll was %s ago, beyond Instagram's 24 h window: posts "
                "published before %s may be lost; poll more often",
                tag,
                now - polled_at,
                (now - WINDOW).isoformat(timespec="minutes"),
            )
        hashtag_id = self._hashtag_id(tag)
        found: dict[str, Any] = {}
        for edge in self._edges:
            for item in self._edge(hashtag_id, edge, tag):
                found.setdefault(_item_key(item), item)
        fresh = [item for key, item in found.items() if key not in seen]
        stamp = int(now.timestamp())
        horizon = (now - SEEN_FOR).timestamp()
        seen = {k: at for k, at in seen.items() if at >= horizon} | dict.fromkeys(found, stamp)
        return FetchResult(
            items=fresh,
            position=position_text({"polled_at": now.isoformat(), "seen": seen}),
        )

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        return media_to_post(item, tag=tag, collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        native_id = item.get("id") if isinstance(item, dict) else None
        return native_id if isinstance(native_id, str) and native_id else None

    def budget(self) -> Budget | None:
        """Hashtags left this week for the account."""
        return self._hashtags.budget()

    # --- the Graph API ----------------------------------------------------------------------

    def _hashtag_id(self, tag: str) -> str:
        others = self._searched_elsewhere if self._check_recent_searches else None
        self._hashtags.use(tag, others=others)
        cached = self._hashtags.hashtag_id(tag)
        if cached is not None:
            return cached
        body = self._get(
            f"{self._base_url}/ig_hashtag_search", {"user_id": self._ig_user_id, "q": tag}
        )
        data = graph.data(body, "ig_hashtag_search")
        if not data or not isinstance(data[0], dict) or not data[0].get("id"):
            raise ConfigError(f"instagram: no hashtag #{tag} found by ig_hashtag_search")
        hashtag_id = str(data[0]["id"])
        self._hashtags.remember_id(tag, hashtag_id)
        return hashtag_id

    def _searched_elsewhere(self, known_ids: set[str]) -> int:
        """How many hashtags Instagram counts for this account that the ledger does not know."""
        try:
            body = self._get(
                f"{self._base_url}/{self._ig_user_id}/recently_searched_hashtags",
                {"limit": str(HASHTAG_LIMIT)},
            )
            data = graph.data(body, "recently_searched_hashtags")
        except AuthFailed:
            raise
        except (Unavailable, ConfigError) as exc:
            log.warning("instagram: cannot check recently searched hashtags (%s)", exc)
            return 0
        ids = {str(d["id"]) for d in data if isinstance(d, dict) and d.get("id")}
        return len(ids - known_ids)

    def _edge(self, hashtag_id: str, edge: str, tag: str) -> Iterator[Any]:
        """Every media of one edge, following ``paging.next`` until it ends or goes in circles.

        A repeated ``after`` cursor alone is not the end (the API repeats it on pages that do
        bring new media); a URL already requested, or a repeated cursor on a page with nothing
        new, is.
        """
        url = f"{self._base_url}/{hashtag_id}/{edge}"
        params: dict[str, str] = {
            "user_id": self._ig_user_id,
            "fields": FIELDS,
            "limit": str(PAGE_LIMIT),
        }
        requested: set[str] = set()
        cursors: set[str] = set()
        ids: set[str] = set()
        for _ in range(self._max_pages):
            requested.add(graph.comparable(url, params))
            page = self._get(url, params)
            data = graph.data(page, edge)
            fresh = [item for item in data if _item_key(item) not in ids]
            ids.update(map(_item_key, fresh))
            yield from fresh
            next_url, cursor = graph.paging(page)
            if next_url is None:
                return
            url, params = graph.split(next_url)
            if graph.comparable(url, params) in requested or (not fresh and cursor in cursors):
                log.info("instagram #%s %s: the cursor repeats; stopping here", tag, edge)
                return
            if httpx.URL(url).host != httpx.URL(self._base_url).host:
                log.warning("instagram #%s %s: paging.next leaves the Graph API", tag, edge)
                return
            if cursor is not None:
                cursors.add(cursor)
        # Every poll reads the whole 24 h in the API's own order: media past the cap may be
        # past it next time too, and age out unseen.
        log.warning(
            "instagram #%s %s: more than %d pages of media in 24 h; some may be missed: "
            "raise max_pages",
            tag,
            edge,
            self._max_pages,
        )

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        pause = graph.slowdown_s(self._api.last_rate_limit)
        if pause > 0:
            log.info("instagram app usage above 90%%; pausing %.0fs", pause)
            self._sleep(pause)
        # The token goes in the query, as the Graph API documents (paging.next URLs carry it too).
        body = self._api.get_json(url, params={**params, "access_token": self._token})
        if not isinstance(body, dict):
            raise MalformedResponse(f"instagram: expected a JSON object, got {type(body).__name__}")
        return body


def _read_position(position: str | None) -> tuple[dict[str, int], datetime | None]:
    if position is None:
        return {}, None
    try:
        payload = position_object(position) or {}
        seen = {str(k): int(v) for k, v in payload["seen"].items()}
        return seen, datetime.fromisoformat(payload["polled_at"])
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("instagram: unreadable position, starting over (duplicates are dropped)")
        return {}, None


def _item_key(item: Any) -> str:
    """The media id; an item without one is keyed by its content, so it is not sent twice."""
    native_id = item.get("id") if isinstance(item, dict) else None
    if isinstance(native_id, str) and native_id:
        return native_id
    content = json.dumps(item, sort_keys=True, default=str).encode()
    return "sha1:" + hashlib.sha1(content).hexdigest()
