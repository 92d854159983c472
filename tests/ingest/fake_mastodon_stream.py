"""A fake Mastodon instance with the hashtag streaming API, beside :class:`FakeMastodon`'s REST.

``GET /api/v1/streaming/hashtag?tag=foo`` with ``Authorization: Bearer <user token>`` answers
``text/event-stream`` as Mastodon does (``../shared/PLATFORMS.md``): ``event: update`` +
``data: <Status JSON>`` for each new status carrying the tag, ``event: delete`` +
``data: <id>``, and ``:thump`` heartbeat comments while nothing happens. The body is streamed
for as long as the connection lives; frames are cut into several chunks, so that lines arrive
split as they do over a network. Everything else goes to the REST fake, whose timeline also
holds every status published here (what a catch-up with ``min_id`` reads).
"""

from __future__ import annotations

import json
import queue
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.ingest.fake_mastodon import FakeMastodon

STREAM_PATH = "/api/v1/streaming/hashtag"


@dataclass
class StreamConnection:
    tag: str
    request: httpx.Request
    chunks: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    open: bool = True


class FakeMastodonStream:
    """Streams of one instance; :meth:`client` serves them and ``rest``'s API."""

    def __init__(
        self, rest: FakeMastodon, *, token: str = "user-token", heartbeat_s: float = 0.02
    ) -> None:
        self.rest = rest
        self.token = token
        self.connections: list[StreamConnection] = []
        self._heartbeat_s = heartbeat_s
        self._refusals: deque[httpx.Response] = deque()
        self._lock = threading.Lock()
        self._closed = False

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.rest.base_url, transport=httpx.MockTransport(self.handle))

    @property
    def open_connections(self) -> list[StreamConnection]:
        with self._lock:
            return [c for c in self.connections if c.open]

    @property
    def timeline_requests(self) -> list[tuple[str, dict[str, str]]]:
        """``(tag, query)`` of every REST timeline request, in order."""
        prefix = "/api/v1/timelines/tag/"
        return [
            (r.url.path.removeprefix(prefix), dict(r.url.params))
            for r in self.rest.requests
            if r.url.path.startswith(prefix)
        ]

    # --- what happens on the instance ------------------------------------------------------

    def publish(self, *, multiline: bool = False, **fields: Any) -> dict[str, Any]:
        """A new status (on the REST timeline too), pushed to the streams of its tags."""
        status = self.rest.post(**fields)
        tags = {t["name"].casefold() for t in status["tags"]}
        if multiline:  # a data field per line of indented JSON: the client joins them
            data = "".join(f"data: {line}\n" for line in json.dumps(status, indent=1).splitlines())
        else:
            data = f"data: {json.dumps(status)}\n"
        self._push(f"event: update\n{data}\n".encode(), lambda c: c.tag in tags)
        return status

    def delete(self, status_id: str) -> None:
        self._push(f"event: delete\ndata: {status_id}\n\n".encode(), lambda _c: True)

    def push_raw(self, frame: str) -> None:
        self._push(frame.encode(), lambda _c: True)

    def hang_up(self) -> None:
        """The instance closes every open stream (a restart, a proxy timeout)."""
        for connection in self.open_connections:
            connection.open = False
            connection.chunks.put(None)

    def refuse_next(
        self, status: int, *, times: int = 1, content_type: str = "application/json"
    ) -> None:
        body = (
            json.dumps({"error": "Service Unavailable"})
            if "json" in content_type
            else ("<html><body>Welcome to nginx</body></html>")
        )
        for _ in range(times):
            self._refusals.append(
                httpx.Response(status, text=body, headers={"Content-Type": content_type})
            )

    def close(self) -> None:
        self._closed = True
        self.hang_up()

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != STREAM_PATH:
            return self.rest.handle(request)
        if self._refusals:
            return self._refusals.popleft()
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "Invalid access token"})
        connection = StreamConnection(
            tag=request.url.params.get("tag", "").casefold(), request=request
        )
        with self._lock:
            self.connections.append(connection)
        return httpx.Response(
            200,
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"},
            content=self._body(connection),
        )

    def _body(self, connection: StreamConnection) -> Iterator[bytes]:
        while True:
            try:
                chunk = connection.chunks.get(timeout=self._heartbeat_s)
            except queue.Empty:
                if self._closed:
                    return
                yield b":thump\n"
                continue
            if chunk is None:
                return
            yield chunk

    def _push(self, frame: bytes, to: Any) -> None:
        cut = max(1, len(frame) // 3)
        for connection in self.open_connections:
            if to(connection):
                for start in range(0, len(frame), cut):
                    connection.chunks.put(frame[start : start + cut])
