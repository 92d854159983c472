"""A fake YouTube Data API v3 for rights requests: the brand's channel (user OAuth) comments on
videos and reads the replies, as ``../shared/PLATFORMS.md`` and Google's documentation say.

- ``POST https://oauth2.googleapis.com/token`` (form ``client_id``, ``client_secret``,
  ``refresh_token``, ``grant_type=refresh_token``) → ``{"access_token", "expires_in": 3599,
  "scope", "token_type": "Bearer"}`` (**exact**); a wrong app is 401 ``invalid_client``, a
  wrong refresh token 400 ``{"error": "invalid_grant", "error_description": "Token has been
  expired or revoked."}`` (**exact**).
- ``/youtube/v3/*`` needs ``Authorization: Bearer <token>``: 401 ``authError`` otherwise
  (**exact** reason). Each call spends units of a daily quota: a list 1, an insert 50
  (**exact**); past it, 403 ``quotaExceeded`` (domain ``youtube.quota``, HTML in the message).
- ``GET channels?part=id&mine=true`` → ``items[0].id``, the brand's channel (**exact**).
- ``GET commentThreads?part=snippet&videoId=...&order=time&maxResults&pageToken&textFormat`` →
  ``youtube#commentThreadListResponse``, newest first with ``order=time`` (**exact**), at most
  100 a page (default 20), ``nextPageToken`` while more is left. A thread is ``{"id",
  "snippet": {"channelId", "videoId", "topLevelComment": <comment>, "canReply",
  "totalReplyCount", "isPublic"}}``; its ``id`` is its top-level comment's (*unsure*: it is
  so in every answer seen, not documented). An unknown or deleted video is 404
  ``videoNotFound``; a video whose creator disabled comments 403 ``commentsDisabled``
  (**exact** reasons, *unsure* messages).
- ``POST commentThreads?part=snippet`` with ``{"snippet": {"videoId", "topLevelComment":
  {"snippet": {"textOriginal"}}}}`` → the new thread (**exact**); the same 404/403 as above;
  more than 10,000 characters is 400 ``commentTextTooLong`` (**exact** reason). Every comment is
  published at once (*unsure*: a channel that holds comments for review hides them from lists).
- ``GET comments?part=snippet&parentId=...&maxResults&pageToken&textFormat`` → the replies
  (**exact** envelope); a comment is ``{"id", "snippet": {"authorDisplayName",
  "authorChannelId": {"value"}, "textDisplay", "textOriginal", "parentId", "publishedAt",
  "updatedAt", ...}}`` (**exact**), reply ids ``<parent id>.<suffix>``. Their order is not
  documented: the fake answers newest first. A deleted or unknown parent is 404
  ``commentNotFound`` (*unsure*: the status of an unknown ``parentId``).
- Faults scripted per request, as the other fakes: 503 ``backendError``, 403
  ``rateLimitExceeded``, 429 with ``Retry-After``, dropped connection.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.ingest.fake_api import FakeApi
from tests.ingest.fake_youtube import BASE_URL, rfc3339

TOKEN_URL = "https://oauth2.googleapis.com/token"
CLIENT_ID = "123456789-brand.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-brand-secret"
REFRESH_TOKEN = "1//0brand-refresh-token"
BRAND_CHANNEL_ID = "UCbrewN0rth0000000000001"
CREATOR_CHANNEL_ID = "UCx7Bz0fake0channel00001"
API = "/youtube/v3"
COSTS = {"GET": 1, "POST": 50}
MAX_TEXT = 10_000


class FakeYouTubeReplies(FakeApi):
    malformed_body = b"<html><title>502 Bad Gateway</title></html>"

    def __init__(self, *, now: Callable[[], datetime], daily_quota: int = 10_000) -> None:
        super().__init__()
        self._now = now
        self.daily_quota = daily_quota
        self.units_used = 0
        self.videos: dict[str, dict[str, Any]] = {}
        #: Every comment by id, top-level and replies, in the order they were written.
        self.comments: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.tokens: set[str] = set()
        self.granted: list[str] = []
        self.posted_at: list[datetime] = []
        self._counter = 0

    # --- content -------------------------------------------------------------------------

    def creator_video(self, *, channel_id: str = CREATOR_CHANNEL_ID) -> str:
        self._counter += 1
        video_id = f"vid{self._counter:08d}"
        self.videos[video_id] = {"channelId": channel_id, "commentsDisabled": False}
        return video_id

    def thread(
        self, video_id: str, *, channel_id: str = CREATOR_CHANNEL_ID, text: str = "Nice!"
    ) -> dict[str, Any]:
        """A top-level comment on ``video_id``, written now."""
        self._counter += 1
        return self._store(f"Ugz{self._counter:010d}4AaABAg", video_id, channel_id, text, None)

    def reply(
        self, parent_id: str, *, channel_id: str = CREATOR_CHANNEL_ID, text: str = "Yes!"
    ) -> dict[str, Any]:
        """A reply to the top-level comment ``parent_id``, written now."""
        self._counter += 1
        video_id = self.comments[parent_id]["snippet"]["videoId"]
        comment_id = f"{parent_id}.A{self._counter:08d}"
        return self._store(comment_id, video_id, channel_id, text, parent_id)

    def delete_video(self, video_id: str) -> None:
        self.deleted.add(video_id)

    def delete_comment(self, comment_id: str) -> None:
        self.deleted.add(comment_id)

    def disable_comments(self, video_id: str) -> None:
        self.videos[video_id]["commentsDisabled"] = True

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    @property
    def inserts(self) -> list[httpx.Request]:
        """Every ``POST commentThreads`` that reached the API (faults included)."""
        return [r for r in self.requests if r.method == "POST" and r.url.path.startswith(API)]

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        self.fault_next(
            lambda _: _error(status, "backendError", "global", "Backend Error"), times=times
        )

    def rate_limit_next(self) -> None:
        message = "The request was rate limited."
        self.fault_next(lambda _: _error(403, "rateLimitExceeded", "usageLimits", message))

    def too_many_next(self, *, retry_after_s: int = 7) -> None:
        headers = {"Retry-After": str(retry_after_s)}
        self.fault_next(lambda _: httpx.Response(429, headers=headers))

    # --- the HTTP side ---------------------------------------------------------------------

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if str(request.url.copy_with(query=None)) == TOKEN_URL and request.method == "POST":
            return self._grant(request)
        path = request.url.path
        if request.url.host != httpx.URL(BASE_URL).host or not path.startswith(API):
            return _error(404, "notFound", "global", "Not Found")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            return _error(401, "authError", "global", "Invalid Credentials")
        cost = COSTS.get(request.method, 1)
        if self.units_used + cost > self.daily_quota:
            message = (
                "The request cannot be completed because you have exceeded your "
                '<a href="/youtube/v3/getting-started#quota">quota</a>.'
            )
            return _error(403, "quotaExceeded", "youtube.quota", message)
        self.units_used += cost
        params, resource = request.url.params, path.removeprefix(API)
        if request.method == "GET" and resource == "/channels" and params.get("mine") == "true":
            channel = {"kind": "youtube#channel", "etag": "e-brand", "id": BRAND_CHANNEL_ID}
            return _json({"kind": "youtube#channelListResponse", "items": [channel]})
        if request.method == "GET" and resource == "/commentThreads":
            return self._threads(params)
        if request.method == "POST" and resource == "/commentThreads":
            return self._insert(json.loads(request.content or b"{}"))
        if request.method == "GET" and resource == "/comments":
            return self._replies(params)
        return _error(404, "notFound", "global", "Not Found")

    def _grant(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return httpx.Response(
                401, json={"error": "invalid_client", "error_description": "Unauthorized"}
            )
        if form.get("grant_type") != "refresh_token":
            return httpx.Response(400, json={"error": "unsupported_grant_type"})
        if form.get("refresh_token") != REFRESH_TOKEN:
            description = "Token has been expired or revoked."
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": description}
            )
        token = f"ya29.fake-{len(self.granted) + 1}"
        self.granted.append(token)
        self.tokens.add(token)
        scope = "https://www.googleapis.com/auth/youtube.force-ssl"
        return _json(
            {"access_token": token, "expires_in": 3599, "scope": scope, "token_type": "Bearer"}
        )

    def _video_problem(self, video_id: str, method: str) -> httpx.Response | None:
        doc = "list" if method == "GET" else "insert"
        where = f'<code><a href="/youtube/v3/docs/commentThreads/{doc}#videoId">videoId</a></code>'
        video = self.videos.get(video_id)
        if video is None or video_id in self.deleted:
            message = f"The video identified by the {where} parameter could not be found."
            return _error(404, "videoNotFound", "youtube.commentThread", message)
        if video["commentsDisabled"]:
            message = f"The video identified by the {where} parameter has disabled comments."
            return _error(403, "commentsDisabled", "youtube.commentThread", message)
        return None

    def _threads(self, params: httpx.QueryParams) -> httpx.Response:
        video_id = params.get("videoId", "")
        problem = self._video_problem(video_id, "GET")
        if problem is not None:
            return problem
        tops = [
            c
            for c in self.comments.values()
            if c["snippet"]["videoId"] == video_id
            and "parentId" not in c["snippet"]
            and c["id"] not in self.deleted
        ]
        if params.get("order", "time") == "time":
            tops.reverse()
        page, token = _page(tops, params, default=20)
        items = [self._thread_resource(c, params) for c in page]
        return _json(_envelope("youtube#commentThreadListResponse", items, token))

    def _insert(self, body: dict[str, Any]) -> httpx.Response:
        snippet = body.get("snippet") or {}
        video_id = str(snippet.get("videoId") or "")
        problem = self._video_problem(video_id, "POST")
        if problem is not None:
            return problem
        text = str(
            ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal") or ""
        )
        if len(text) > MAX_TEXT:
            message = "The comment is too long."
            return _error(400, "commentTextTooLong", "youtube.commentThread", message)
        comment = self.thread(video_id, channel_id=BRAND_CHANNEL_ID, text=text)
        self.posted_at.append(self._now())
        return _json(self._thread_resource(comment, httpx.QueryParams()))

    def _replies(self, params: httpx.QueryParams) -> httpx.Response:
        parent = params.get("parentId", "")
        if parent not in self.comments or parent in self.deleted:
            message = (
                "The comment identified by the <code>parentId</code> parameter could not be found."
            )
            return _error(404, "commentNotFound", "youtube.comment", message)
        replies = [
            c
            for c in reversed(self.comments.values())
            if c["snippet"].get("parentId") == parent and c["id"] not in self.deleted
        ]
        page, token = _page(replies, params, default=20)
        items = [_served(c, params) for c in page]
        return _json(_envelope("youtube#commentListResponse", items, token))

    def _thread_resource(
        self, comment: dict[str, Any], params: httpx.QueryParams
    ) -> dict[str, Any]:
        video_id = comment["snippet"]["videoId"]
        replies = [
            c for c in self.comments.values() if c["snippet"].get("parentId") == comment["id"]
        ]
        return {
            "kind": "youtube#commentThread",
            "etag": f"e-{comment['id']}",
            "id": comment["id"],
            "snippet": {
                "channelId": self.videos[video_id]["channelId"],
                "videoId": video_id,
                "topLevelComment": _served(comment, params),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            },
        }

    def _store(
        self, comment_id: str, video_id: str, channel_id: str, text: str, parent: str | None
    ) -> dict[str, Any]:
        at = rfc3339(self._now())
        snippet: dict[str, Any] = {
            "channelId": self.videos[video_id]["channelId"],
            "videoId": video_id,
            "textDisplay": html.escape(text),
            "textOriginal": text,
            "authorDisplayName": "@brewnorth" if channel_id == BRAND_CHANNEL_ID else "@danaruns",
            "authorChannelUrl": f"http://www.youtube.com/channel/{channel_id}",
            "authorChannelId": {"value": channel_id},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": at,
            "updatedAt": at,
        }
        if parent is not None:
            snippet["parentId"] = parent
        comment = {
            "kind": "youtube#comment",
            "etag": f"e-{comment_id}",
            "id": comment_id,
            "snippet": snippet,
        }
        self.comments[comment_id] = comment
        return comment


def _served(comment: dict[str, Any], params: httpx.QueryParams) -> dict[str, Any]:
    served = copy.deepcopy(comment)
    if params.get("textFormat") == "plainText":
        served["snippet"]["textDisplay"] = comment["snippet"]["textOriginal"]
    return served


def _page(
    items: list[dict[str, Any]], params: httpx.QueryParams, *, default: int
) -> tuple[list[dict[str, Any]], str | None]:
    size = max(1, min(100, int(params.get("maxResults", str(default)))))
    offset = int(params.get("pageToken", "0") or "0")
    rest = offset + size < len(items)
    return items[offset : offset + size], str(offset + size) if rest else None


def _envelope(kind: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "etag": "e-list",
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        "items": items,
    }
    if token is not None:
        body["nextPageToken"] = token
    return body


def _json(body: Any) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode())


def _error(status: int, reason: str, domain: str, message: str) -> httpx.Response:
    errors = [{"message": message, "domain": domain, "reason": reason}]
    return httpx.Response(
        status, json={"error": {"code": status, "message": message, "errors": errors}}
    )
