"""The baseline of ``bench/feed.py``: the cheapest ASGI app that answers like the feed.

It returns a constant body of ``BENCH_FEED_BODY_BYTES`` bytes (the size of the measured feed
page) with the same kind of headers, under the same uvicorn settings as the API, so the ratio
feed / baseline says what the cache and the app around it cost on top of the server itself.

Run by the bench: ``uvicorn bench.feed_baseline:app`` with the variable set.
"""

from __future__ import annotations

import os

from starlette.types import Receive, Scope, Send

BODY = b"x" * int(os.environ.get("BENCH_FEED_BODY_BYTES", "10000"))
HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode()),
    (b"etag", b'"0123456789abcdef0123456789abcdef"'),
    (b"cache-control", b"public, max-age=10, stale-while-revalidate=30"),
]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
