"""Rights requests on Reddit: the brand's account comments on the creator's post, and reads the
replies to that comment.

The brand's account acts through user OAuth (:mod:`~ingest.rights.user_oauth`): its refresh
token is exchanged at ``www.reddit.com/api/v1/access_token`` (HTTP Basic ``client_id:secret``)
and the API at ``oauth.reddit.com`` is called with ``Authorization: bearer``. Reddit refuses
clients without a descriptive ``User-Agent``, so every request carries :data:`USER_AGENT`.

Sending is ``POST /api/comment`` (``thing_id=t3_<post>``, ``text``, ``api_type=json``). Reddit
has no idempotency key, so before every send the post's top-level comments (``GET
/comments/{post}``, newest first, 500 of them) are read for one by the brand with the same text;
one found is reported as sent instead. That read also tells a deleted or removed post
(:class:`~ingest.rights.network.PostGone`) before anything is posted.

Refusals come as ``json.errors`` in a 200: ``RATELIMIT`` (the account comments too often) raises
``Unavailable`` at once rather than waiting the minutes Reddit asks for here (the worker keeps
its consumer alive while it backs off and retries, this module would not); ``DELETED_LINK`` is
``PostGone``; ``THREAD_LOCKED``, ``TOO_OLD`` and the rest are the network's refusal (``failed``).
HTTP 404 is ``PostGone``; 429/5xx are retried by the client, paced by ``X-Ratelimit-*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from contract import RightsCommand, RightsEvent
from ingest.connectors.base import ConfigError, MalformedResponse, Unavailable
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import ApiClient, Verdict, http_client, json_error_message, json_object
from ingest.connectors.reddit.post import DELETED
from ingest.connectors.reddit.search import reddit_rate_limit
from ingest.rights.network import PostGone, Reply, Sent, comparable, native_id_of, send_event
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

USER_AGENT = "python:ugc-pipeline-rights:0.1 (rights requests of a brand account)"
WEB = "https://www.reddit.com"
#: Top-level comments read when looking for our own (newest first: ours is recent).
SCAN_LIMIT = 500
#: ``json.errors`` codes of ``POST /api/comment`` that mean the post is gone.
GONE_ERRORS = frozenset({"DELETED_LINK", "NO_THING_ID"})
_REMOVED = frozenset({DELETED, "[removed]"})


def _gone(response: httpx.Response) -> Verdict:
    if response.status_code == 404:
        message = json_error_message(response) or response.reason_phrase
        return PostGone(f"reddit answered 404 to {response.request.url.path}: {message}")
    return None


def reddit_rights(
    *, base_url: str, token_url: str, app: AppCredentials, wiring: Wiring, account: str
) -> RedditRights:
    """The brand's Reddit account over ``wiring`` (the caller's HTTP client, when given)."""

    def make() -> httpx.Client:
        return http_client(timeout_s=30.0)

    grant = RefreshGrant(
        "reddit", token_url, app, basic_auth=True, headers={"User-Agent": USER_AGENT}
    )
    token = UserToken(token_api("reddit", wiring, make), grant, now=wiring.now)
    api = wiring.api("reddit", make, rate_limit=reddit_rate_limit, classify=_gone)
    return RedditRights(api, token, base_url=base_url, account=account)


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> RedditRights | None:
    """The brand's Reddit account, or ``None`` when none is configured (manual sends)."""
    ref = settings.rights_reddit_credentials
    if ref is None:
        return None
    return reddit_rights(
        base_url=settings.rights_reddit_base_url,
        token_url=settings.rights_reddit_token_url,
        app=app_credentials("reddit", ref, resolver),
        wiring=wiring,
        account=f"reddit {settings.rights_reddit_base_url} ({ref})",
    )


@dataclass(frozen=True)
class _Brand:
    name: str
    fullname: str

    def wrote(self, comment: _Comment) -> bool:
        if comment.author_fullname is not None:
            return comment.author_fullname == self.fullname
        return comment.author.casefold() == self.name.casefold()


@dataclass(frozen=True)
class _Comment:
    """A ``t1`` of a comment tree or of ``POST /api/comment``'s answer."""

    id: str
    parent_id: str
    author: str
    author_fullname: str | None
    body: str
    created_utc: float | None
    permalink: str | None
    replies: list[Any]


