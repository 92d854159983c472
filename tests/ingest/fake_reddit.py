"""A fake Reddit that serves search as ``../shared/PLATFORMS.md`` documents.

``GET https://oauth.reddit.com/search`` (bearer token) and ``GET https://www.reddit.com/search.json``
(anonymous, at most 10 requests in any 60 s, else 429): ``q`` matched word by word against the
title and self text (Reddit's search ignores ``#``), ``sort=new``, ``limit`` (at most 100),
``after`` (a fullname; the listing's ``data.after`` is the last child's name while more is left,
and listings end after ``listing_depth`` results as Reddit's do). Posts are ``t3`` children with
the documented fields; ``&``, ``<`` and ``>`` are HTML-escaped in strings as Reddit does without
``raw_json=1``; a deleted post stays listed with ``author`` ``[deleted]``. OAuth answers carry
``X-Ratelimit-Used/Remaining/Reset`` (seconds) with a budget that runs down, and a 429 when it
is spent. ``POST https://www.reddit.com/api/v1/access_token`` grants app-only tokens for HTTP
basic ``client_id:client_secret``. Errors are ``{"message": ..., "error": <status>}``.
"""

from __future__ import annotations

import base64
import copy
import html
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow

OAUTH_HOST = "oauth.reddit.com"
WWW_HOST = "www.reddit.com"
# Base-36 ids cross from 6 to 7 digits after a few posts ("zzzzzz" < "1000000" as numbers only).
FIRST_ID = int("zzzzzx", 36)
FIRST_CREATED_UTC = 1740826800.0  # 2025-03-01T11:00:00Z


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


