"""Rights requests on YouTube: the brand's channel comments on the creator's video, and reads
the replies to that comment.

The brand's channel acts through user OAuth (:mod:`~ingest.rights.user_oauth`, scope
``youtube.force-ssl``): Google's refresh token is exchanged at ``oauth2.googleapis.com/token``
(``client_id`` and ``client_secret`` in the form) for a bearer token.

Sending is ``commentThreads.insert`` (``POST /youtube/v3/commentThreads?part=snippet``): a
top-level comment on the video is the reply to its creator. YouTube has no idempotency key, so
before every send the video's newest comment threads (``commentThreads.list``, 100 a page, up
to :data:`SCAN_PAGES` pages) are read for one by the brand's channel with the same text; one
found is reported as sent instead. Replies are ``comments.list?parentId=<our comment>``.

Costs: a list is 1 unit of the project's daily quota, an insert 50. Errors are Google's
``{"error": {"code", "message", "errors": [{"domain", "reason"}]}}``: ``videoNotFound`` and
``commentNotFound`` (404) are :class:`~ingest.rights.network.PostGone`; ``commentsDisabled``
(403) is the creator's refusal (``failed``); so is ``quotaExceeded``, not retried (nothing
works until midnight Pacific time, and a retried command would hold up every other network's
commands behind it): a person sends it, or requests it again the next day; ``rateLimitExceeded`` is
retried by the client like a 429 or 5xx, then raises ``Unavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from contract import RightsCommand, RightsEvent
from ingest.connectors.base import ConfigError, MalformedResponse
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import (
    RETRY,
    ApiClient,
    Verdict,
    bearer,
    http_client,
    json_error_message,
    json_object,
)
from ingest.connectors.youtube.search import QUOTA_REASONS, RATE_REASONS
from ingest.html_text import html_to_text
from ingest.rights.network import (
    PostGone,
    Reply,
    Sent,
    comparable,
    native_id_of,
    parse_time,
    send_event,
)
from ingest.rights.user_oauth import (
    AppCredentials,
    RefreshGrant,
    UserToken,
    app_credentials,
    token_api,
)
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver

API = "/youtube/v3"
#: Pages of a video's newest comment threads read when looking for our own (1 unit each).
SCAN_PAGES = 5
#: Pages of replies read per poll (100 each).
REPLY_PAGES = 10


def watch_url(video_id: str, comment_id: str) -> str:
    """The video's page, opened at ``comment_id``."""
    return f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}"


def _reasons(response: httpx.Response) -> set[str]:
    error = (json_object(response) or {}).get("error")
    entries = error.get("errors") if isinstance(error, dict) else None
    return {
        e["reason"]
        for e in entries or []
        if isinstance(e, dict) and isinstance(e.get("reason"), str)
    }


def _message(response: httpx.Response) -> str | None:
    # Google puts HTML in some messages ("the <code>videoId</code> parameter").
    message = json_error_message(response)
    return html_to_text(message) if message else None


def _verdict(response: httpx.Response) -> Verdict:
    """Google's reasons: a spent quota or a deleted video is not worth the client's retries,
    disabled comments are no credentials problem, a rate limit is retried."""
    if response.is_success:
        return None
    reasons, message = _reasons(response), _message(response) or response.reason_phrase
    if reasons & QUOTA_REASONS:
        # Not retried: nothing works until midnight Pacific, and a retried command would hold
        # every other network's commands behind it for hours. The request goes to a person.
        return ConfigError(
            "youtube: the project's daily API quota is spent until midnight Pacific time; "
            f"send it by hand or request it again tomorrow ({message})"
        )
    if reasons & RATE_REASONS:
        return RETRY
    if "commentsDisabled" in reasons:
        return ConfigError(f"youtube: the creator disabled comments on this video ({message})")
    if response.status_code == 404:
        why = ", ".join(sorted(reasons)) or "not found"
        return PostGone(f"youtube answered 404 ({why}): {message}")
    return None


def youtube_rights(
    *, base_url: str, token_url: str, app: AppCredentials, wiring: Wiring, account: str
) -> YouTubeRights:
    """The brand's YouTube channel over ``wiring`` (the caller's HTTP client, when given)."""
    grant = RefreshGrant("youtube", token_url, app)
    token = UserToken(token_api("youtube", wiring, http_client), grant, now=wiring.now)
    api = wiring.api("youtube", http_client, error_message=_message, classify=_verdict)
    return YouTubeRights(api, token, base_url=base_url, account=account)


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> YouTubeRights | None:
    """The brand's YouTube channel, or ``None`` when none is configured (manual sends)."""
    ref = settings.rights_youtube_credentials
    if ref is None:
        return None
    return youtube_rights(
        base_url=settings.rights_youtube_base_url,
        token_url=settings.rights_youtube_token_url,
        app=app_credentials("youtube", ref, resolver),
        wiring=wiring,
        account=f"youtube ({ref})",
    )


@dataclass(frozen=True)
class _Comment:
    """A comment resource: a thread's top-level comment, or a reply."""

    id: str
    channel_id: str | None
    text: str
    parent_id: str | None
    published_at: str


