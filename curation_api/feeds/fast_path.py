"""An ASGI middleware that answers a cached public feed page before routing.

A hit needs no routing, no dependencies, no database session and no thread: the request's
path and query are matched here, the page looked up, and its bytes sent. Anything else (a
miss, a query this does not read the same way as the route, another path) goes on to the app,
whose route renders the page, caches it, and answers with the same headers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from curation_api.feeds.cache import FeedPageCache, PageKey, etag_matches
from curation_api.feeds.headers import page_headers
from curation_api.feeds.routes import PUBLIC_FEED_PATH
from curation_api.settings import ApiSettings

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
_METHODS = frozenset({"GET", "HEAD"})


def page_key(path: str, query_string: bytes) -> PageKey | None:
    """The cache key the route would use, or None when only the route can tell (a bad limit,
    a repeated or unknown parameter: the route answers those, with its errors)."""
    match = _PATH.match(path)
    if match is None:
        return None
    cursor: str | None = None
    limit = DEFAULT_LIMIT
    seen: set[str] = set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return None
        seen.add(name)
        if name == "cursor":
            cursor = value
        elif name == "limit" and value.isdigit() and 1 <= int(value) <= MAX_LIMIT:
            limit = int(value)
        else:
            return None
    return (match.group(1), cursor, limit)


_PATH = re.compile(PUBLIC_FEED_PATH)


class CachedFeedPages:
    """Serves hits of the feed page cache; see the module's docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: FeedPageCache,
        settings: ApiSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.cache = cache
        self.settings = settings
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        key = page_key(scope["path"], scope["query_string"])
        now = self.clock()
        page = self.cache.get(key, now) if key is not None else None
        if page is None:
            await self.app(scope, receive, send)
            return
        headers = [
            (name.lower().encode(), value.encode())
            for name, value in page_headers(page, now, self.settings).items()
        ]
        if _matches(scope, page.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(page.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = page.body if scope["method"] == "GET" else b""
        await send({"type": "http.response.body", "body": body})


def _matches(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return etag_matches(value.decode("latin-1"), etag)
    return False