class RedditRights:
    """The brand's Reddit account: sends requests and reads the replies to them."""

    network = "reddit"

    def __init__(self, api: ApiClient, token: UserToken, *, base_url: str, account: str) -> None:
        self._api = api
        self._token = token
        self._base_url = base_url.rstrip("/")
        #: What pacing counts sends against: the API host and the credentials reference.
        self.account = account
        self._brand: _Brand | None = None

    def close(self) -> None:
        self._api.close()
        self._token.close()

    def brand(self) -> _Brand:
        """The brand account's name and fullname (``GET /api/v1/me``), read once."""
        if self._brand is None:
            me = json_object(self._call("GET", "/api/v1/me")) or {}
            name, ident = me.get("name"), me.get("id")
            if not isinstance(name, str) or not isinstance(ident, str):
                raise MalformedResponse("reddit: /api/v1/me answered no name and id")
            self._brand = _Brand(name, ident if ident.startswith("t2_") else f"t2_{ident}")
        return self._brand

    def send(self, command: RightsCommand) -> RightsEvent:
        """Comment on the creator's post with the command's text, at most once per command.

        Returns ``sent``, ``post_deleted`` or ``failed``; raises ``Unavailable`` (transient)."""
        return send_event(command, self._found_or_posted)

    def replies(self, watch: Watch) -> list[Reply]:
        """The direct replies to our comment not by the brand, oldest first; raises
        :class:`PostGone` when the post or our comment is gone."""
        article = native_id_of(watch.post_id)
        params = {"comment": watch.sent_id, "depth": 2, "limit": SCAN_LIMIT, "raw_json": 1}
        children = self._thread(article, params)
        # Reddit ignores a `comment` that does not exist and answers the root comments instead.
        ours = next(
            (c for child in children if (c := _comment(child)) and c.id == watch.sent_id), None
        )
        if ours is None or ours.author in _REMOVED or ours.body in _REMOVED:
            raise PostGone(f"reddit: our comment {watch.sent_id} was deleted or removed")
        brand = self.brand()
        found = [
            c
            for child in ours.replies
            if (c := _comment(child)) is not None
            and c.parent_id == f"t1_{ours.id}"
            and c.author not in _REMOVED
            and not brand.wrote(c)
        ]
        found.sort(key=lambda c: c.created_utc or 0.0)
        return [
            Reply(
                id=c.id,
                author_id=c.author_fullname or c.author,  # as the listening connector's Author.id
                text=c.body,
                created_at=(
                    datetime.fromtimestamp(c.created_utc, tz=UTC)
                    if c.created_utc is not None
                    else None
                ),
                url=_permalink(c, article),
            )
            for c in found
        ]

    # --- the API ------------------------------------------------------------------------------

    def _found_or_posted(self, command: RightsCommand) -> Sent:
        comment = self._our_comment(command) or self._post(command)
        return Sent(comment.id, _permalink(comment, command.native_id))

    def _our_comment(self, command: RightsCommand) -> _Comment | None:
        """A comment already posted for ``command`` (a worker that died before reporting it)."""
        brand = self.brand()
        params = {"limit": SCAN_LIMIT, "depth": 1, "sort": "new", "raw_json": 1}
        wanted, parent = comparable(command.text), f"t3_{command.native_id}"
        for child in self._thread(command.native_id, params):
            comment = _comment(child)
            if (
                comment is not None
                and comment.parent_id == parent
                and brand.wrote(comment)
                and comparable(comment.body) == wanted
            ):
                return comment
        return None

    def _thread(self, article: str, params: dict[str, Any]) -> list[Any]:
        """The comment listing of ``GET /comments/{article}``; :class:`PostGone` when the post
        was deleted by its author (``[deleted]``) or removed (``removed_by_category``)."""
        body = _json(self._call("GET", f"/comments/{article}", params=params))
        if not isinstance(body, list) or len(body) != 2:
            raise MalformedResponse("reddit: /comments answered no [post, comments] listings")
        posts, comments = (_children(listing) for listing in body)
        post = posts[0].get("data") if posts and isinstance(posts[0], dict) else None
        if not isinstance(post, dict):
            raise MalformedResponse("reddit: /comments answered no post")
        if post.get("author") == DELETED or post.get("removed_by_category"):
            removed_by = post.get("removed_by_category") or "its author"
            raise PostGone(f"reddit: post {article} was deleted or removed ({removed_by})")
        return comments

    def _post(self, command: RightsCommand) -> _Comment:
        form = {"thing_id": f"t3_{command.native_id}", "text": command.text, "api_type": "json"}
        answer = (json_object(self._call("POST", "/api/comment", data=form)) or {}).get("json")
        if not isinstance(answer, dict):
            raise MalformedResponse("reddit: POST /api/comment answered no json")
        errors = answer.get("errors")
        if isinstance(errors, list) and errors:
            raise _refusal(errors[0])
        data = answer.get("data")
        things = data.get("things") if isinstance(data, dict) else None
        comment = _comment(things[0]) if isinstance(things, list) and things else None
        if comment is None:
            # Retried as transient: the next try finds the comment if Reddit made it.
            raise MalformedResponse("reddit: POST /api/comment answered no comment")
        return comment

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        def call(token: str) -> httpx.Response:
            headers = {"User-Agent": USER_AGENT, "Authorization": f"bearer {token}"}
            return self._api.request(method, self._base_url + path, headers=headers, **kwargs)

        return self._token.authorized(call)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _refusal(error: object) -> Exception:
    """One ``json.errors`` entry, ``[code, message, field]``, as the error to raise."""
    parts = [str(p) for p in error] if isinstance(error, list) else [str(error)]
    code, message = parts[0], parts[1] if len(parts) > 1 else parts[0]
    if code == "RATELIMIT":
        return Unavailable(f"reddit: the brand account comments too often: {message}")
    if code in GONE_ERRORS:
        return PostGone(f"reddit: the post is gone ({code}: {message})")
    return ConfigError(f"reddit refused the comment ({code}): {message}")


def _children(listing: object) -> list[Any]:
    data = listing.get("data") if isinstance(listing, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    return children if isinstance(children, list) else []


def _comment(child: object) -> _Comment | None:
    if not isinstance(child, dict) or child.get("kind") != "t1":
        return None  # a "more" stub, or anything else
    data = child.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    fullname, created = data.get("author_fullname"), data.get("created_utc")
    permalink = data.get("permalink")
    return _Comment(
        id=data["id"],
        parent_id=str(data.get("parent_id") or ""),
        author=str(data.get("author") or ""),
        author_fullname=fullname if isinstance(fullname, str) and fullname else None,
        body=str(data.get("body") or ""),
        created_utc=float(created) if isinstance(created, int | float) else None,
        permalink=permalink if isinstance(permalink, str) and permalink else None,
        replies=_children(data.get("replies")),  # "" when there are none
    )


def _permalink(comment: _Comment, article: str) -> str:
    if comment.permalink is not None:
        return WEB + comment.permalink
    return f"{WEB}/comments/{article}/_/{comment.id}/"
