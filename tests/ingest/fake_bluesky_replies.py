"""A fake Bluesky PDS, with the AppView behind it, for rights requests: the brand's account
replies to posts and reads the replies to its reply, as ``../shared/PLATFORMS.md`` and the
lexicons document. Sessions, ``RateLimit-*`` headers and 429s are the listening fake's
(:class:`~tests.ingest.fake_bluesky.FakeBlueskyXrpc`).

- ``app.bsky.feed.getPosts?uris=...`` → ``{"posts": [PostView]}`` (**exact**); a deleted or
  unknown post is simply absent (**exact**). ``viewer.replyDisabled: true`` when the post's
  thread gate keeps the brand out (**exact** field of ``#viewerState``).
- ``com.atproto.repo.getRecord?repo&collection&rkey`` → ``{"uri", "cid", "value"}``
  (**exact**); a missing record: 400 ``RecordNotFound`` ``Could not locate record: <uri>``
  (the lexicon's error name; *unsure*: older PDSs answer ``InvalidRequest`` with the same
  message, which :attr:`record_not_found_error` reproduces).
- ``com.atproto.repo.createRecord`` ``{repo, collection, rkey?, record}`` → ``{"uri", "cid",
  "commit": {"cid", "rev"}, "validationStatus": "valid"}`` (**exact**). ``repo`` other than the
  session's: 401 ``AuthenticationRequired``. The record is checked as the lexicon says: ``text``
  at most 300 graphemes and 3,000 UTF-8 bytes, ``createdAt`` required (**exact** limits;
  *unsure* of the messages' wording), 400 ``InvalidRequest``. A given ``rkey`` must have the
  syntax of a TID (*unsure*: the PDS may only check record-key syntax), of any time (*unsure*:
  a 2023 note said posts' own keys had to be within 10 minutes of now; today's PDS source
  shows no such check). A taken ``rkey``: 500 ``InternalServerError`` (*unsure*: reported as a
  bug, atproto#3718; a named 4xx error is planned). The PDS does not check that the parent
  exists (**exact**: a reply is only a record). The AppView sees a new post at once (*unsure*:
  it lags about a second).
- ``app.bsky.feed.getPostThread?uri&depth&parentHeight`` → ``{"thread": threadViewPost}``
  (**exact** shapes: ``$type`` ``app.bsky.feed.defs#threadViewPost`` with ``post``,
  ``parent``, ``replies``; ``#notFoundPost`` ``{uri, notFound}``; ``#blockedPost`` ``{uri,
  blocked, author}``). A deleted anchor: 400 ``NotFound`` ``Post not found: <uri>`` (*unsure*;
  :attr:`gone_thread_as` ``"notFoundPost"`` answers a ``#notFoundPost`` thread instead).
  Replies come newest first (*unsure*: the AppView ranks them its own way, never promised by
  time); a deleted reply is a ``#notFoundPost`` item (*unsure*: it may just be left out).
- Tokens: an expired access token is 400 ``ExpiredToken`` (*unsure*: 400 or 401, the session
  code handles both); an unknown one 401 ``InvalidToken``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import regex

from tests.ingest.fake_bluesky import POST, FakeBlueskyXrpc, make_post_view, make_record, tid

BRAND_DID = "did:plc:brand"  # what FakeBlueskyXrpc's sessions answer
IDENTIFIER = "brand.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
CREATOR_DID = "did:plc:creator"
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
BLOCKED = "app.bsky.feed.defs#blockedPost"
_TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_GRAPHEME = regex.compile(r"\X")


class FakeBlueskyReplies(FakeBlueskyXrpc):
    def __init__(
        self, *, now: Callable[[], datetime], base_url: str = "https://bsky.example/xrpc"
    ) -> None:
        super().__init__(now=now, base_url=base_url, identifier=IDENTIFIER, password=APP_PASSWORD)
        #: What the AppView shows, by AT URI.
        self.views: dict[str, dict[str, Any]] = {}
        #: The brand's repo: its post records by record key.
        self.records: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.blocked: set[str] = set()
        self.gated: set[str] = set()
        #: When each record was created, on the fake clock.
        self.posted_at: list[datetime] = []
        self.record_not_found_error = "RecordNotFound"
        self.gone_thread_as = "error"
        self._lose_create_answers = 0
        self._failing_creates: list[int] = []
        self._next = 0

    # --- content -------------------------------------------------------------------------

    def creator_post(self, *, did: str = CREATOR_DID, text: str = "My #brewnorth mug") -> str:
        """A post by the creator; its AT URI."""
        return self._publish(did, make_record(text, created_at=_iso(self._now())))

    def reply(self, to: str, *, did: str = CREATOR_DID, text: str = "Sure! #YesBrewNorth") -> str:
        """A reply to ``to`` (root and parent as a client sets them); its AT URI."""
        parent = self.views[to]
        ref = {"uri": to, "cid": parent["cid"]}
        root = parent["record"].get("reply", {}).get("root", ref)
        record = make_record(text, created_at=_iso(self._now()))
        record["reply"] = {"root": root, "parent": ref}
        return self._publish(did, record)

    def brand_post(self, rkey: str, *, to: str, text: str) -> str:
        """A post already in the brand's repo under ``rkey``, replying to ``to``."""
        ref = {"uri": to, "cid": self.views[to]["cid"]}
        record = make_record(text, created_at=_iso(self._now()))
        record["reply"] = {"root": ref, "parent": ref}
        self.records[rkey] = record
        return self._publish(BRAND_DID, record, rkey=rkey)

    def delete(self, uri: str) -> None:
        self.deleted.add(uri)

    def block(self, uri: str) -> None:
        """The post's author and the brand block each other: the post shows as blocked."""
        self.blocked.add(uri)

    def gate(self, uri: str) -> None:
        """The post's thread gate does not let the brand reply."""
        self.gated.add(uri)

    @property
    def creates(self) -> list[httpx.Request]:
        """Every ``createRecord`` that reached the PDS (faults included)."""
        return [r for r in self.requests if r.url.path.endswith("createRecord")]

    def lose_next_create_answer(self) -> None:
        """The next create is made, but its answer is a 502 page (a proxy timed out)."""
        self._lose_create_answers += 1

    def fail_creates(self, status: int = 503, *, times: int = 1) -> None:
        """The next ``times`` creates are answered ``status`` (an error page), and not made."""
        self._failing_creates += [status] * times

    # --- the HTTP side ---------------------------------------------------------------------

    def _respond(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        route = {
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.feed.getPostThread": self._get_thread,
            "com.atproto.repo.getRecord": self._get_record,
            "com.atproto.repo.createRecord": self._create_record,
        }.get(method)
        if route is None:
            return super()._respond(request)  # sessions
        if not self._limit.take():
            return self._error(429, "RateLimitExceeded", "Rate Limit Exceeded")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if f"expired:{token}" in self._access:
            return self._error(400, "ExpiredToken", "Token has expired")
        if token not in self._access:
            return self._error(401, "InvalidToken", "Token could not be verified")
        return route(request)

    def _get_posts(self, request: httpx.Request) -> httpx.Response:
        uris = request.url.params.get_list("uris")
        return self._json({"posts": [self._viewed(u) for u in uris if self._shown(u)]})

    def _get_record(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        uri = f"at://{params.get('repo')}/{params.get('collection')}/{params.get('rkey')}"
        record = self.records.get(str(params.get("rkey")))
        if params.get("repo") != BRAND_DID or record is None or uri in self.deleted:
            return self._error(400, self.record_not_found_error, f"Could not locate record: {uri}")
        return self._json({"uri": uri, "cid": self.views[uri]["cid"], "value": record})

    def _create_record(self, request: httpx.Request) -> httpx.Response:
        if self._failing_creates:
            status = self._failing_creates.pop(0)
            return httpx.Response(status, text=f"<html>{status} Service Unavailable</html>")
        body = json.loads(request.content)
        record, rkey = body.get("record") or {}, body.get("rkey") or tid(10_000 + len(self.records))
        if body.get("repo") != BRAND_DID:
            return self._error(401, "AuthenticationRequired", "Authentication Required")
        if problem := _invalid(record, rkey):
            return self._error(400, "InvalidRequest", problem)
        if rkey in self.records:
            return self._error(500, "InternalServerError", "Internal Server Error")
        uri = self._publish(BRAND_DID, record, rkey=rkey)
        self.records[rkey] = record
        self.posted_at.append(self._now())
        if self._lose_create_answers:
            self._lose_create_answers -= 1
            return httpx.Response(502, text="<html>502 Bad Gateway</html>")
        cid = self.views[uri]["cid"]
        commit = {"cid": f"bafyreicommit{rkey}", "rev": rkey}
        return self._json({"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"})

    def _get_thread(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        uri = str(params.get("uri"))
        if not self._shown(uri):
            if self.gone_thread_as == "error":
                return self._error(400, "NotFound", f"Post not found: {uri}")
            return self._json({"thread": _not_found(uri)})
        thread = self._thread(uri, depth=int(params.get("depth", "6")))
        parent = self.views[uri]["record"].get("reply", {}).get("parent", {}).get("uri")
        if parent is not None and int(params.get("parentHeight", "80")) > 0:
            shown = self._shown(parent)
            thread["parent"] = self._thread(parent, depth=0) if shown else _not_found(parent)
        return self._json({"thread": thread})

    def _thread(self, uri: str, *, depth: int) -> dict[str, Any]:
        if uri in self.deleted:
            return _not_found(uri)
        if uri in self.blocked:
            author = {"did": self.views[uri]["author"]["did"], "viewer": {"blocking": "x"}}
            return {"$type": BLOCKED, "uri": uri, "blocked": True, "author": author}
        thread: dict[str, Any] = {"$type": THREAD_VIEW, "post": self._viewed(uri)}
        if depth > 0:
            children = [u for u, v in self.views.items() if _parent(v) == uri]
            thread["replies"] = [self._thread(u, depth=depth - 1) for u in reversed(children)]
        return thread

    def _shown(self, uri: str) -> bool:
        return uri in self.views and uri not in self.deleted

    def _viewed(self, uri: str) -> dict[str, Any]:
        view = dict(self.views[uri])
        view["viewer"] = {"replyDisabled": True} if uri in self.gated else {}
        return view

    def _publish(self, did: str, record: dict[str, Any], *, rkey: str | None = None) -> str:
        self._next += 1
        view = make_post_view(
            did=did,
            rkey=rkey or tid(self._next),
            record=record,
            indexed_at=self._now(),
            handle="brand.bsky.social" if did == BRAND_DID else f"{did.rsplit(':')[-1]}.bsky",
            counts=(0, 0, 0, 0),
        )
        self.views[view["uri"]] = view
        return str(view["uri"])

    def _json(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json=body, headers=self._rate())

    def _error(self, status: int, error: str, message: str) -> httpx.Response:
        return httpx.Response(
            status, json={"error": error, "message": message}, headers=self._rate()
        )


def _invalid(record: dict[str, Any], rkey: str) -> str | None:
    """What the PDS says of an invalid post record or record key, or ``None``."""
    text = record.get("text")
    if not _TID.match(rkey):
        return f"Invalid record key: {rkey}"
    if record.get("$type", POST) != POST or not isinstance(text, str):
        return f'Invalid {POST} record: Record must have the property "text"'
    if len(text.encode()) > 3000:
        return f"Invalid {POST} record: Record/text must not be longer than 3000 characters"
    if len(_GRAPHEME.findall(text)) > 300:
        return f"Invalid {POST} record: Record/text must not be longer than 300 graphemes"
    if not isinstance(record.get("createdAt"), str):
        return f'Invalid {POST} record: Record must have the property "createdAt"'
    return None


def _parent(view: dict[str, Any]) -> str | None:
    parent = view["record"].get("reply", {}).get("parent", {}).get("uri")
    return str(parent) if parent is not None else None


def _not_found(uri: str) -> dict[str, Any]:
    return {"$type": NOT_FOUND, "uri": uri, "notFound": True}


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
