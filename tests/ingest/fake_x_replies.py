"""A fake X API v2 for rights requests: the brand's user token replies to tweets and searches
conversations, as ``../shared/PLATFORMS.md`` and X's API v2 reference document.

- ``GET /2/users/me`` → ``{"data": {"id", "name", "username"}}`` (**exact**).
- ``GET /2/tweets/{id}`` → ``{"data": <tweet>}`` with the default fields (``id``, ``text``,
  ``edit_history_tweet_ids``) plus the asked ``tweet.fields`` (**exact**); ``expansions=
  referenced_tweets.id`` adds ``includes.tweets`` (**exact**), ``referenced_tweets.id.author_id``
  their authors in ``includes.users`` (**exact**; whether it also implies ``includes.tweets`` is
  *unsure*, the fake does not). A deleted or unknown tweet: 200 with only ``errors`` of type
  ``https://api.twitter.com/2/problems/resource-not-found`` (**exact**); a deleted referenced
  tweet: ``data`` plus such an error with ``parameter: referenced_tweets.id`` (*unsure*).
  ``entities.mentions`` items carry ``start``, ``end``, ``username`` and ``id`` (**exact**).
- ``GET /2/tweets/search/recent`` with ``query`` of ``conversation_id:<id>`` and ``from:<user>``
  terms (**exact** operators), ``max_results`` (10 to 100, default 10), ``next_token``, newest
  first, only tweets of the last 7 days (**exact**); ``expansions=author_id`` adds
  ``includes.users``.
  A tweet is searchable as soon as it is posted (real search indexes after a delay: *unsure* how
  long).
- ``POST /2/tweets`` ``{"text", "reply": {"in_reply_to_tweet_id"}}`` → 201 ``{"data": {"id",
  "text", "edit_history_tweet_ids"}}`` (**exact**). Refusals, each a 403 problem (``title``
  ``Forbidden``, ``detail``): the parent neither mentions nor quotes the brand (the 2026
  self-serve rule; the wording is the one clients report, *unsure*), or
  :attr:`FakeXReplies.refuse_replies` is set; the parent deleted ("deleted or not visible",
  *unsure*); the brand already posted the same text ("duplicate content", **exact** wording).
- Read back, a reply's ``text`` starts with ``@<handle> `` of the tweet it answers (*unsure*)
  and every link in it is a ``https://t.co/...`` link (**exact**: X wraps every URL).
- ``x-rate-limit-*`` headers (epoch reset) on every answer; a spent window is 429 with X's
  ``errors`` body. A wrong token: the problem+json 401.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow
from tests.ingest.fake_x import RATE_LIMIT_BODIES, UNAUTHORIZED, make_user

TOKEN = "x-brand-user-token"
BRAND = make_user(id="1500000000000000001", username="brewnorth", name="Brew North")
CREATOR = make_user(id="2244994945", username="alice", name="Alice")
OTHER = make_user(id="783214", username="bob", name="Bob")
NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
RESTRICTED = (
    "Reply to this conversation is not allowed because you have not been mentioned or "
    "otherwise engaged by the author of the post you are replying to."
)
DELETED_PARENT = "You attempted to reply to a Tweet that is deleted or not visible to you."
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
SEARCH_PATH = "/2/tweets/search/recent"
_DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
_LINK = re.compile(r"https?://\S+")


class FakeXReplies(FakeApi):
    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base_url: str = "https://api.x.com",
        rate_limit: int = 300,
        window_s: float = 900.0,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self.users = {u["id"]: u for u in (BRAND, CREATOR, OTHER)}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        #: X refuses every reply as restricted, whatever the post says.
        self.refuse_replies = False
        self._sent_texts: set[str] = set()
        self._tokens: dict[str, int] = {}
        self._next_id = 1_890_000_000_000_000_000

    # --- content -------------------------------------------------------------------------

    def tweet(
        self,
        *,
        user: dict[str, Any] = CREATOR,
        text: str = "My morning brew #brewnorth",
        mentions: tuple[dict[str, Any], ...] = (),
        quotes: str | None = None,
        reply_to: str | None = None,
        age_s: float = 0.0,
    ) -> dict[str, Any]:
        """Publish a tweet with every field the fake can serve."""
        tweet_id = self._id()
        references = []
        if quotes is not None:
            references.append({"type": "quoted", "id": quotes})
        parent = self.tweets.get(reply_to) if reply_to is not None else None
        if parent is not None:
            references.append({"type": "replied_to", "id": parent["id"]})
            handle = self.users[parent["author_id"]]["username"]
            text = f"@{handle} {text}"
            mentions = (self.users[parent["author_id"]], *mentions)
        text = " ".join(
            [*(f"@{m['username']}" for m in mentions if f"@{m['username']}" not in text), text]
        )
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "edit_history_tweet_ids": [tweet_id],
            "author_id": user["id"],
            "conversation_id": parent["conversation_id"] if parent is not None else tweet_id,
            "created_at": (self._now() - timedelta(seconds=age_s)).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "entities": {"mentions": [_mention(text, m) for m in mentions]},
        }
        if references:
            tweet["referenced_tweets"] = references
        if parent is not None:
            tweet["in_reply_to_user_id"] = parent["author_id"]
        self.tweets[tweet_id] = tweet
        return tweet

    def creator_post(self, *, mention_brand: bool = True, **fields: Any) -> dict[str, Any]:
        return self.tweet(mentions=(BRAND,) if mention_brand else (), **fields)

    def reply(
        self, to: str, *, user: dict[str, Any] = CREATOR, text: str = "Yes! #YesBrewNorth"
    ) -> dict[str, Any]:
        return self.tweet(user=user, text=text, reply_to=to)

    def delete(self, tweet_id: str) -> None:
        self.deleted.add(tweet_id)

    @property
    def posts(self) -> list[httpx.Request]:
        """Every ``POST /2/tweets`` that reached the API (faults included)."""
        return [r for r in self.requests if r.method == "POST"]

    def rate_limited_next(self, *, reset_in_s: float = 30.0) -> None:
        self._rate.spend(reset_in_s=reset_in_s)

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = {"title": "Service Unavailable", "detail": "Service Unavailable", "status": status}
        self.fault_next(lambda _: httpx.Response(status, json=body), times=times)

    def respond_next(self, status: int, body: dict[str, Any]) -> None:
        self.fault_next(lambda _: httpx.Response(status, json=body, headers=self._rate_headers()))

    # --- the HTTP side ---------------------------------------------------------------------

    def client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport())

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json=UNAUTHORIZED)
        if not self._rate.take():
            return self._answer(429, RATE_LIMIT_BODIES["errors"])
        path, params = request.url.path, request.url.params
        if request.method == "GET" and path == "/2/users/me":
            return self._answer(200, {"data": {k: BRAND[k] for k in ("id", "name", "username")}})
        if request.method == "GET" and path == SEARCH_PATH:
            return self._search(params)
        if request.method == "GET" and path.startswith("/2/tweets/"):
            return self._lookup(path.removeprefix("/2/tweets/"), params)
        if request.method == "POST" and path == "/2/tweets":
            return self._post(json.loads(request.content))
        return self._answer(404, {"title": "Not Found Error", "status": 404})

    def _lookup(self, tweet_id: str, params: httpx.QueryParams) -> httpx.Response:
        if not tweet_id.isdigit():
            return self._answer(
                400, _invalid(f"The `id` query parameter value [{tweet_id}] is not valid")
            )
        if not self._visible(tweet_id):
            return self._answer(200, {"errors": [_not_found(tweet_id, "id")]})
        fields = _list(params.get("tweet.fields"))
        expansions = _list(params.get("expansions"))
        tweet = self.tweets[tweet_id]
        body: dict[str, Any] = {"data": _shaped(tweet, fields)}
        refs = [r["id"] for r in tweet.get("referenced_tweets", [])]
        includes: dict[str, Any] = {}
        errors = [_not_found(r, "referenced_tweets.id") for r in refs if not self._visible(r)]
        found = [self.tweets[r] for r in refs if self._visible(r)]
        if "referenced_tweets.id" in expansions and found:
            includes["tweets"] = [_shaped(t, fields) for t in found]
        if "referenced_tweets.id.author_id" in expansions and found:
            includes["users"] = [self.users[t["author_id"]] for t in found]
        if includes:
            body["includes"] = includes
        if errors and "referenced_tweets.id" in expansions:
            body["errors"] = errors
        return self._answer(200, body)

    def _search(self, params: httpx.QueryParams) -> httpx.Response:
        max_results = int(params.get("max_results", "10"))
        if not 10 <= max_results <= 100:
            return self._answer(
                400, _invalid(f"max_results [{max_results}] is not between 10 and 100")
            )
        terms = dict(t.split(":", 1) for t in params.get("query", "").split() if ":" in t)
        week_ago = (self._now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        found = sorted(
            (
                t
                for t in self.tweets.values()
                if self._visible(t["id"])
                and t["created_at"] >= week_ago
                and t["conversation_id"] == terms.get("conversation_id", t["conversation_id"])
                and self.users[t["author_id"]]["username"].casefold()
                == terms.get("from", self.users[t["author_id"]]["username"]).casefold()
            ),
            key=lambda t: -int(t["id"]),
        )
        if "next_token" in params:
            below = self._tokens.get(params["next_token"])
            if below is None:
                return self._answer(400, _invalid("next_token is not valid"))
            found = [t for t in found if int(t["id"]) < below]
        page, rest = found[:max_results], found[max_results:]
        if not page:
            return self._answer(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
            "result_count": len(page),
        }
        if rest:
            token = f"7140dibdnow9c7btw{len(self._tokens):08x}"
            self._tokens[token] = int(page[-1]["id"])
            meta["next_token"] = token
        fields = _list(params.get("tweet.fields"))
        body: dict[str, Any] = {"data": [_shaped(t, fields) for t in page], "meta": meta}
        if "author_id" in _list(params.get("expansions")):
            authors = dict.fromkeys(t["author_id"] for t in page)
            body["includes"] = {"users": [self.users[a] for a in authors]}
        return self._answer(200, body)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        text = str(body.get("text") or "")
        parent_id = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if parent_id is not None:
            if not self._visible(parent_id):
                return self._answer(403, _forbidden(DELETED_PARENT))
            if self.refuse_replies or not self._engages_brand(self.tweets[parent_id]):
                return self._answer(403, _forbidden(RESTRICTED))
        if text in self._sent_texts:
            return self._answer(403, _forbidden(DUPLICATE))
        self._sent_texts.add(text)
        as_read = _LINK.sub(lambda m: _shortened(m.group()), text)
        tweet = self.tweet(user=BRAND, text=as_read, reply_to=parent_id)
        data = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        return self._answer(201, {"data": data})

    def _engages_brand(self, tweet: dict[str, Any]) -> bool:
        if any(m["id"] == BRAND["id"] for m in tweet["entities"]["mentions"]):
            return True
        quoted = [r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "quoted"]
        return any(self.tweets[q]["author_id"] == BRAND["id"] for q in quoted if q in self.tweets)

    def _visible(self, tweet_id: str) -> bool:
        return tweet_id in self.tweets and tweet_id not in self.deleted

    def _id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _answer(self, status: int, body: dict[str, Any]) -> httpx.Response:
        return httpx.Response(
            status, content=json.dumps(body).encode(), headers=self._rate_headers()
        )

    def _rate_headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "x-rate-limit-limit": str(self._rate.limit),
            "x-rate-limit-remaining": str(self._rate.remaining),
            "x-rate-limit-reset": str(int(self._rate.reset_at.timestamp())),
        }


def _shaped(tweet: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A tweet with X's default fields and the asked ones it has."""
    return {k: v for k, v in tweet.items() if k in _DEFAULT_FIELDS or k in fields}


def _shortened(url: str) -> str:
    return "https://t.co/" + hashlib.sha1(url.encode()).hexdigest()[:10]


def _mention(text: str, user: dict[str, Any]) -> dict[str, Any]:
    start = text.find(f"@{user['username']}")
    end = start + len(user["username"]) + 1
    return {"start": start, "end": end, "username": user["username"], "id": user["id"]}


def _list(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def _not_found(tweet_id: str, parameter: str) -> dict[str, Any]:
    return {
        "value": tweet_id,
        "detail": f"Could not find tweet with {parameter}: [{tweet_id}].",
        "title": "Not Found Error",
        "resource_type": "tweet",
        "parameter": parameter,
        "resource_id": tweet_id,
        "type": NOT_FOUND_TYPE,
    }


def _forbidden(detail: str) -> dict[str, Any]:
    return {"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403}


def _invalid(message: str) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
