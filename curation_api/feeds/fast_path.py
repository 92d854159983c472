"""Answers a cached public feed page before the app: no middleware, routing, dependencies,
database session or thread.

The request's path and query are matched here, the page looked up, and its bytes sent with
the headers the route and the CORS middleware would give. Anything else (a miss, a query this
does not read the same way as the route, a preflight, another path) goes on to the app, whose
route renders the page, caches it, and answers the same way. Measured by ``bench/feed.py``:
through the app's middleware stack a hit cost about twice as much as this.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.types import Scope, Send

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
        self, cache: FeedPageCache, *, settings: ApiSettings, clock: Callable[[], datetime]
    ) -> None:
        self.cache = cache
        self.settings = settings
        self.clock = clock
        self.origins = set(settings.cors_origin_list)

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Send the cached page and return True; False when the app must answer."""
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            return False
        key = page_key(scope["path"], scope["query_string"])
        now = self.clock()
        page = self.cache.get(key, now) if key is not None else None
        if page is None:
            return False
        headers = [
            (name.lower().encode(), value.encode())
            for name, value in page_headers(page, now, self.settings).items()
        ]
        headers.extend(self._cors(scope))
        wanted = _header(scope, b"if-none-match")
        if wanted is not None and etag_matches(wanted, page.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        headers.append((b"content-type", b"application/json"))
        headers.append((b"content-length", str(len(page.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = page.body if scope["method"] == "GET" else b""
        await send({"type": "http.response.body", "body": body})
        return True

    def _cors(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """What the app's CORS middleware adds to a simple request's answer."""
        origin = _header(scope, b"origin")
        if origin is None:
            return []
        # Vary: a page asked with an Origin carries the grant, one asked without does not.
        if "*" in self.origins:
            allowed = b"*"
        elif origin in self.origins:
            allowed = origin.encode()
        else:
            return [(b"vary", b"Origin")]
        return [
            (b"access-control-allow-origin", allowed),
            (b"access-control-expose-headers", b"ETag"),
            (b"vary", b"Origin"),
        ]


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None
