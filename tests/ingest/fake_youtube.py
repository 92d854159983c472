"""A fake YouTube Data API v3 ``search.list`` as ``../shared/PLATFORMS.md`` documents it.

``GET /youtube/v3/search?part=snippet&q=%23tag&type=video&order=date&publishedAfter&
publishedBefore&maxResults&pageToken&key``: newest first, ``publishedAfter``/``publishedBefore``
inclusive, opaque ``nextPageToken`` (absent on the last page), the documented envelope
(``kind``, ``etag``, ``pageInfo``, ``items[{id: {kind, videoId}, snippet: {publishedAt,
channelId, title, description, thumbnails, channelTitle}}]``), titles with HTML entities as
YouTube sends them (``&#39;``, ``&amp;``). Each call costs 100 units of the fake's own daily
quota; past it, a 403 ``quotaExceeded`` (domain ``youtube.quota``, HTML in the message). A wrong
key gets the 400 ``keyInvalid`` answer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.ingest.fake_api import FakeApi

BASE_URL = "https://www.googleapis.com"
API_KEY = "AIzaSyFAKE-k3y-0123456789abcdefghij"
SEARCH_COST = 100


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_video(
    *,
    video_id: str,
    published_at: datetime,
    title: str = "Unboxing my new #brand shoes",
    description: str = "What I think of them after a week. #running",
    channel_id: str = "UCx7Bz0fake0channel00001",
    channel_title: str = "Dana Runs",
    thumbnails: tuple[str, ...] = ("default", "medium", "high"),
) -> dict[str, Any]:
    """A search result for a video, with the documented (exact) field names."""
    sizes = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
    names = {"default": "default", "medium": "mqdefault", "high": "hqdefault"}
    return {
        "kind": "youtube#searchResult",
        "etag": f"etag-{video_id}",
        "id": {"kind": "youtube#video", "videoId": video_id},
        "snippet": {
            "publishedAt": rfc3339(published_at),
            "channelId": channel_id,
            "title": title,
            "description": description,
            "thumbnails": {
                size: {
                    "url": f"https://i.ytimg.com/vi/{video_id}/{names[size]}.jpg",
                    "width": sizes[size][0],
                    "height": sizes[size][1],
                }
                for size in thumbnails
            },
            "channelTitle": channel_title,
            "liveBroadcastContent": "none",
            "publishTime": rfc3339(published_at),
        },
    }


class FakeYouTube(FakeApi):
    """Videos and the search over them, served through :meth:`client` (MockTransport)."""

    malformed_body = b"<html><title>502 Bad Gateway</title></html>"

    def __init__(
        self, *, now: Callable[[], datetime], api_key: str = API_KEY, daily_quota: int = 10_000
    ) -> None:
        super().__init__()
        self.results: list[dict[str, Any]] = []
        self.units_used = 0
        self.daily_quota = daily_quota
        self._now = now
        self._api_key = api_key
        self._counter = 0

    # --- content -------------------------------------------------------------------------

    def publish(self, *, age_s: float = 0.0, **fields: Any) -> dict[str, Any]:
        """A video published ``age_s`` seconds ago; ``fields`` go to :func:`make_video`."""
        self._counter += 1
        fields.setdefault("published_at", self._now() - timedelta(seconds=age_s))
        video = make_video(video_id=f"vid{self._counter:08d}", **fields)
        self.results.append(video)
        return video

    def publish_many(self, count: int, **fields: Any) -> list[str]:
        return [self.publish(**fields)["id"]["videoId"] for _ in range(count)]

    def publish_channel(self, title: str = "The #brand channel") -> dict[str, Any]:
        """A channel result (YouTube returns these without ``type=video``)."""
        self._counter += 1
        channel = make_video(video_id="unused", published_at=self._now(), title=title)
        channel["id"] = {"kind": "youtube#channel", "channelId": f"UCchannel{self._counter:04d}"}
        self.results.append(channel)
        return channel

    @property
    def search_params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests]

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        self.fault_next(
            lambda _: _error(status, "backendError", "global", "Backend Error"), times=times
        )

    def rate_limit_next(self) -> None:
        self.fault_next(
            lambda _: _error(
                403, "rateLimitExceeded", "usageLimits", "The request was rate limited."
            )
        )

    def too_many_next(self) -> None:
        self.fault_next(lambda _: httpx.Response(429, headers={"Retry-After": "7"}))

    def forbid_next(self) -> None:
        message = "The request is not properly authorized to retrieve the specified content."
        self.fault_next(lambda _: _error(403, "forbidden", "youtube.common", message))

    # --- the HTTP side ---------------------------------------------------------------------

    def _respond(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("key") != self._api_key:
            message = "API key not valid. Please pass a valid API key."
            return _error(400, "keyInvalid", "usageLimits", message)
        if request.url.path != "/youtube/v3/search":
            return _error(404, "notFound", "global", "Not Found")
        if self.units_used + SEARCH_COST > self.daily_quota:
            message = (
                "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.'
            )
            return _error(403, "quotaExceeded", "youtube.quota", message)
        self.units_used += SEARCH_COST
        return httpx.Response(200, json=self._search(params))

    def _search(self, params: httpx.QueryParams) -> dict[str, Any]:
        query = params.get("q", "").casefold()
        matching = [
            r
            for r in self.results
            if query in (r["snippet"]["title"] + " " + r["snippet"]["description"]).casefold()
        ]
        if "publishedAfter" in params:
            after = _instant(params["publishedAfter"])
            matching = [r for r in matching if _instant(r["snippet"]["publishedAt"]) >= after]
        if "publishedBefore" in params:
            before = _instant(params["publishedBefore"])
            matching = [r for r in matching if _instant(r["snippet"]["publishedAt"]) <= before]
        # Newest first; ties in the order YouTube indexed them.
        matching.sort(key=lambda r: _instant(r["snippet"]["publishedAt"]), reverse=True)
        size = min(50, int(params.get("maxResults", "5")))
        offset = _offset(params.get("pageToken"))
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "etag": f"etag-{offset}",
            "regionCode": "US",
            "pageInfo": {"totalResults": len(matching), "resultsPerPage": size},
            "items": matching[offset : offset + size],
        }
        if offset + size < len(matching):
            body["nextPageToken"] = _token(offset + size)
        return body


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"CAUQ{offset:04d}".encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    return int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()[4:])


def _error(status: int, reason: str, domain: str, message: str) -> httpx.Response:
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }
    return httpx.Response(status, json=body)
