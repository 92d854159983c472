"""Rights requests on X (API v2): the brand's account replies to the creator's tweet, and reads
the replies to that reply.

Since February 2026 X's self-serve tiers let an app reply only where the author mentioned or
quoted the brand. The post is read first (``GET /2/tweets/{id}``: entities, referenced tweets and
their authors); one that neither @mentions the brand nor quotes its tweet is
:class:`~ingest.rights.network.NotAllowed` (a manual send) before anything is posted, and so is a
403 to the reply saying replies are restricted (X has the last word).

X takes no idempotency key: before posting, recent search (``conversation_id:<conversation>
from:<brand>``) looks for our reply to the post with the same text, reported as sent if found.
X wraps every link in ``t.co`` (and may cut or append one) and reads a reply back with the
@handle it answers in front, so texts are compared without links and leading handles: two
messages differing only by a link count as one. Search indexes a new tweet after a moment and
covers 7 days: a worker restarted within seconds of its send could post again (X's
duplicate-content 403, reported ``failed``, usually stops it).

Replies: our reply's conversation, searched, keeping the tweets that reply to ours and are not
the brand's. Only 7 days back: older replies need the mentions timeline
(``GET /2/users/{id}/mentions``) or a person.

Errors: a deleted tweet answers 200 with a ``resource-not-found`` error and no ``data``, or 404:
:class:`~ingest.rights.network.PostGone`. 429 (``x-rate-limit-reset``, read as the listening
connector does) and 5xx are retried by the client, then raise ``Unavailable``; other refusals
are ``failed`` with X's message.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx

from contract import RightsCommand, RightsEvent
from ingest.connectors.base import ConfigError, MalformedResponse
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import ApiClient, Verdict, bearer, http_client, json_object
from ingest.connectors.x.search import SEARCH_PATH, x_rate_limit
from ingest.connectors.x.tweet import read_page, x_error_message
from ingest.rights.network import (
    NotAllowed,
    PostGone,
    Reply,
    Sent,
    comparable,
    native_id_of,
    parse_time,
    required_credentials,
    send_event,
)
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver

POST_FIELDS = "author_id,conversation_id,entities,referenced_tweets,created_at"
POST_EXPANSIONS = "referenced_tweets.id,referenced_tweets.id.author_id"
OURS_FIELDS = "author_id,in_reply_to_user_id,referenced_tweets,created_at"
REPLY_FIELDS = "author_id,referenced_tweets,created_at,note_tweet"
MAX_PAGES = 10
NOT_MENTIONED = (
    "X lets the brand's app reply only where the author mentioned or quoted the brand "
    "(self-serve API tiers, since February 2026), and this post does neither: reply by hand "
    "from the brand's account"
)
_LINK = re.compile(r"https?://\S+")
_LEADING_HANDLES = re.compile(r"^(?:\s*@\w+)+\s")


def _classify(response: httpx.Response) -> Verdict:
    path, status = response.request.url.path, response.status_code
    message = x_error_message(response) or response.reason_phrase
    if status == 404 and "/2/tweets/" in path and not path.endswith(SEARCH_PATH):
        return PostGone(f"x answered 404 to GET {path}: {message}")
    if status == 403 and response.request.method == "POST":
        said = message.casefold()
        if "deleted or not visible" in said:
            return PostGone(f"x refused the reply: {message}")
        if "reply" in said and ("not allowed" in said or "restrict" in said):
            return NotAllowed(
                f"X refused the reply ({message}): reply by hand from the brand's account"
            )
    return None


def x_api(wiring: Wiring) -> ApiClient:
    """An :class:`ApiClient` for X with its rate-limit headers and error bodies."""
    return wiring.api(
        "x",
        lambda: http_client(timeout_s=30.0),
        rate_limit=x_rate_limit,
        error_message=x_error_message,
        classify=_classify,
    )


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> XRights | None:
    """The brand's X account, or ``None`` when none is configured (manual sends)."""
    ref = settings.rights_x_credentials
    if ref is None:
        return None
    token = required_credentials("x", ref, ["access_token"], resolver)["access_token"]
    base_url = settings.rights_x_base_url
    return XRights(x_api(wiring), token=token, base_url=base_url, account=f"x {base_url} ({ref})")


