"""A fake Instagram Graph API (hashtag search) as ``../shared/PLATFORMS.md`` documents it.

- ``GET /v21.0/ig_hashtag_search?user_id&q`` -> ``{"data": [{"id"}]}``;
- ``GET /v21.0/{ig-user-id}/recently_searched_hashtags`` -> ``{"data": [{"id"}]}``;
- ``GET /v21.0/{hashtag-id}/recent_media`` (only the last 24 h) and ``/top_media`` (media with
  :attr:`FakeInstagram.top_likes`, however old), ``fields``, ``limit`` (at most 50), ``after``;
  media *not in time order*, no username, ``like_count`` absent when hidden, timestamps as
  ``2025-03-01T12:00:00+0000``; paging ``{"cursors": {"before", "after"}, "next"}`` where
  ``next`` carries the access token, and with :attr:`FakeInstagram.repeat_cursor` the last page
  repeats its cursor and points ``next`` at itself instead of ending (the quirk that loops a
  naive client forever);
- ``X-App-Usage`` on every answer; errors as ``{"error": {"message", "type", "code",
  "error_subcode", "fbtrace_id"}}`` (throttling codes with 400/403, 190 for a dead token).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.ingest.fake_api import FakeApi

GRAPH = "https://graph.facebook.com/v21.0"
IG_USER_ID = "17841400008460056"
TOKEN = "EAAGm0PX4ZCpsBA-fake-s3cret-token"
PAGE_MAX = 50


def graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def make_media(
    *,
    id: str,
    timestamp: datetime,
    caption: str | None = "Loving my new #brand shoes",
    media_type: str = "IMAGE",
    like_count: int | None = 12,
    comments_count: int = 3,
    children: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """An IG Media with the requested fields; ``like_count=None`` hides the count (absent)."""
    media: dict[str, Any] = {
        "id": id,
        "media_type": media_type,
        "permalink": f"https://www.instagram.com/p/C{id[-6:]}/",
        "timestamp": graph_time(timestamp),
        "comments_count": comments_count,
    }
    if caption is not None:
        media["caption"] = caption
    if like_count is not None:
        media["like_count"] = like_count
    if media_type == "CAROUSEL_ALBUM":
        media["children"] = {
            "data": [
                {"media_type": kind, "media_url": url, "id": f"{id}{n}"}
                for n, (kind, url) in enumerate(children)
            ]
        }
    else:
        extension = "mp4" if media_type == "VIDEO" else "jpg"
        media["media_url"] = f"https://scontent.cdninstagram.com/v/{id}.{extension}"
    return media


class FakeInstagram(FakeApi):
    """Hashtags and their media, served through :meth:`client` (an ``httpx.MockTransport``)."""

    malformed_body = b"<html>Sorry, something went wrong.</html>"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        token: str = TOKEN,
        ig_user_id: str = IG_USER_ID,
        page_size: int = PAGE_MAX,
    ) -> None:
        super().__init__()
        self.app_usage = {"call_count": 7, "total_time": 4, "total_cputime": 3}
        self.repeat_cursor = False
        #: Likes that put media on ``top_media``.
        self.top_likes = 100
        #: Hashtag ids searched by other apps on the account (recently_searched_hashtags).
        self.searched_elsewhere: list[str] = []
        self._now = now
        self._token = token
        self._ig_user_id = ig_user_id
        self._page_size = page_size
        self._media: dict[str, list[dict[str, Any]]] = {}
        self._hashtag_ids: dict[str, str] = {}
        self._searches: list[tuple[str, datetime]] = []
        self._next_id = 17_900_000_000_000_000

    # --- content -------------------------------------------------------------------------

    def post(
        self, *, tags: Iterable[str] = ("brand",), age_s: float = 0.0, **fields: Any
    ) -> dict[str, Any]:
        """Publish media (``age_s`` seconds ago) on the edges of every hashtag in ``tags``."""
        self._next_id += 1
        fields.setdefault("timestamp", self._now() - timedelta(seconds=age_s))
        media = fields.pop("media", None) or make_media(id=str(self._next_id), **fields)
        for tag in tags:
            self._media.setdefault(tag, []).append(media)
        return media

    def post_many(self, count: int, **fields: Any) -> list[str]:
        return [self.post(**fields)["id"] for _ in range(count)]

    def hashtag_id(self, tag: str) -> str:
        return self._hashtag_ids.setdefault(
            tag, str(17_843_000_000_000_000 + len(self._hashtag_ids))
        )

    @property
    def searches(self) -> list[str]:
        """The ``q`` of every ig_hashtag_search, in order."""
        return [tag for tag, _ in self._searches]

    def edge_requests(self, edge: str = "recent_media") -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(f"/{edge}")]

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 500, *, times: int = 1) -> None:
        self.fault_next(
            lambda _: _error(status, 1, "An unknown error has occurred.", self._usage()),
            times=times,
        )

    def throttle_next(self, *, code: int = 4, status: int = 403, times: int = 1) -> None:
        """The app went over its quota: a throttling code in a 400/403, usage at 100 %."""

        def fault(_: httpx.Request) -> httpx.Response:
            usage = {"call_count": 100, "total_time": 41, "total_cputime": 38}
            return _error(status, code, "Application request limit reached", usage)

        self.fault_next(fault, times=times)

    def expire_token_next(self) -> None:
        message = (
            "Error validating access token: Session has expired on Saturday, 01-Mar-25 "
            "04:00:00 PST. The current time is Saturday, 01-Mar-25 05:12:09 PST."
        )
        self.fault_next(lambda _: _error(400, 190, message, self._usage(), subcode=463))

    # --- the HTTP side ---------------------------------------------------------------------

    def _respond(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("access_token") != self._token:
            return _error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        parts = request.url.path.removeprefix("/v21.0/").split("/")
        if parts == ["ig_hashtag_search"]:
            if params.get("user_id") != self._ig_user_id:
                return _error(400, 100, "Invalid user id")
            tag = params["q"].casefold()
            self._searches.append((tag, self._now()))
            return self._ok({"data": [{"id": self.hashtag_id(tag)}]})
        if parts == [self._ig_user_id, "recently_searched_hashtags"]:
            week = self._now() - timedelta(days=7)
            recent = dict.fromkeys(tag for tag, at in self._searches if at > week)
            ids = [*self.searched_elsewhere, *map(self.hashtag_id, recent)]
            return self._ok({"data": [{"id": i} for i in ids]})
        if len(parts) == 2 and parts[1] in ("recent_media", "top_media"):
            edge_tag = next((t for t, i in self._hashtag_ids.items() if i == parts[0]), None)
            if edge_tag is None:
                return _error(400, 100, f"Unsupported get request. Object with ID '{parts[0]}'")
            return self._edge(request, edge_tag, parts[1])
        return _error(400, 100, "Unknown path components")

    def _edge(self, request: httpx.Request, tag: str, edge: str) -> httpx.Response:
        params = request.url.params
        media = self._media.get(tag, [])
        if edge == "recent_media":
            horizon = graph_time(self._now() - timedelta(hours=24))
            media = [m for m in media if m["timestamp"] >= horizon]
            # Not in time order: the API's own order, stable but unrelated to the timestamps.
            media = sorted(media, key=lambda m: hashlib.sha1(m["id"].encode()).hexdigest())
        else:  # the popular ones, however old
            media = [m for m in media if m.get("like_count", 0) >= self.top_likes]
            media = sorted(media, key=lambda m: -m["like_count"])
        limit = min(PAGE_MAX, int(params.get("limit", "25")), self._page_size)
        offset = _offset(params.get("after"))
        page = media[offset : offset + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            after = _cursor(offset + len(page))
            body["paging"] = {"cursors": {"before": _cursor(offset), "after": after}}
            if offset + len(page) < len(media):
                body["paging"]["next"] = str(request.url.copy_merge_params({"after": after}))
            elif self.repeat_cursor and "after" in params:
                # The quirk: the last page hands back the cursor it was asked with.
                body["paging"]["cursors"]["after"] = params["after"]
                body["paging"]["next"] = str(request.url)
        return self._ok(body)

    def _ok(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"X-App-Usage": json.dumps(self.app_usage)})

    def _usage(self) -> dict[str, int]:
        return self.app_usage


def _cursor(offset: int) -> str:
    return base64.b64encode(f"QVFIU{offset:08d}".encode()).decode()


def _offset(cursor: str | None) -> int:
    return int(base64.b64decode(cursor).decode()[5:]) if cursor else 0


def _error(
    status: int,
    code: int,
    message: str,
    usage: dict[str, int] | None = None,
    *,
    subcode: int | None = None,
) -> httpx.Response:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AZx3bq9YkQ2-fake",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    headers = {"X-App-Usage": json.dumps(usage)} if usage is not None else None
    return httpx.Response(status, json={"error": error}, headers=headers)
