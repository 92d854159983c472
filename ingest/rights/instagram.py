"""Rights requests on Instagram (Graph API): the brand's professional account comments on media
whose caption @mentions it, and reads the replies to that comment.

Media found by hashtag search cannot be commented on: the API lets the brand comment only where
the caption @mentions it (the Mentions API). Before posting, ``GET /{ig-user-id}?fields=
mentioned_media.media_id(<id>){caption,username,permalink,timestamp}`` asks Instagram whether
the media mentions the brand; an error (code 100, "does not exist") is
:class:`~ingest.rights.network.NotAllowed`, a manual send. A deleted media answers the same
error and cannot be told apart from one without the mention: it becomes a manual send too.

That answer names the media's author (``username``), which hashtag search never does: the
``sent`` event carries it as ``author_id`` and the curation side fills the post's author from it
(see ``RightsEvent``); the creator's replies are named by username for the same reason.

Instagram takes no idempotency key, and the brand cannot list the comments of someone else's
media, except perhaps through the same edge (``mentioned_media...{comments{...}}``, unsure):
when it answers, a comment of the brand with the same text is reported as sent; when it refuses,
the comment is posted unchecked, and a worker that died between posting and reporting posts a
second one. Sending is ``POST /{ig-user-id}/mentions`` (``media_id``, ``message``) → ``{"id"}``.

Replies are ``GET /{comment-id}/replies`` (the brand's own comment thread, the one place the API
lets it read), not by the brand; code 100 there means our comment is gone:
:class:`~ingest.rights.network.PostGone`.

Errors are ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``, classified
as the listening connector does (:mod:`ingest.connectors.instagram.graph`): throttling codes (4,
17, 32, 613, in a 400/403) and ``X-App-Usage`` at 100 % wait and retry, then ``Unavailable``;
code 190 (a dead token) and the rest are ``failed`` with Instagram's message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contract import RightsCommand, RightsEvent
from ingest.connectors.base import AuthFailed, ConfigError, MalformedResponse
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import RETRY, ApiClient, Verdict, http_client, json_object
from ingest.connectors.instagram import graph
from ingest.connectors.instagram.media import parse_timestamp
from ingest.rights.network import (
    NotAllowed,
    PostGone,
    Reply,
    Sent,
    comparable,
    required_credentials,
    send_event,
)
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver

log = logging.getLogger(__name__)

CREDENTIALS = ["access_token", "ig_user_id"]
MEDIA_FIELDS = "caption,username,permalink,timestamp"
COMMENT_FIELDS = "id,text,username,timestamp"
#: How long a throttled app waits before trying again (as the listening connector's default).
THROTTLE_WAIT_S = 900.0
MAX_PAGES = 10
NOT_MENTIONED = (
    "the caption does not @mention the brand: reply by hand (Instagram answers the same for a "
    "deleted post)"
)
EARLIEST = datetime.min.replace(tzinfo=UTC)
OBJECT_MISSING_SUBCODE = 33


class GraphRefusal(ConfigError):
    """A Graph API error that retrying cannot help, with its ``code`` and ``subcode``."""

    def __init__(self, message: str, *, code: int | None, subcode: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.subcode = subcode


def _classify(response: httpx.Response) -> Verdict:
    status = response.status_code
    if response.is_success or status in (408, 429) or status >= 500:
        return graph.classify(response)
    verdict = graph.classify(response)
    if verdict == RETRY:
        return verdict
    request = response.request
    message = (
        f"instagram answered {status} to {request.method} {request.url.path}: "
        f"{graph.error_message(response) or response.reason_phrase}"
    )
    if isinstance(verdict, AuthFailed):
        return AuthFailed(message, status=status)
    error = (json_object(response) or {}).get("error")
    subcode = error.get("error_subcode") if isinstance(error, dict) else None
    return GraphRefusal(
        message,
        code=graph.error_code(response),
        subcode=subcode if isinstance(subcode, int) else None,
    )


def instagram_api(wiring: Wiring) -> ApiClient:
    """An :class:`ApiClient` with the Graph API's throttling manners."""
    return wiring.api(
        "instagram",
        http_client,
        rate_limit=graph.app_usage(timedelta(seconds=THROTTLE_WAIT_S)),
        classify=_classify,
        max_rate_limit_wait_s=THROTTLE_WAIT_S,
    )


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> InstagramRights | None:
    """The brand's Instagram account, or ``None`` when none is configured (manual sends)."""
    ref = settings.rights_instagram_credentials
    if ref is None:
        return None
    found = required_credentials("instagram", ref, CREDENTIALS, resolver)
    return InstagramRights(
        instagram_api(wiring),
        token=found["access_token"],
        ig_user_id=found["ig_user_id"],
        base_url=settings.rights_instagram_base_url,
        account=f"instagram {found['ig_user_id']} ({ref})",
        sleep=wiring.sleep,
    )


