"""Fake Bluesky services that speak the shapes ``../shared/PLATFORMS.md`` documents.

- :class:`FakeJetstream`: a real websocket server (``websockets.sync.server``) on 127.0.0.1
  serving Jetstream events as JSON text frames. ``cursor`` (unix microseconds) replays every
  event at or after it; without one the connection gets only what is published from then on.
  ``wantedCollections`` filters commits (identity and account events are always sent, as on
  Jetstream). A connection can be told to drop after N frames.
- :class:`FakeBlueskyXrpc`: ``com.atproto.server.createSession`` / ``refreshSession`` and
  ``app.bsky.feed.searchPosts`` (newest first, ``since`` on sortAt, an opaque ``cursor``,
  ``RateLimit-*`` headers with epoch resets, 429s, XRPC errors ``{"error", "message"}``, expiring
  tokens, and the HTML 403 an anonymous search gets) over ``httpx.MockTransport``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.ingest.fake_api import FakeApi, RateWindow

POST = "app.bsky.feed.post"
TAG = "app.bsky.richtext.facet#tag"
LINK = "app.bsky.richtext.facet#link"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
#: 2025-03-01T12:00:00Z in microseconds, like Jetstream's time_us.
START_US = 1_740_830_400_000_000


def tid(n: int) -> str:
    """A record key shaped like a TID (13 sortable base32 characters)."""
    out = ""
    value = (START_US + n) << 10
    for _ in range(13):
        out = _TID_ALPHABET[value & 31] + out
        value >>= 5
    return out


def tag_facet(text: str, tag: str, *, shown: str | None = None) -> dict[str, Any]:
    """A tag facet over ``#tag`` (or ``shown``) in ``text``, with UTF-8 byte offsets."""
    needle = (shown or f"#{tag}").encode()
    start = text.encode().index(needle)
    return {
        "$type": "app.bsky.richtext.facet",
        "index": {"byteStart": start, "byteEnd": start + len(needle)},
        "features": [{"$type": TAG, "tag": tag}],
    }


def link_facet(text: str, shown: str, uri: str) -> dict[str, Any]:
    """A link facet over ``shown`` in ``text``, with UTF-8 byte offsets."""
    start = text.encode().index(shown.encode())
    return {
        "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
        "features": [{"$type": LINK, "uri": uri}],
    }


def images_embed(*images: tuple[str, str]) -> dict[str, Any]:
    """``app.bsky.embed.images`` with blobs ``(cid, alt)`` as a record holds them."""
    return {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "alt": alt,
                "image": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": "image/jpeg",
                    "size": 123_456,
                },
                "aspectRatio": {"width": 1200, "height": 900},
            }
            for cid, alt in images
        ],
    }


def make_record(
    text: str,
    *,
    facets: Iterable[dict[str, Any]] = (),
    tags: Iterable[str] | None = None,
    langs: Iterable[str] = ("en",),
    embed: dict[str, Any] | None = None,
    created_at: str = "2025-03-01T11:59:58.123Z",
) -> dict[str, Any]:
    """An ``app.bsky.feed.post`` record (exact field names)."""
    record: dict[str, Any] = {
        "$type": POST,
        "text": text,
        "createdAt": created_at,
        "langs": list(langs),
    }
    if facets:
        record["facets"] = list(facets)
    if tags is not None:
        record["tags"] = list(tags)
    if embed is not None:
        record["embed"] = embed
    return record


def tagged_record(text: str = "Loving my new #brand shoes", tag: str = "brand") -> dict[str, Any]:
    return make_record(text, facets=[tag_facet(text, tag)])


def commit_event(
    did: str,
    rkey: str,
    record: dict[str, Any] | None = None,
    *,
    operation: str = "create",
    collection: str = POST,
) -> dict[str, Any]:
    """A Jetstream commit event (``time_us`` is set when published)."""
    commit: dict[str, Any] = {
        "rev": "3lbdpqklqs22a",
        "operation": operation,
        "collection": collection,
        "rkey": rkey,
    }
    if operation != "delete":
        commit["record"] = record
        commit["cid"] = f"bafyreig{rkey}"
    return {"did": did, "kind": "commit", "commit": commit}


def identity_event(did: str) -> dict[str, Any]:
    return {
        "did": did,
        "kind": "identity",
        "identity": {"did": did, "handle": "alice.bsky.social", "seq": 1, "time": "2025-03-01"},
    }


def account_event(did: str) -> dict[str, Any]:
    return {
        "did": did,
        "kind": "account",
        "account": {"active": True, "did": did, "seq": 2, "time": "2025-03-01T12:00:00Z"},
    }


