"""A fake X API v2 that serves recent search as ``../shared/PLATFORMS.md`` documents.

``GET /2/tweets/search/recent``: ``query`` (``#tag``, ``-is:retweet``), ``max_results`` (10 to
100, else a 400 problem), ``since_id`` / ``until_id`` (both exclusive), ``next_token`` (opaque,
newest first); ``includes.users`` / ``includes.media`` for the page's tweets; ``meta`` with
``newest_id``, ``oldest_id``, ``result_count`` and ``next_token`` only when more is left; an empty
result has no ``data`` (nor ``includes``) at all. ``x-rate-limit-*`` headers (epoch reset) with
a budget that runs down and a 429 in either of X's two body shapes. A wrong bearer token gets
the problem+json 401. Faults are scripted per request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow

SEARCH_PATH = "/2/tweets/search/recent"
# Ids cross from 18 to 19 digits after a few tweets: compared as text, "99…" > "100…".
FIRST_ID = 999_999_999_999_999_996
CREATED_AT = datetime(2025, 3, 1, 11, 0)


RATE_LIMIT_BODIES: dict[str, dict[str, Any]] = {
    "errors": {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
    "problem": {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    },
}
UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}
CLIENT_FORBIDDEN = {
    "client_id": "27003345",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys "
    "and tokens from a Twitter developer App that is attached to a Project.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden",
    "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}


def make_user(
    *, id: str = "2244994945", username: str = "alice", name: str = "Alice", followers: int = 120
) -> dict[str, Any]:
    return {
        "id": id,
        "username": username,
        "name": name,
        "public_metrics": {
            "followers_count": followers,
            "following_count": 3,
            "tweet_count": 42,
            "listed_count": 0,
        },
    }


def make_media(
    *, key: str = "3_1", type: str = "photo", alt_text: str | None = "A red shoe"
) -> dict[str, Any]:
    media: dict[str, Any] = {"media_key": key, "type": type}
    if type == "photo":
        media["url"] = f"https://pbs.twimg.com/media/{key}.jpg"
    else:  # videos and GIFs only have a still
        media["preview_image_url"] = f"https://pbs.twimg.com/ext_tw_video_thumb/{key}.jpg"
    if alt_text is not None:
        media["alt_text"] = alt_text
    return media


@dataclass(frozen=True)
class SearchPage:
    """One page of recent search: its tweets, newest first, and its ``meta``."""

    tweets: list[dict[str, Any]]
    meta: dict[str, Any]


class SearchPaging:
    """Recent search's paging as X does it: ``max_results`` from 10 to 100, newest first, and
    an opaque ``next_token`` (starting with ``token_prefix``) naming where the next page starts."""

    def __init__(self, token_prefix: str) -> None:
        self._prefix = token_prefix
        self._below: dict[str, int] = {}  # next_token -> the id the next page starts below

    def page(
        self, newest_first: list[dict[str, Any]], params: httpx.QueryParams
    ) -> SearchPage | dict[str, Any]:
        """The page of ``newest_first`` that ``params`` asks for, or the body of X's 400."""
        max_results = int(params.get("max_results", "10"))
        if not 10 <= max_results <= 100:
            return invalid_request(f"max_results [{max_results}] is not between 10 and 100")
        if "next_token" in params:
            below = self._below.get(params["next_token"])
            if below is None:
                return invalid_request("next_token is not valid")
            newest_first = [t for t in newest_first if int(t["id"]) < below]
        page, rest = newest_first[:max_results], newest_first[max_results:]
        if not page:
            return SearchPage([], {"result_count": 0})
        meta: dict[str, Any] = {
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
            "result_count": len(page),
        }
        if rest:
            token = f"{self._prefix}{len(self._below):08x}"
            self._below[token] = int(page[-1]["id"])
            meta["next_token"] = token
        return SearchPage(page, meta)