class InstagramRights:
    """The brand's Instagram account: comments where a caption mentions it, reads replies."""

    network = "instagram"

    def __init__(
        self,
        api: ApiClient,
        *,
        token: str,
        ig_user_id: str,
        base_url: str,
        account: str,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._api = api
        self._token = token
        self._ig_user_id = ig_user_id
        self._root = base_url.rstrip("/")
        self._sleep = sleep
        #: What pacing counts sends against: the account and the credentials reference.
        self.account = account
        self._username: str | None = None

    def close(self) -> None:
        self._api.close()

    def brand_username(self) -> str:
        """The brand account's username (``GET /{ig-user-id}?fields=username``), read once."""
        if self._username is None:
            body = self._get(f"{self._root}/{self._ig_user_id}", {"fields": "username"})
            if not isinstance(body.get("username"), str):
                raise MalformedResponse("instagram: the brand account answered no username")
            self._username = str(body["username"])
        return self._username

    def send(self, command: RightsCommand) -> RightsEvent:
        """Comment on the creator's media with the command's text, at most once per command
        where Instagram lets us tell (see the module docstring).

        Returns ``sent`` (``author_id``: the media's username), ``manual_send_needed`` (no
        @mention, or the media is gone) or ``failed``; raises ``Unavailable`` (transient)."""
        return send_event(command, self._found_or_posted)

    def replies(self, watch: Watch) -> list[Reply]:
        """The replies to our comment not written by the brand, oldest first; raises
        :class:`PostGone` when our comment (or the media under it) was deleted."""
        brand = self.brand_username().casefold()
        url, params = f"{self._root}/{watch.sent_id}/replies", {"fields": COMMENT_FIELDS}
        found: list[Reply] = []
        for _ in range(MAX_PAGES):
            try:
                page = self._get(url, params)
            except GraphRefusal as exc:
                if exc.code != 100:
                    raise
                raise PostGone(f"instagram: our comment {watch.sent_id} is gone ({exc})") from None
            found += [
                reply
                for item in graph.data(page, "comment replies")
                if (reply := _reply(item)) is not None and reply.author_id.casefold() != brand
            ]
            next_url, _cursor = graph.paging(page)
            if next_url is None:
                break
            if httpx.URL(next_url).host != httpx.URL(self._root).host:
                log.warning("instagram: paging.next of %s leaves the Graph API", watch.sent_id)
                break
            url, params = graph.split(next_url)
        return sorted(found, key=lambda r: (r.created_at or EARLIEST, r.id))

    def _found_or_posted(self, command: RightsCommand) -> Sent:
        media = self._mentioned_media(command.native_id, MEDIA_FIELDS)
        comment_id = self._our_comment(command) or self._post(command)
        username, permalink = media.get("username"), media.get("permalink")
        return Sent(
            comment_id,
            permalink if isinstance(permalink, str) else None,
            author_id=username if isinstance(username, str) else None,
        )

    def _mentioned_media(self, media_id: str, fields: str) -> dict[str, Any]:
        """The media as the mentioned_media edge gives it: only where the caption @mentions
        the brand (a deleted media answers the same error: they cannot be told apart)."""
        try:
            body = self._get(
                f"{self._root}/{self._ig_user_id}",
                {"fields": f"mentioned_media.media_id({media_id}){{{fields}}}"},
            )
        except GraphRefusal as exc:
            if exc.code == 100:
                raise NotAllowed(NOT_MENTIONED) from None
            raise
        media = body.get("mentioned_media")
        if not isinstance(media, dict):
            raise NotAllowed(NOT_MENTIONED)
        return media

    def _our_comment(self, command: RightsCommand) -> str | None:
        """A comment already posted for ``command``, where Instagram lists the media's comments
        to us (``None`` when it does not: then the comment is posted unchecked)."""
        try:
            media = self._mentioned_media(command.native_id, f"comments{{{COMMENT_FIELDS}}}")
        except (GraphRefusal, NotAllowed) as exc:
            log.warning("instagram: cannot list the comments of %s (%s)", command.native_id, exc)
            return None
        comments = media.get("comments")
        brand, wanted = self.brand_username().casefold(), comparable(command.text)
        for item in comments.get("data", []) if isinstance(comments, dict) else []:
            comment = _reply(item)
            if (
                comment is not None
                and comment.author_id.casefold() == brand
                and comparable(comment.text) == wanted
            ):
                return comment.id
        return None

    def _post(self, command: RightsCommand) -> str:
        try:
            response = self._api.request(
                "POST",
                f"{self._root}/{self._ig_user_id}/mentions",
                data={
                    "media_id": command.native_id,
                    "message": command.text,
                    "access_token": self._token,
                },
            )
        except GraphRefusal as exc:
            if exc.subcode == OBJECT_MISSING_SUBCODE:
                raise NotAllowed(NOT_MENTIONED) from None
            raise
        comment_id = (json_object(response) or {}).get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise MalformedResponse("instagram: POST /mentions answered no comment id")
        return comment_id

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        pause = graph.slowdown_s(self._api.last_rate_limit)
        if pause > 0 and self._sleep is not None:
            log.info("instagram app usage above 90%%; pausing %.0fs", pause)
            self._sleep(pause)
        # The token goes in the query, as the Graph API documents (paging.next URLs carry it too).
        body = self._api.get_json(url, params={**params, "access_token": self._token})
        if not isinstance(body, dict):
            raise MalformedResponse(f"instagram: GET {httpx.URL(url).path}: expected an object")
        return body


def _reply(item: object) -> Reply | None:
    """A comment with ``id``, ``text``, ``username`` and ``timestamp``; the author is the
    username (what the ``sent`` event reported as the post's author)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    username, text = item.get("username"), item.get("text")
    if not isinstance(username, str):
        return None
    return Reply(
        id=item["id"],
        author_id=username,
        text=text if isinstance(text, str) else "",
        created_at=_time(item.get("timestamp")),
        url=None,  # the Graph API gives a comment no permalink
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