class FakeJetstream:
    """A Jetstream instance on a local port; events get ``time_us`` one second apart."""

    def __init__(self, *, step_us: int = 1_000_000) -> None:
        self.frames: list[tuple[int, str]] = []
        self.cursors: list[str | None] = []
        self.wanted: list[list[str]] = []
        self._step_us = step_us
        self._next_us = START_US
        self._drops: deque[int] = deque()
        self._changed = threading.Condition()
        self._stopped = False
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/subscribe"

    @property
    def connections(self) -> int:
        return len(self.cursors)

    def publish(self, event: dict[str, Any]) -> int:
        """Send ``event`` to every connection (and keep it for replays); its ``time_us``."""
        time_us = self._tick()
        self._append(time_us, json.dumps({**event, "time_us": time_us}))
        return time_us

    def publish_raw(self, frame: str) -> None:
        """A frame as is (malformed JSON), in order with the others."""
        self._append(self._tick(), frame)

    def drop_next_connection_after(self, frames: int) -> None:
        """The next connection closes (1011) after sending ``frames`` frames."""
        self._drops.append(frames)

    def close(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _tick(self) -> int:
        self._next_us += self._step_us
        return self._next_us

    def _append(self, time_us: int, frame: str) -> None:
        with self._changed:
            self.frames.append((time_us, frame))
            self._changed.notify_all()

    def _handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        cursor = query.get("cursor", [None])[0]
        wanted = query.get("wantedCollections", [])
        with self._changed:
            if cursor is not None:
                index = next((i for i, (t, _) in enumerate(self.frames) if t >= int(cursor)), None)
                index = len(self.frames) if index is None else index
            else:
                index = len(self.frames)  # live: from now on
            drop_after = self._drops.popleft() if self._drops else None
            self.wanted.append(wanted)
            self.cursors.append(cursor)
        sent = 0
        try:
            while True:
                with self._changed:
                    if not self._stopped and len(self.frames) <= index:
                        self._changed.wait(0.1)
                    if self._stopped:
                        return
                    batch = self.frames[index:]
                if not batch:
                    _raise_if_closed(ws)
                for _, frame in batch:
                    index += 1
                    if not _wanted(frame, wanted):
                        continue
                    if drop_after is not None and sent >= drop_after:
                        ws.close(1011, "jetstream restarting")
                        return
                    ws.send(frame)
                    sent += 1
        except ConnectionClosed:
            return  # the client went away


def _raise_if_closed(ws: ServerConnection) -> None:
    """Clients never send anything: a receive ends only when the connection is closed."""
    with contextlib.suppress(TimeoutError):
        ws.recv(timeout=0)


def _wanted(frame: str, wanted: list[str]) -> bool:
    try:
        event = json.loads(frame)
    except ValueError:
        return True
    commit = event.get("commit") if isinstance(event, dict) else None
    return not wanted or not isinstance(commit, dict) or commit.get("collection") in wanted


# --- XRPC: sessions and search ------------------------------------------------------------------


def make_post_view(
    *,
    did: str,
    rkey: str,
    record: dict[str, Any],
    indexed_at: datetime,
    handle: str = "alice.bsky.social",
    display_name: str = "Alice",
    images: Iterable[tuple[str, str]] = (),
    counts: tuple[int, int, int, int] = (2, 3, 5, 1),
) -> dict[str, Any]:
    """A PostView (exact field names); ``images`` as ``(cid, alt)``, served through the CDN."""
    replies, reposts, likes, quotes = counts
    view: dict[str, Any] = {
        "uri": f"at://{did}/{POST}/{rkey}",
        "cid": f"bafyreig{rkey}",
        "author": {
            "did": did,
            "handle": handle,
            "displayName": display_name,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
            "labels": [],
        },
        "record": record,
        "replyCount": replies,
        "repostCount": reposts,
        "likeCount": likes,
        "quoteCount": quotes,
        "indexedAt": _iso(indexed_at),
        "labels": [],
    }
    images = list(images)
    if images:
        cdn = "https://cdn.bsky.app/img"
        view["embed"] = {
            "$type": "app.bsky.embed.images#view",
            "images": [
                {
                    "thumb": f"{cdn}/feed_thumbnail/plain/{did}/{cid}@jpeg",
                    "fullsize": f"{cdn}/feed_fullsize/plain/{did}/{cid}@jpeg",
                    "alt": alt,
                    "aspectRatio": {"width": 1200, "height": 900},
                }
                for cid, alt in images
            ],
        }
    return view


class FakeBlueskyXrpc(FakeApi):
    """A PDS that logs in ``identifier``/``password`` and proxies search, on a fake clock."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        identifier: str = "brand.bsky.social",
        password: str = "abcd-efgh-ijkl-mnop",
        base_url: str = "https://bsky.example/xrpc",
        rate_limit: int = 3000,
        window_s: float = 300.0,
    ) -> None:
        self.base_url = base_url
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        self.sessions_created = 0
        self.refreshes = 0
        #: Every access token issued is already expired (a clock far off, a broken PDS).
        self.tokens_expire_at_once = False
        self._now = now
        self._login = (identifier, password)
        self._access: set[str] = set()
        self._refresh: set[str] = set()
        self._serial = 0
        self._sessions = 0
        self._limit = RateWindow(now, rate_limit, window_s)

    # --- content --------------------------------------------------------------------------

    def post(
        self, text: str = "Loving my new #brand shoes", *, tag: str = "brand", **fields: Any
    ) -> dict[str, Any]:
        """Index a post now (createdAt a second earlier) by ``did:plc:alice`` unless told."""
        self._serial += 1
        indexed_at = fields.pop("indexed_at", None) or self._now()
        created_at = fields.pop("created_at", None) or indexed_at - timedelta(seconds=1)
        record = make_record(text, facets=[tag_facet(text, tag)], created_at=_iso(created_at))
        view = make_post_view(
            did=fields.pop("did", "did:plc:alice"),
            rkey=tid(self._serial),
            record=record,
            indexed_at=indexed_at,
            **fields,
        )
        self.posts.append(view)
        return view

    # --- scripted behaviour ---------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every access token issued so far has expired (refresh tokens still work)."""
        self._access = {f"expired:{t}" for t in self._access}

    def expire_everything(self) -> None:
        self._access, self._refresh = set(), set()

    def fail_next(self, status: int = 502, *, times: int = 1) -> None:
        self.fault_next(
            lambda _: httpx.Response(status, text="<html>Bad Gateway</html>"), times=times
        )

    def spend_rate_limit(self, *, reset_in_s: float) -> None:
        self._limit.spend(reset_in_s=reset_in_s)

    # --- HTTP -----------------------------------------------------------------------------

    @property
    def search_params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests if r.url.path.endswith("searchPosts")]

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if not self._limit.take():
            return _xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", self._rate())
        method = request.url.path.rsplit("/", 1)[-1]
        if method == "com.atproto.server.createSession":
            return self._create_session(request)
        if method == "com.atproto.server.refreshSession":
            return self._refresh_session(request)
        if method == "app.bsky.feed.searchPosts":
            return self._search(request)
        return _xrpc_error(501, "MethodNotImplemented", "Method Not Implemented", self._rate())

    def _create_session(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if (body.get("identifier"), body.get("password")) != self._login:
            return _xrpc_error(
                401, "AuthenticationRequired", "Invalid identifier or password", self._rate()
            )
        self.sessions_created += 1
        return self._tokens()

    def _refresh_session(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._refresh:
            return _xrpc_error(400, "ExpiredToken", "Token has expired", self._rate())
        self._refresh.discard(token)
        self.refreshes += 1
        return self._tokens()

    def _tokens(self) -> httpx.Response:
        self._sessions += 1
        access, refresh = f"access-{self._sessions}", f"refresh-{self._sessions}"
        self._access.add(f"expired:{access}" if self.tokens_expire_at_once else access)
        self._refresh.add(refresh)
        body = {"accessJwt": access, "refreshJwt": refresh, "handle": self._login[0]}
        return httpx.Response(200, json={**body, "did": "did:plc:brand"}, headers=self._rate())

    def _search(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token:
            # What bsky answers an anonymous search: a CDN's HTML page, not an XRPC error.
            return httpx.Response(403, text="<html><body>403 Forbidden</body></html>")
        if f"expired:{token}" in self._access:
            return _xrpc_error(401, "ExpiredToken", "Token has expired", self._rate())
        if token not in self._access:
            return _xrpc_error(401, "InvalidToken", "Token could not be verified", self._rate())
        params = request.url.params
        tag = params.get("tag", "").casefold()
        limit = min(100, int(params.get("limit", "25")))
        since = params.get("since")
        hits = [p for p in self.posts if tag in _post_tags(p)]
        if since is not None:
            hits = [p for p in hits if _sort_at(p) >= datetime.fromisoformat(since)]
        hits.sort(key=_sort_at, reverse=True)
        offset = int(params.get("cursor", "0"))
        page = hits[offset : offset + limit]
        body: dict[str, Any] = {"posts": page, "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            body["cursor"] = str(offset + limit)
        return httpx.Response(200, json=body, headers=self._rate())

    def _rate(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self._limit.limit),
            "RateLimit-Remaining": str(self._limit.remaining),
            "RateLimit-Reset": str(int(self._limit.reset_at.timestamp())),
            "RateLimit-Policy": f"{self._limit.limit};w={int(self._limit.window.total_seconds())}",
        }


def _post_tags(view: dict[str, Any]) -> set[str]:
    record = view["record"]
    tags = {
        f["tag"].casefold()
        for facet in record.get("facets", [])
        for f in facet["features"]
        if f["$type"] == TAG
    }
    return tags | {t.casefold() for t in record.get("tags", [])}


def _sort_at(view: dict[str, Any]) -> datetime:
    created = datetime.fromisoformat(view["record"]["createdAt"])
    return min(created, datetime.fromisoformat(view["indexedAt"]))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _xrpc_error(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "message": message}, headers=headers)