class YouTubeRights:
    """The brand's YouTube channel: sends requests and reads the replies to them."""

    network = "youtube"

    def __init__(self, api: ApiClient, token: UserToken, *, base_url: str, account: str) -> None:
        self._api = api
        self._token = token
        self._base_url = base_url.rstrip("/") + API
        #: What pacing counts sends against: the credentials reference.
        self.account = account
        self._channel: str | None = None

    def close(self) -> None:
        self._api.close()
        self._token.close()

    def brand_channel_id(self) -> str:
        """The brand's channel (``channels?part=id&mine=true``), read once."""
        if self._channel is None:
            body = self._call("GET", "/channels", params={"part": "id", "mine": "true"})
            items = body.get("items")
            first = items[0] if isinstance(items, list) and items else None
            if not isinstance(first, dict) or not isinstance(first.get("id"), str):
                raise ConfigError("youtube: the authorized Google account has no YouTube channel")
            self._channel = first["id"]
        return self._channel

    def send(self, command: RightsCommand) -> RightsEvent:
        """Comment on the creator's video with the command's text, at most once per command.

        Returns ``sent``, ``post_deleted`` or ``failed``; raises ``Unavailable`` (transient)."""
        return send_event(command, self._found_or_inserted)

    def replies(self, watch: Watch) -> list[Reply]:
        """The replies to our comment not by the brand, oldest first; raises
        :class:`PostGone` when our comment is gone (deleting the video deletes it too)."""
        brand, video = self.brand_channel_id(), native_id_of(watch.post_id)
        params: dict[str, str | int] = {
            "part": "snippet",
            "parentId": watch.sent_id,
            "maxResults": 100,
            "textFormat": "plainText",
        }
        replies = [
            Reply(
                id=c.id,
                author_id=c.channel_id,  # the channel id, as the listening connector's Author.id
                text=c.text,
                created_at=parse_time(c.published_at),
                url=watch_url(video, c.id),
            )
            for items in self._pages("/comments", params, REPLY_PAGES)
            for item in items
            if (c := _comment(item)) is not None
            and c.channel_id is not None
            and c.channel_id != brand
            and c.parent_id in (None, watch.sent_id)
        ]
        return sorted(replies, key=lambda r: r.created_at or datetime.min.replace(tzinfo=UTC))

    # --- the API ------------------------------------------------------------------------------

    def _found_or_inserted(self, command: RightsCommand) -> Sent:
        comment = self._our_comment(command) or self._insert(command)
        return Sent(comment.id, watch_url(command.native_id, comment.id))

    def _our_comment(self, command: RightsCommand) -> _Comment | None:
        """Our top-level comment already posted for ``command`` (a worker that died before
        reporting it), among the video's newest threads."""
        brand, wanted = self.brand_channel_id(), comparable(command.text)
        params: dict[str, str | int] = {
            "part": "snippet",
            "videoId": command.native_id,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        for items in self._pages("/commentThreads", params, SCAN_PAGES):
            for item in items:
                comment = _top_level(item)
                if (
                    comment is not None
                    and comment.channel_id == brand
                    and comparable(comment.text) == wanted
                ):
                    return comment
        return None

    def _insert(self, command: RightsCommand) -> _Comment:
        body = {
            "snippet": {
                "videoId": command.native_id,
                "topLevelComment": {"snippet": {"textOriginal": command.text}},
            }
        }
        thread = self._call("POST", "/commentThreads", params={"part": "snippet"}, json=body)
        comment = _top_level(thread)
        if comment is None:
            # Retried as transient: the next try finds the comment if YouTube made it.
            raise MalformedResponse("youtube: commentThreads.insert answered no comment")
        return comment

    def _pages(self, path: str, params: dict[str, str | int], most: int) -> Iterator[list[Any]]:
        """The ``items`` of up to ``most`` pages, following ``nextPageToken``, read as the
        caller goes (one that found what it wanted reads no further)."""
        query = dict(params)
        for _ in range(most):
            body = self._call("GET", path, params=query)
            items = body.get("items")
            if not isinstance(items, list):
                raise MalformedResponse(f"youtube: {path} answered no items")
            yield items
            token = body.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return
            query["pageToken"] = token

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        def call(token: str) -> httpx.Response:
            url = self._base_url + path
            return self._api.request(method, url, headers=bearer(token), **kwargs)

        body = json_object(self._token.authorized(call))
        if body is None:
            raise MalformedResponse(f"youtube: {method} {path} answered no JSON object")
        return body


def _top_level(thread: object) -> _Comment | None:
    snippet = thread.get("snippet") if isinstance(thread, dict) else None
    return _comment(snippet.get("topLevelComment")) if isinstance(snippet, dict) else None


def _comment(item: object) -> _Comment | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    snippet = item.get("snippet")
    if not isinstance(snippet, dict):
        return None
    author = snippet.get("authorChannelId")
    channel = author.get("value") if isinstance(author, dict) else None
    text = snippet.get("textOriginal")
    if not isinstance(text, str):
        display = snippet.get("textDisplay")
        text = html_to_text(display) if isinstance(display, str) else ""
    parent = snippet.get("parentId")
    return _Comment(
        id=item["id"],
        channel_id=channel if isinstance(channel, str) and channel else None,
        text=text,
        parent_id=parent if isinstance(parent, str) else None,
        published_at=str(snippet.get("publishedAt") or ""),
    )