@dataclass(frozen=True)
class BrandAccount:
    """The token's user: its numeric id and its handle."""

    id: str
    username: str


class XRights:
    """The brand's X account: sends requests where X allows it and reads the replies."""

    network = "x"

    def __init__(self, api: ApiClient, *, token: str, base_url: str, account: str) -> None:
        self._api = api
        self._headers = bearer(token)
        self._root = base_url.rstrip("/")
        #: What pacing counts sends against: the API root and the credentials reference.
        self.account = account
        self._brand: BrandAccount | None = None

    def close(self) -> None:
        self._api.close()

    def brand(self) -> BrandAccount:
        """The token's user (``GET /2/users/me``), read once."""
        if self._brand is None:
            body = self._get("/2/users/me", {})
            data = body.get("data")
            if not isinstance(data, dict) or not all(
                isinstance(data.get(k), str) for k in ("id", "username")
            ):
                raise MalformedResponse("x: /2/users/me answered no id and username")
            self._brand = BrandAccount(data["id"], data["username"])
        return self._brand

    def send(self, command: RightsCommand) -> RightsEvent:
        """Reply to the creator's tweet with the command's text, at most once per command.

        Returns ``sent``, ``post_deleted``, ``manual_send_needed`` (X forbids it) or
        ``failed``; raises ``Unavailable`` (transient)."""
        return send_event(command, self._found_or_posted)

    def replies(self, watch: Watch) -> list[Reply]:
        """The direct replies to our reply that are not the brand's, oldest first; raises
        :class:`PostGone` when our reply or the creator's tweet was deleted.

        Recent search covers 7 days: older replies need the mentions timeline or a person."""
        brand = self.brand()
        ours, body = self._tweet(watch.sent_id, "conversation_id", "referenced_tweets.id")
        post_id = native_id_of(watch.post_id)
        if _not_found(body, post_id):
            raise PostGone(f"x: the creator's tweet {post_id} was deleted")
        conversation = str(ours.get("conversation_id") or post_id)
        params = {"expansions": "author_id", "user.fields": "username"}
        found = [
            _reply(item)
            for item in self._search(f"conversation_id:{conversation}", REPLY_FIELDS, params)
            if isinstance(tweet := item["tweet"], dict)
            and _replies_to(tweet, watch.sent_id)
            and tweet.get("author_id") != brand.id
        ]
        return sorted(found, key=lambda reply: int(reply.id))

    def _found_or_posted(self, command: RightsCommand) -> Sent:
        brand = self.brand()
        post, body = self._tweet(command.native_id, POST_FIELDS, POST_EXPANSIONS)
        if not _engages(post, body, brand):
            raise NotAllowed(NOT_MENTIONED)
        conversation = str(post.get("conversation_id") or command.native_id)
        reply_id = self._our_reply(command, conversation, brand) or self._post(command)
        return Sent(reply_id, f"https://x.com/{brand.username}/status/{reply_id}")

    def _our_reply(
        self, command: RightsCommand, conversation: str, brand: BrandAccount
    ) -> str | None:
        """A reply already posted for ``command`` (a worker that died before reporting it)."""
        wanted = _as_read(command.text)
        query = f"conversation_id:{conversation} from:{brand.username}"
        for item in self._search(query, OURS_FIELDS, {}):
            tweet = item["tweet"]
            if (
                isinstance(tweet, dict)
                and tweet.get("author_id") == brand.id
                and _replies_to(tweet, command.native_id)
                and _as_read(_text(tweet)) == wanted
            ):
                return str(tweet["id"])
        return None

    def _post(self, command: RightsCommand) -> str:
        response = self._api.request(
            "POST",
            f"{self._root}/2/tweets",
            json={"text": command.text, "reply": {"in_reply_to_tweet_id": command.native_id}},
            headers=self._headers,
        )
        data = (json_object(response) or {}).get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise MalformedResponse("x: POST /2/tweets answered no tweet id")
        return str(data["id"])

    def _tweet(
        self, tweet_id: str, fields: str, expansions: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """One tweet and the whole answer (its ``includes``, and ``errors`` about them)."""
        body = self._get(
            f"/2/tweets/{tweet_id}", {"tweet.fields": fields, "expansions": expansions}
        )
        data = body.get("data")
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            return data, body
        if _not_found(body, tweet_id):
            raise PostGone(f"x: tweet {tweet_id} was deleted or never existed")
        details = [str(e.get("detail") or e.get("title")) for e in _errors(body)]
        if details:
            raise ConfigError(f"x: GET /2/tweets/{tweet_id}: {'; '.join(details)}")
        raise MalformedResponse(f"x: GET /2/tweets/{tweet_id} answered neither data nor errors")

    def _search(self, query: str, fields: str, extra: dict[str, str]) -> list[dict[str, Any]]:
        """Every tweet recent search finds for ``query`` (joined with its author), newest first,
        up to :data:`MAX_PAGES` pages."""
        params: dict[str, str | int] = {"query": query, "max_results": 100, "tweet.fields": fields}
        params.update(extra)
        items: list[dict[str, Any]] = []
        tokens: set[str] = set()
        for _ in range(MAX_PAGES):
            page, _ids, token = read_page(self._get(SEARCH_PATH, params))
            items += page
            if token is None or token in tokens:
                break
            tokens.add(token)
            params["next_token"] = token
        return items

    def _get(self, path: str, params: dict[str, str | int]) -> dict[str, Any]:
        body = self._api.get_json(f"{self._root}{path}", params, self._headers)
        if not isinstance(body, dict):
            raise MalformedResponse(f"x: GET {path}: expected a JSON object")
        return body


def _engages(post: dict[str, Any], body: dict[str, Any], brand: BrandAccount) -> bool:
    """Whether the post @mentions the brand or quotes one of its tweets (X's reply rule);
    ``body`` is the lookup's answer, whose ``includes.tweets`` hold the quoted tweets."""
    entities = post.get("entities")
    mentions = entities.get("mentions") if isinstance(entities, dict) else None
    for mention in mentions if isinstance(mentions, list) else []:
        if isinstance(mention, dict) and (
            mention.get("id") == brand.id
            or str(mention.get("username", "")).casefold() == brand.username.casefold()
        ):
            return True
    includes = body.get("includes")
    included = includes.get("tweets") if isinstance(includes, dict) else None
    authors = {
        t.get("id"): t.get("author_id")
        for t in (included if isinstance(included, list) else [])
        if isinstance(t, dict)
    }
    return any(
        ref.get("type") == "quoted" and authors.get(ref.get("id")) == brand.id
        for ref in _references(post)
    )


def _replies_to(tweet: dict[str, Any], parent_id: str) -> bool:
    return any(
        ref.get("type") == "replied_to" and ref.get("id") == parent_id for ref in _references(tweet)
    )


def _references(tweet: dict[str, Any]) -> list[dict[str, Any]]:
    refs = tweet.get("referenced_tweets")
    return [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []


def _errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors = body.get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _not_found(body: dict[str, Any], tweet_id: str) -> bool:
    """Whether an answer's (partial) errors say ``tweet_id`` does not exist: deleted."""
    return any(
        str(error.get("type", "")).endswith("resource-not-found")
        and tweet_id in (error.get("resource_id"), error.get("value"))
        for error in _errors(body)
    )


def _reply(item: dict[str, Any]) -> Reply:
    """A reply from a search item (the tweet joined with its author)."""
    tweet, author = item["tweet"], item.get("author")
    handle = author.get("username") if isinstance(author, dict) else None
    return Reply(
        id=str(tweet["id"]),
        # The numeric user id, as the listening connector stores the post's author.
        author_id=str(tweet.get("author_id")),
        text=_text(tweet),
        created_at=parse_time(tweet.get("created_at")),
        url=f"https://x.com/{handle if isinstance(handle, str) else 'i/web'}/status/{tweet['id']}",
    )


def _text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) else tweet.get("text")
    return html.unescape(text) if isinstance(text, str) else ""


def _as_read(text: str) -> str:
    """A text without its links and leading @handles, as :func:`comparable` as can be: what is
    left of ours once X has wrapped the links and prefixed the handle it answers."""
    return comparable(_LINK.sub(" ", _LEADING_HANDLES.sub(" ", html.unescape(text))))
