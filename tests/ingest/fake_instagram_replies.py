"""A fake Instagram Graph API for rights requests: the brand's professional account comments on
media whose caption @mentions it and reads the replies to its comment, as
``../shared/PLATFORMS.md`` and Meta's Mentions reference document.

- ``GET /v21.0/{ig-user-id}?fields=username`` → ``{"username", "id"}`` (**exact**).
- ``GET /v21.0/{ig-user-id}?fields=mentioned_media.media_id(<id>){<fields>}`` →
  ``{"mentioned_media": {<fields>, "id"}, "id": <ig-user-id>}`` (**exact** syntax and envelope)
  for media whose caption @mentions the brand; ``username`` and ``permalink`` among the fields
  (*unsure*: the reference lists ``username``; ``permalink`` is assumed). Media without the
  mention, or deleted: 400 code 100, subcode 33, "does not exist" (*unsure*: the exact error
  for a media that does not mention the brand is not documented; it is the Graph API's usual
  one for an object out of reach, and the same for a deleted one). ``comments{...}`` on that
  edge answers ``{"data": [...]}`` of the media's top-level comments (*unsure*), unless
  :attr:`FakeInstagramReplies.comments_refused`, when it is a code 100 "nonexisting field".
- ``POST /v21.0/{ig-user-id}/mentions`` (form body, **exact** as Meta's sample: ``media_id``,
  ``message``, ``access_token``) → ``{"id": <comment id>}`` (**exact**). Media without the
  mention: the same code 100 / 33 error (*unsure*); an empty ``message``: 400 code 100 "(#100)
  The parameter message is required" (*unsure* wording).
- ``GET /v21.0/{comment-id}/replies?fields=id,text,username,timestamp`` → ``{"data": [...]}``
  (**exact** envelope), the fake newest first (*unsure*: Meta documents no order); a deleted
  comment: 400 code 100 / 33 (**exact** wording of that error).
- Every answer carries ``X-App-Usage``; throttling is a 403 with code 4 (or 17, 32, 613) and
  usage at 100 (**exact** codes); a dead token is code 190 (**exact**). Timestamps as
  ``2025-03-01T12:00:00+0000`` (**exact**).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.ingest.fake_api import FakeApi
from tests.ingest.fake_instagram import GRAPH, IG_USER_ID, TOKEN, _error, graph_time

BRAND_USERNAME = "brewnorth"
CREATOR_USERNAME = "alice.bakes"
MISSING = (
    "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)
_MENTIONED = re.compile(r"^mentioned_media\.media_id\((\w+)\)\{(.*)\}$")


class FakeInstagramReplies(FakeApi):
    def __init__(self, *, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.base_url = GRAPH
        self.app_usage = {"call_count": 7, "total_time": 4, "total_cputime": 3}
        #: The mentioned_media edge refuses the ``comments`` field.
        self.comments_refused = False
        self.media: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self._now = now
        self._next_id = 17_950_000_000_000_000

    # --- content -------------------------------------------------------------------------

    def creator_media(
        self,
        *,
        caption: str = f"Morning brew with @{BRAND_USERNAME} #brewnorth",
        username: str = CREATOR_USERNAME,
    ) -> dict[str, Any]:
        media_id = self._id()
        media = {
            "id": media_id,
            "caption": caption,
            "username": username,
            "permalink": f"https://www.instagram.com/p/C{media_id[-6:]}/",
            "timestamp": graph_time(self._now()),
            "media_type": "IMAGE",
        }
        self.media[media_id] = media
        return media

    def comment(
        self,
        media_id: str,
        *,
        username: str = CREATOR_USERNAME,
        text: str = "Yes! #YesBrewNorth",
        reply_to: str | None = None,
        age_s: float = 0.0,
    ) -> dict[str, Any]:
        """A comment on ``media_id``, or a reply to the comment ``reply_to``."""
        comment: dict[str, Any] = {
            "id": self._id(),
            "text": text,
            "username": username,
            "timestamp": graph_time(self._now() - timedelta(seconds=age_s)),
            "media_id": media_id,
            "parent_id": reply_to,
        }
        self.comments[comment["id"]] = comment
        return comment

    def delete(self, object_id: str) -> None:
        self.deleted.add(object_id)

    @property
    def posts(self) -> list[httpx.Request]:
        """Every ``POST /mentions`` that reached the API (faults included)."""
        return [r for r in self.requests if r.method == "POST"]

    def brand_comments(self) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["username"] == BRAND_USERNAME]

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        self.fault_next(
            lambda _: _error(status, 2, "Service temporarily unavailable", self.app_usage),
            times=times,
        )

    def throttle_next(self, *, code: int = 4, status: int = 403) -> None:
        usage = {"call_count": 100, "total_time": 41, "total_cputime": 38}
        self.fault_next(lambda _: _error(status, code, "Application request limit reached", usage))

    def expire_token_next(self) -> None:
        message = "Error validating access token: Session has expired on Saturday, 01-Mar-25."
        self.fault_next(lambda _: _error(400, 190, message, self.app_usage, subcode=463))

    # --- the HTTP side ---------------------------------------------------------------------

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport())

    def _respond(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.method == "POST":
            params |= {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if params.get("access_token") != TOKEN:
            return self._error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        parts = request.url.path.removeprefix("/v21.0/").split("/")
        if request.method == "GET" and parts == [IG_USER_ID]:
            return self._user_fields(params.get("fields", ""))
        if request.method == "POST" and parts == [IG_USER_ID, "mentions"]:
            return self._mention_comment(params.get("media_id", ""), params.get("message", ""))
        if request.method == "GET" and len(parts) == 2 and parts[1] == "replies":
            return self._replies(parts[0])
        return self._error(400, 100, "Unknown path components")

    def _user_fields(self, fields: str) -> httpx.Response:
        if fields == "username":
            return self._ok({"username": BRAND_USERNAME, "id": IG_USER_ID})
        match = _MENTIONED.match(fields)
        if match is None:
            return self._error(400, 100, f"Tried accessing nonexisting field ({fields})")
        media_id, wanted = match.groups()
        media = self._mentioning(media_id)
        if media is None:
            return self._missing(media_id)
        node: dict[str, Any] = {"id": media_id}
        for field in _fields(wanted):
            if field.startswith("comments"):
                if self.comments_refused:
                    return self._error(400, 100, "Tried accessing nonexisting field (comments)")
                keys = _fields(field.removeprefix("comments")[1:-1]) or ["id", "text", "timestamp"]
                top = [c for c in self.comments.values() if c["media_id"] == media_id]
                node["comments"] = {"data": [_only(c, keys) for c in top if self._top(c)]}
            elif field in media:
                node[field] = media[field]
        return self._ok({"mentioned_media": node, "id": IG_USER_ID})

    def _mention_comment(self, media_id: str, message: str) -> httpx.Response:
        if self._mentioning(media_id) is None:
            return self._missing(media_id)
        if not message.strip():
            return self._error(400, 100, "(#100) The parameter message is required")
        comment = self.comment(media_id, username=BRAND_USERNAME, text=message)
        return self._ok({"id": comment["id"]})

    def _replies(self, comment_id: str) -> httpx.Response:
        parent = self.comments.get(comment_id)
        if parent is None or comment_id in self.deleted or parent["media_id"] in self.deleted:
            return self._missing(comment_id)
        found = [
            _only(c, ["id", "text", "username", "timestamp"])
            for c in self.comments.values()
            if c["parent_id"] == comment_id and c["id"] not in self.deleted
        ]
        return self._ok({"data": sorted(found, key=lambda c: c["timestamp"], reverse=True)})

    def _mentioning(self, media_id: str) -> dict[str, Any] | None:
        media = self.media.get(media_id)
        if media is None or media_id in self.deleted:
            return None
        return media if f"@{BRAND_USERNAME}" in media["caption"].casefold() else None

    def _top(self, comment: dict[str, Any]) -> bool:
        return comment["parent_id"] is None and comment["id"] not in self.deleted

    def _missing(self, object_id: str) -> httpx.Response:
        return self._error(400, 100, MISSING.format(id=object_id), subcode=33)

    def _ok(self, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"X-App-Usage": json.dumps(self.app_usage)})

    def _error(
        self, status: int, code: int, message: str, *, subcode: int | None = None
    ) -> httpx.Response:
        return _error(status, code, message, self.app_usage, subcode=subcode)

    def _id(self) -> str:
        self._next_id += 1
        return str(self._next_id)


def _fields(text: str) -> list[str]:
    """Top-level fields of a Graph ``fields`` list: commas inside ``{...}`` do not split."""
    fields, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(current)
            current = ""
        else:
            current += char
    return [f for f in [*fields, current] if f]


def _only(comment: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    return {k: comment[k] for k in keys if k in comment}
