"""A fake Reddit for rights requests: the brand's account (user OAuth) comments on posts and
reads comment trees, as ``../shared/PLATFORMS.md`` and Reddit's API documentation say.

- ``POST https://www.reddit.com/api/v1/access_token`` with HTTP Basic ``client_id:secret`` and
  the form ``grant_type=refresh_token&refresh_token=...`` → ``{"access_token", "token_type":
  "bearer", "expires_in", "scope"}`` (**exact**). Tokens last an hour (*unsure*: Reddit has
  also said 24 h); a wrong app is 401, a wrong refresh token 400 ``{"error": "invalid_grant"}``
  (*unsure*: the status; some clients report a 200 with that body).
- Every request needs a descriptive ``User-Agent`` (**exact**: Reddit's API rules); the fake
  answers httpx's default one with 429, as Reddit throttles generic agents (*unsure*: the code).
- ``oauth.reddit.com`` needs ``Authorization: bearer <token>`` (401 otherwise) and answers with
  ``X-Ratelimit-Used/Remaining/Reset`` (seconds) over a window that runs down, 429 when spent
  (**exact**, as the listening fake).
- ``GET /api/v1/me`` → the account, ``name`` and ``id`` (without ``t2_``) (**exact**).
- ``GET /comments/{post}`` (``comment``, ``depth``, ``limit``, ``sort``, ``raw_json``) → two
  Listings, ``[post], [comments]`` (**exact**); each comment ``t1`` with ``id``, ``name``,
  ``parent_id``, ``link_id``, ``author``, ``author_fullname``, ``body``, ``created_utc``,
  ``permalink``, ``depth`` and ``replies`` (a Listing, or ``""`` when none) (**exact**). A
  ``comment`` that does not exist is ignored and the root comments come instead (**exact**, per
  reddit-api-doc-notes). ``depth=1`` is top-level comments only; deeper children are cut with
  a "continue this thread" ``more`` stub (*unsure* where exactly). More than ``limit``
  comments at one level end in a "load more comments" ``more`` stub (**exact** shape). Without
  ``raw_json=1`` ``&``, ``<`` and ``>`` are HTML entities (**exact**). ``sort=new`` is newest
  first; any other sort here is oldest first (*unsure*: Reddit's "best" is by votes). An
  unknown post is 404 (**exact**). A post deleted by its author keeps its comments and shows
  ``author: "[deleted]"``, ``removed_by_category: "deleted"``; one removed by moderators shows
  ``removed_by_category: "moderator"`` (**exact** fields, *unsure* of every value). A deleted
  comment with replies shows as ``[deleted]`` (author and body); without replies it is gone.
- ``POST /api/comment`` (form ``thing_id``, ``text``, ``api_type=json``) → ``{"json":
  {"errors": [], "data": {"things": [{"kind": "t1", "data": <comment>}]}}}`` (**exact**).
  Refusals are a 200 with ``json.errors`` of ``[code, message, field]`` (**exact** shape):
  ``NO_TEXT`` (empty text), ``TOO_OLD`` (archived post; **exact** message), ``THREAD_LOCKED``,
  ``DELETED_LINK`` (deleted post), ``NO_THING_ID`` (unknown id), ``RATELIMIT`` (scripted; with
  ``json.ratelimit`` seconds) (*unsure*: the messages but ``TOO_OLD``'s, and ``ratelimit``).
- Faults scripted per request, as the other fakes: 503 page, dropped connection, 429.
"""

from __future__ import annotations

import base64
import copy
import html
import json
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow
from tests.ingest.fake_reddit import base36

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
BASE_URL = "https://oauth.reddit.com"
CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "brand-app", "brand-app-secret", "1234-brand-refresh"
BRAND_NAME, BRAND_ID = "brewnorth", "1b7k2q"
BRAND_FULLNAME = f"t2_{BRAND_ID}"
CREATOR_NAME, CREATOR_FULLNAME = "dana_runs", "t2_9x3mfa"
SUBREDDIT = "running"
DELETED = "[deleted]"
_POST_IDS, _COMMENT_IDS = int("1h0000", 36), int("m00000", 36)
_ESCAPED = ("title", "selftext", "body")