class FakeX(FakeApi):
    """Recent search over published tweets, served through :meth:`transport`."""

    malformed_body = b"<html>Over capacity</html>"

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base_url: str = "https://api.x.com",
        bearer_token: str = "x-test-bearer",
        rate_limit: int = 450,
        window_s: float = 900.0,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.bearer_token = bearer_token
        self.tweets: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self.rate_limit_shape = "errors"
        self._paging = SearchPaging("b26v89c19zqg8o3fo")
        self._next_id = FIRST_ID

    # --- content -------------------------------------------------------------------------

    def post(
        self,
        *,
        tags: Iterable[str] = ("brand",),
        text: str | None = None,
        user: dict[str, Any] | None = None,
        media: Iterable[dict[str, Any]] = (),
        lang: str = "en",
        retweet_of: str | None = None,
        metrics: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Publish a tweet (newest so far); hashtags go to the text and to ``entities``."""
        self._next_id += 1
        tweet_id = str(self._next_id)
        tags = list(tags)
        if text is None:
            text = "Loving my new shoes " + " ".join(f"#{t}" for t in tags)
        if retweet_of is not None:
            text = f"RT @bob: {text}"
        author = user or make_user()
        self.users[author["id"]] = author
        media = list(media)
        for item in media:
            self.media[item["media_key"]] = item
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "author_id": author["id"],
            "created_at": (CREATED_AT + timedelta(seconds=len(self.tweets))).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            ),
            "lang": lang,
            "edit_history_tweet_ids": [tweet_id],
            "public_metrics": metrics
            or {"retweet_count": 3, "reply_count": 2, "like_count": 5, "quote_count": 1},
            "entities": {"hashtags": _entities(text)} if tags else {},
        }
        if media:
            tweet["attachments"] = {"media_keys": [m["media_key"] for m in media]}
        if retweet_of is not None:
            tweet["referenced_tweets"] = [{"type": "retweeted", "id": retweet_of}]
        self.tweets.append(tweet)
        return tweet

    def post_many(self, count: int, **fields: Any) -> list[str]:
        return [self.post(**fields)["id"] for _ in range(count)]

    # --- scripted faults, consumed one per request -----------------------------------------

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = {"title": "Service Unavailable", "detail": "Service Unavailable", "status": status}
        self.fault_next(lambda _: httpx.Response(status, json=body), times=times)

    def respond_next(self, status: int, body: dict[str, Any]) -> None:
        self.fault_next(lambda _: httpx.Response(status, json=body, headers=self._rate_headers()))

    def spend_rate_limit(self, *, reset_in_s: float, shape: str = "errors") -> None:
        """Someone else on this app spent the budget: the next request gets a 429."""
        self._rate.spend(reset_in_s=reset_in_s)
        self.rate_limit_shape = shape

    # --- the HTTP side ---------------------------------------------------------------------

    @property
    def search_params(self) -> list[dict[str, str]]:
        return [dict(r.url.params) for r in self.requests]

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {self.bearer_token}":
            return httpx.Response(401, json=UNAUTHORIZED)
        if not self._rate.take():
            shape = RATE_LIMIT_BODIES[self.rate_limit_shape]
            return httpx.Response(429, json=shape, headers=self._rate_headers())
        headers = self._rate_headers()
        if request.method != "GET" or request.url.path != SEARCH_PATH:
            return httpx.Response(
                404, json={"title": "Not Found Error", "status": 404}, headers=headers
            )
        params = request.url.params
        page = self._paging.page(self._search(params), params)
        if not isinstance(page, SearchPage):
            return httpx.Response(400, json=page, headers=headers)
        if not page.tweets:
            return httpx.Response(200, json={"meta": page.meta}, headers=headers)
        includes = self._includes(page.tweets)
        body: dict[str, Any] = {"data": page.tweets, "includes": includes, "meta": page.meta}
        return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)

    def _search(self, params: httpx.QueryParams) -> list[dict[str, Any]]:
        terms = params.get("query", "").split()
        wanted = {t[1:].casefold() for t in terms if t.startswith("#")}
        no_retweets = "-is:retweet" in terms
        found = []
        for tweet in self.tweets:
            tags = {h["tag"].casefold() for h in tweet.get("entities", {}).get("hashtags", [])}
            if not wanted <= tags:
                continue
            if no_retweets and tweet.get("referenced_tweets"):
                continue
            if "since_id" in params and int(tweet["id"]) <= int(params["since_id"]):
                continue
            if "until_id" in params and int(tweet["id"]) >= int(params["until_id"]):
                continue
            found.append(tweet)
        return sorted(found, key=lambda t: int(t["id"]), reverse=True)

    def _includes(self, page: list[dict[str, Any]]) -> dict[str, Any]:
        users = {
            t["author_id"]: self.users[t["author_id"]] for t in page if t["author_id"] in self.users
        }
        keys = [k for t in page for k in t.get("attachments", {}).get("media_keys", [])]
        includes: dict[str, Any] = {"users": list(users.values())}
        media = [self.media[k] for k in dict.fromkeys(keys) if k in self.media]
        if media:
            includes["media"] = media
        return includes

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self._rate.limit),
            "x-rate-limit-remaining": str(self._rate.remaining),
            "x-rate-limit-reset": str(int(self._rate.reset_at.timestamp())),
        }


def _entities(text: str) -> list[dict[str, Any]]:
    """``entities.hashtags`` as X computes them: positions in the text, ``tag`` without ``#``,
    and only tags with a letter (``#1`` is not one)."""
    return [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)}
        for m in re.finditer(r"(?<!\w)#(\w*[^\W\d_]\w*)", text)
    ]


def invalid_request(message: str) -> dict[str, Any]:
    """X's 400 body for an invalid parameter."""
    return {
        "errors": [{"parameters": {}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