class FakeReddit(FakeApi):
    """Reddit search over published posts, served through :meth:`transport`."""

    malformed_body = b"<!doctype html><title>reddit: we broke</title>"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        access_token: str = "reddit-test-token",
        client_id: str = "app-id",
        client_secret: str = "app-secret",
        rate_limit: int = 600,
        window_s: float = 600.0,
        anonymous_per_minute: int = 10,
    ) -> None:
        super().__init__()
        self.tokens = {access_token}
        self.client_id, self.client_secret = client_id, client_secret
        self.posts: list[dict[str, Any]] = []
        self.listing_depth = 1000
        self.granted: list[str] = []
        #: Changes each served child (after escaping), to serve what the documented shape is not.
        self.mangle: Callable[[dict[str, Any]], object] | None = None
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self._anonymous_per_minute = anonymous_per_minute
        self._anonymous_at: list[datetime] = []
        self._next_id = FIRST_ID

    # --- content -------------------------------------------------------------------------

    def post(
        self,
        *,
        title: str = "Loving my new #brand shoes",
        selftext: str = "",
        author: str = "alice",
        subreddit: str = "running",
        created_utc: float | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Publish a post (newest so far: one second after the previous one by default)."""
        self._next_id += 1
        post_id = base36(self._next_id)
        slug = re.sub(r"\W+", "_", title.casefold()).strip("_")[:40]
        permalink = f"/r/{subreddit}/comments/{post_id}/{slug}/"
        data: dict[str, Any] = {
            "id": post_id,
            "name": f"t3_{post_id}",
            "subreddit": subreddit,
            "subreddit_name_prefixed": f"r/{subreddit}",
            "author": author,
            "author_fullname": f"t2_{base36(int.from_bytes(author.encode()[:8], 'big'))}",
            "title": title,
            "selftext": selftext,
            "score": 10,
            "ups": 10,
            "num_comments": 2,
            "num_crossposts": 0,
            "created_utc": created_utc
            if created_utc is not None
            else FIRST_CREATED_UTC + len(self.posts),
            "permalink": permalink,
            "url": f"https://www.reddit.com{permalink}",
            "is_self": True,
            "is_video": False,
            "over_18": False,
            "media": None,
        }
        data.update(fields)
        self.posts.append(data)
        return data

    def post_many(self, count: int, **fields: Any) -> list[str]:
        return [self.post(**fields)["id"] for _ in range(count)]

    def delete(self, post: dict[str, Any]) -> None:
        """What deleting does to a post: it stays in search, its author and text are gone."""
        post.update(author="[deleted]", selftext="[deleted]", author_fullname=None)

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = b"<html><body><h1>all servers are busy</h1></body></html>"
        self.fault_next(lambda _: httpx.Response(status, content=body), times=times)

    def spend_rate_limit(self, *, reset_in_s: float) -> None:
        """Someone else spent the budget: the next OAuth request gets a 429."""
        self._rate.spend(reset_in_s=reset_in_s)

    # --- the HTTP side ---------------------------------------------------------------------

    @property
    def search_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "GET"]

    @property
    def search_params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.search_requests]

    def _respond(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if request.method == "POST" and host == WWW_HOST and path == "/api/v1/access_token":
            return self._grant(request)
        if request.method == "GET" and host == WWW_HOST and path == "/search.json":
            now = self._now()
            self._anonymous_at = [t for t in self._anonymous_at if now - t < timedelta(seconds=60)]
            self._anonymous_at.append(now)
            if len(self._anonymous_at) > self._anonymous_per_minute:
                return _error(429, "Too Many Requests")
            return self._search(request.url.params, {})
        if request.method == "GET" and host == OAUTH_HOST and path == "/search":
            if not self._rate.take():
                return _error(429, "Too Many Requests", self._rate_headers())
            headers = self._rate_headers()
            authorization = request.headers.get("Authorization", "")
            if authorization.removeprefix("Bearer ") not in self.tokens:
                headers["www-authenticate"] = 'Bearer realm="reddit", error="invalid_token"'
                return _error(401, "Unauthorized", headers)
            return self._search(request.url.params, headers)
        return _error(404, "Not Found")

    def _grant(self, request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = dict(p.split("=", 1) for p in request.content.decode().split("&") if "=" in p)
        if request.headers.get("Authorization") != f"Basic {expected}":
            return _error(401, "Unauthorized")
        if form.get("grant_type") != "client_credentials":
            return httpx.Response(200, json={"error": "unsupported_grant_type"})
        token = f"app-token-{len(self.granted) + 1}"
        self.granted.append(token)
        self.tokens.add(token)
        body = {"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
        return httpx.Response(200, json=body)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def _search(self, params: httpx.QueryParams, headers: dict[str, str]) -> httpx.Response:
        words = set(re.findall(r"\w+", params.get("q", "").casefold()))
        found = [
            p
            for p in self.posts
            if words <= set(re.findall(r"\w+", f"{p['title']} {p['selftext']}".casefold()))
        ]
        found.sort(key=lambda p: (p["created_utc"], int(p["id"], 36)), reverse=True)
        found = found[: self.listing_depth]
        if "after" in params:
            names = [p["name"] for p in found]
            found = found[names.index(params["after"]) + 1 :] if params["after"] in names else []
        limit = max(1, min(100, int(params.get("limit", "25"))))
        page, rest = found[:limit], found[limit:]
        children = [{"kind": "t3", "data": _escaped(p)} for p in page]
        if self.mangle is not None:
            for child in children:
                self.mangle(child)
        listing = {
            "kind": "Listing",
            "data": {
                "after": page[-1]["name"] if page and rest else None,
                "dist": len(page),
                "modhash": "",
                "geo_filter": "",
                "children": children,
                "before": None,
            },
        }
        return httpx.Response(200, content=json.dumps(listing).encode(), headers=headers)

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Used": str(self._rate.used),
            "X-Ratelimit-Remaining": f"{self._rate.remaining:.1f}",
            "X-Ratelimit-Reset": str(int((self._rate.reset_at - self._now()).total_seconds())),
        }


def _escaped(post: dict[str, Any]) -> dict[str, Any]:
    """Reddit's JSON without ``raw_json=1``: ``&``, ``<`` and ``>`` as entities in strings."""
    served = copy.deepcopy(post)
    for key in ("title", "selftext"):
        served[key] = html.escape(served[key], quote=False)
    for image in (served.get("preview") or {}).get("images", []):
        image["source"]["url"] = image["source"]["url"].replace("&", "&amp;")
    return served


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"message": message, "error": status}, headers=headers)
