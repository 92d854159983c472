"""A fake Mastodon instance that serves hashtag timelines as ``../shared/PLATFORMS.md`` documents.

``GET /api/v1/timelines/tag/{tag}``: newest first, ``limit`` (default 20, at most 40),
``max_id`` / ``since_id`` / ``min_id``, an RFC 8288 ``Link`` header (``next`` pages back with
``max_id``, ``prev`` forward with ``min_id``; none on an empty page), ``X-RateLimit-*`` headers
with a budget that runs down (ISO reset time) and a 429 when it is spent, errors as
``{"error": "..."}``. Faults are scripted per request: 503, network error, malformed body, 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow

TIMELINE_PREFIX = "/api/v1/timelines/tag/"
# Ids cross from 17 to 18 digits after a few statuses: ids are decimal strings of growing
# length, and comparing them as text ("99…" > "100…") is a classic bug this exposes.
FIRST_ID = 99_999_999_999_999_996


#: Content as Mastodon renders it: paragraphs, a hashtag, a shortened link (invisible parts and
#: an ellipsis), a mention of a remote account, an entity and a line break.
RICH_CONTENT = (
    '<p>Loving the new <a href="https://social.example/tags/brand" class="mention hashtag" '
    'rel="tag">#<span>Brand</span></a> shoes! Review: <a href="https://example.com/reviews/2025'
    '/running-shoes" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
    '<span class="invisible">https://</span><span class="ellipsis">example.com/reviews/2025/ru'
    '</span><span class="invisible">nning-shoes</span></a></p><p>cc <span class="h-card" '
    'translate="no"><a href="https://other.example/@bob" class="u-url mention">@<span>bob'
    "</span></a></span> &amp; friends<br />second line</p>"
)
RICH_TEXT = (
    "Loving the new #Brand shoes! Review: example.com/reviews/2025/ru…\n\n"
    "cc @bob & friends\nsecond line"
)


def make_status(
    *,
    id: str,
    tags: Iterable[str] = ("brand",),
    content: str = '<p>Loving my new <a href="https://social.example/tags/brand" '
    'class="mention hashtag" rel="tag">#<span>brand</span></a> shoes</p>',
    created_at: str = "2025-03-01T11:00:00.000Z",
    account_id: str = "1001",
    acct: str = "alice",
    display_name: str = "Alice",
    followers_count: int = 120,
    media: Iterable[dict[str, Any]] = (),
    reblog: dict[str, Any] | None = None,
    language: str | None = "en",
    spoiler_text: str = "",
    url: str | None = None,
) -> dict[str, Any]:
    """A Status with the documented (exact) field names."""
    host = acct.split("@", 1)[1] if "@" in acct else "social.example"
    username = acct.split("@", 1)[0]
    return {
        "id": id,
        "created_at": created_at,
        "in_reply_to_id": None,
        "sensitive": bool(spoiler_text),
        "spoiler_text": spoiler_text,
        "visibility": "public",
        "language": language,
        "uri": f"https://{host}/users/{username}/statuses/{id}",
        "url": url if url is not None else f"https://{host}/@{username}/{id}",
        "replies_count": 2,
        "reblogs_count": 3,
        "favourites_count": 5,
        "content": content,
        "reblog": reblog,
        "account": {
            "id": account_id,
            "username": username,
            "acct": acct,
            "url": f"https://{host}/@{username}",
            "display_name": display_name,
            "followers_count": followers_count,
        },
        "media_attachments": list(media),
        "mentions": [],
        "tags": [{"name": tag, "url": f"https://social.example/tags/{tag}"} for tag in tags],
    }


def make_media(
    *, id: str = "5001", type: str = "image", description: str | None = "A shoe"
) -> dict[str, Any]:
    return {
        "id": id,
        "type": type,
        "url": f"https://files.social.example/media/{id}.jpg",
        "preview_url": f"https://files.social.example/media/{id}_small.jpg",
        "remote_url": None,
        "description": description,
        "blurhash": "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$",
    }


class FakeMastodon(FakeApi):
    """One instance's tag timelines, served through :meth:`client` (an ``httpx.MockTransport``)."""

    malformed_body = b"<html>Moved to a new host</html>"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base_url: str = "https://social.example",
        rate_limit: int = 300,
        window_s: float = 300.0,
        requires_token: str | None = None,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.statuses: list[dict[str, Any]] = []
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self._requires_token = requires_token
        #: "documented", "missing" (no Link header at all) or "stuck" (rel="prev" repeats min_id).
        self.links = "documented"
        self._next_id = FIRST_ID

    # --- content -------------------------------------------------------------------------

    def next_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def post(self, **fields: Any) -> dict[str, Any]:
        """Publish a status (newest so far) with the next id; ``fields`` go to make_status."""
        status = fields.pop("status", None) or make_status(id=self.next_id(), **fields)
        self.statuses.append(status)
        return status

    def post_many(self, count: int, **fields: Any) -> list[str]:
        return [self.post(**fields)["id"] for _ in range(count)]

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
        self.fault_next(lambda _: httpx.Response(status, content=body), times=times)

    def not_found_next(self) -> None:
        self.fault_next(lambda _: _error(404, "Record not found"))

    def spend_rate_limit(self, *, reset_in_s: float) -> None:
        """Someone else on this IP spent the budget: the next request gets a 429."""
        self._rate.spend(reset_in_s=reset_in_s)

    # --- the HTTP side ---------------------------------------------------------------------

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, transport=self.transport())

    @property
    def timeline_params(self) -> list[dict[str, str]]:
        """The query of every timeline request, in order."""
        return [dict(r.url.params) for r in self.requests]

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if not self._rate.take():
            return _error(429, "Too many requests", self._rate_headers())
        headers = self._rate_headers()
        if self._requires_token and request.headers.get("Authorization") != (
            f"Bearer {self._requires_token}"
        ):
            return _error(401, "This API requires an authenticated user", headers)
        if request.method != "GET" or not request.url.path.startswith(TIMELINE_PREFIX):
            return _error(404, "Record not found", headers)
        tag = request.url.path.removeprefix(TIMELINE_PREFIX).casefold()
        page, limit = self._page(tag, request.url.params)
        if page and self.links != "missing":
            headers["Link"] = self._link(tag, limit, page, request.url.params.get("min_id"))
        return httpx.Response(200, content=json.dumps(page).encode(), headers=headers)

    def _page(self, tag: str, params: httpx.QueryParams) -> tuple[list[dict[str, Any]], int]:
        limit = max(1, min(40, int(params.get("limit", "20"))))
        matching = [s for s in self.statuses if tag in {t["name"].casefold() for t in s["tags"]}]
        matching.sort(key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in params:
            matching = [s for s in matching if int(s["id"]) < int(params["max_id"])]
        if "since_id" in params:
            matching = [s for s in matching if int(s["id"]) > int(params["since_id"])]
        if "min_id" in params:
            # min_id pages forward: the oldest `limit` statuses after it, still newest first.
            newer = [s for s in matching if int(s["id"]) > int(params["min_id"])]
            return newer[-limit:], limit
        return matching[:limit], limit

    def _link(self, tag: str, limit: int, page: list[dict[str, Any]], min_id: str | None) -> str:
        url = f"{self.base_url}{TIMELINE_PREFIX}{tag}"
        newest = min_id if self.links == "stuck" and min_id else page[0]["id"]
        older = urlencode({"limit": limit, "max_id": page[-1]["id"]})
        newer = urlencode({"limit": limit, "min_id": newest})
        return f'<{url}?{older}>; rel="next", <{url}?{newer}>; rel="prev"'

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self._rate.limit),
            "X-RateLimit-Remaining": str(self._rate.remaining),
            "X-RateLimit-Reset": self._rate.reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": message}, headers=headers)