class FakeRedditReplies(FakeApi):
    malformed_body = b"<!doctype html><title>reddit: we broke</title>"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        rate_limit: int = 600,
        window_s: float = 600.0,
        token_lifetime_s: int = 3600,
    ) -> None:
        super().__init__()
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self.token_lifetime_s = token_lifetime_s
        self.posts: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self.granted: list[str] = []
        #: When the brand's comments were posted, on the fake clock.
        self.posted_at: list[datetime] = []
        self._refusals: deque[list[Any]] = deque()
        self._next_post, self._next_comment = _POST_IDS, _COMMENT_IDS

    # --- content -------------------------------------------------------------------------

    def creator_post(
        self, *, title: str = "My #brewnorth morning", **fields: Any
    ) -> dict[str, Any]:
        self._next_post += 1
        post_id = base36(self._next_post)
        post = {
            "id": post_id,
            "name": f"t3_{post_id}",
            "subreddit": SUBREDDIT,
            "author": CREATOR_NAME,
            "author_fullname": CREATOR_FULLNAME,
            "title": title,
            "selftext": "",
            "created_utc": self._now().timestamp(),
            "permalink": f"/r/{SUBREDDIT}/comments/{post_id}/my_morning/",
            "num_comments": 0,
            "locked": False,
            "archived": False,
            "removed_by_category": None,
        }
        post.update(fields)
        self.posts[post_id] = post
        return post

    def comment(
        self,
        parent: str,
        *,
        author: str = CREATOR_NAME,
        author_fullname: str | None = CREATOR_FULLNAME,
        body: str = "Sure! #YesBrewNorth",
    ) -> dict[str, Any]:
        """A comment on ``parent`` (a fullname, ``t3_...`` or ``t1_...``), written now."""
        link_id = parent if parent.startswith("t3_") else self.comments[parent[3:]]["link_id"]
        self._next_comment += 1
        comment_id = base36(self._next_comment)
        post = self.posts[link_id[3:]]
        comment = {
            "id": comment_id,
            "name": f"t1_{comment_id}",
            "parent_id": parent,
            "link_id": link_id,
            "subreddit": SUBREDDIT,
            "author": author,
            "author_fullname": author_fullname,
            "body": body,
            "created_utc": self._now().timestamp(),
            "permalink": f"{post['permalink']}{comment_id}/",
            "score": 1,
            "is_submitter": author == post["author"],
        }
        self.comments[comment_id] = comment
        post["num_comments"] += 1
        return comment

    def delete_post(self, post_id: str) -> None:
        """What its author deleting it does: the post stays, without author and text."""
        self.posts[post_id].update(
            author=DELETED, author_fullname=None, selftext=DELETED, removed_by_category="deleted"
        )

    def remove_post(self, post_id: str) -> None:
        """What a moderator removing it does."""
        self.posts[post_id].update(selftext="[removed]", removed_by_category="moderator")

    def delete_comment(self, comment_id: str) -> None:
        self.comments[comment_id].update(author=DELETED, author_fullname=None, body=DELETED)

    def refuse_next_comment(self, code: str, message: str, field: str = "parent") -> None:
        """The next ``POST /api/comment`` answers ``json.errors`` ``[[code, message, field]]``."""
        self._refusals.append([code, message, field])

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    @property
    def comment_posts(self) -> list[httpx.Request]:
        """Every ``POST /api/comment`` that reached the API (faults included)."""
        return [r for r in self.requests if r.url.path == "/api/comment"]

    def rate_limited_next(self, *, reset_in_s: float = 30.0) -> None:
        self._rate.spend(reset_in_s=reset_in_s)

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = b"<html><body><h1>all servers are busy</h1></body></html>"
        self.fault_next(lambda _: httpx.Response(status, content=body), times=times)

    # --- the HTTP side ---------------------------------------------------------------------

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("User-Agent", "python-httpx").startswith("python-httpx"):
            return _error(429, "Too Many Requests")
        if str(request.url.copy_with(query=None)) == TOKEN_URL and request.method == "POST":
            return self._grant(request)
        if request.url.host != httpx.URL(BASE_URL).host:
            return _error(404, "Not Found")
        if not self._rate.take():
            return _error(429, "Too Many Requests", self._rate_headers())
        headers = self._rate_headers()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.casefold() != "bearer" or token not in self.tokens:
            return _error(401, "Unauthorized", headers)
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/me":
            return _json({"name": BRAND_NAME, "id": BRAND_ID, "created_utc": 1.6e9}, headers)
        if request.method == "GET" and path.startswith("/comments/"):
            return self._tree(path.removeprefix("/comments/").strip("/"), request, headers)
        if request.method == "POST" and path == "/api/comment":
            return self._post_comment(_form(request), headers)
        return _error(404, "Not Found", headers)

    def _grant(self, request: httpx.Request) -> httpx.Response:
        app = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {app}":
            return _error(401, "Unauthorized")
        form = _form(request)
        if form.get("grant_type") != "refresh_token":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        if form.get("refresh_token") != REFRESH_TOKEN:
            return httpx.Response(400, json={"error": "invalid_grant"})
        token = f"user-token-{len(self.granted) + 1}"
        self.granted.append(token)
        self.tokens.add(token)
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime_s,
            "scope": "identity read submit",
        }
        return _json(body, {})

    def _tree(
        self, article: str, request: httpx.Request, headers: dict[str, str]
    ) -> httpx.Response:
        post = self.posts.get(article)
        if post is None:
            return _error(404, "Not Found", headers)
        params = request.url.params
        depth = max(1, min(10, int(params.get("depth", "10"))))
        limit = max(1, int(params.get("limit", "200")))
        newest_first = params.get("sort") == "new"
        focus = self.comments.get(params.get("comment", ""))
        if focus is not None and focus["link_id"] == post["name"]:
            roots = [focus]
        else:
            roots = self._children(post["name"], newest_first)
        rendered = self._listing(roots, 0, depth, limit, newest_first, post["name"])
        served = [_listing([{"kind": "t3", "data": copy.deepcopy(post)}]), rendered]
        if params.get("raw_json") != "1":
            _escape(served)
        return _json(served, headers)

    def _children(self, parent: str, newest_first: bool) -> list[dict[str, Any]]:
        found = [c for c in self.comments.values() if c["parent_id"] == parent and self._shown(c)]
        return sorted(found, key=lambda c: c["created_utc"], reverse=newest_first)

    def _shown(self, comment: dict[str, Any]) -> bool:
        """A deleted comment shows only while a reply under it still does."""
        if comment["author"] != DELETED:
            return True
        return any(
            self._shown(c) for c in self.comments.values() if c["parent_id"] == comment["name"]
        )

    def _listing(
        self,
        comments: list[dict[str, Any]],
        level: int,
        depth: int,
        limit: int,
        newest_first: bool,
        parent: str,
    ) -> dict[str, Any]:
        children: list[dict[str, Any]] = []
        for comment in comments[:limit]:
            data = {**copy.deepcopy(comment), "depth": level, "replies": ""}
            below = self._children(comment["name"], newest_first)
            if below and level + 1 < depth:
                data["replies"] = self._listing(
                    below, level + 1, depth, limit, newest_first, comment["name"]
                )
            elif below:  # "continue this thread"
                stub = {"count": 0, "name": "t1__", "id": "_", "parent_id": comment["name"]}
                data["replies"] = _listing([{"kind": "more", "data": {**stub, "children": []}}])
            children.append({"kind": "t1", "data": data})
        rest = [c["id"] for c in comments[limit:]]
        if rest:
            more = {"count": len(rest), "name": f"t1_{rest[0]}", "id": rest[0]}
            more.update(parent_id=parent, depth=level, children=rest)
            children.append({"kind": "more", "data": more})
        return _listing(children)

    def _post_comment(self, form: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        if self._refusals:
            refusal = self._refusals.popleft()
            extra = {"ratelimit": 300.0} if refusal[0] == "RATELIMIT" else {}
            return _json({"json": {"errors": [refusal], **extra}}, headers)
        thing, text = form.get("thing_id", ""), form.get("text", "")
        post = self.posts.get(thing[3:]) if thing.startswith("t3_") else None
        if thing.startswith("t1_") and thing[3:] in self.comments:
            post = self.posts[self.comments[thing[3:]]["link_id"][3:]]
        if post is None:
            return _refused("NO_THING_ID", "that thing doesn't exist", "thing_id", headers)
        if not text.strip():
            return _refused("NO_TEXT", "we need something here", "text", headers)
        if post["removed_by_category"] == "deleted":
            message = "that link has been deleted"
            return _refused("DELETED_LINK", message, "parent", headers)
        if post["archived"]:
            message = "that's a piece of history now; it's too late to reply to it"
            return _refused("TOO_OLD", message, "parent", headers)
        if post["locked"]:
            message = "that thread is locked. no more comments can be added."
            return _refused("THREAD_LOCKED", message, "parent", headers)
        comment = self.comment(thing, author=BRAND_NAME, author_fullname=BRAND_FULLNAME, body=text)
        self.posted_at.append(self._now())
        thing_data = {**copy.deepcopy(comment), "depth": 0, "replies": ""}
        things = [{"kind": "t1", "data": thing_data}]
        return _json({"json": {"errors": [], "data": {"things": things}}}, headers)

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Used": str(self._rate.used),
            "X-Ratelimit-Remaining": f"{self._rate.remaining:.1f}",
            "X-Ratelimit-Reset": str(int((self._rate.reset_at - self._now()).total_seconds())),
        }


def _listing(children: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": None, "before": None, "dist": len(children), "children": children},
    }


def _escape(value: Any) -> None:
    """Reddit's JSON without ``raw_json=1``: ``&``, ``<`` and ``>`` as entities in texts."""
    if isinstance(value, list):
        for item in value:
            _escape(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in _ESCAPED and isinstance(item, str):
                value[key] = html.escape(item, quote=False)
            else:
                _escape(item)


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def _refused(code: str, message: str, field: str, headers: dict[str, str]) -> httpx.Response:
    return _json({"json": {"errors": [[code, message, field]]}}, headers)


def _json(body: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"message": message, "error": status}, headers=headers)
