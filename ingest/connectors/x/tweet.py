"""From an X (API v2) tweet joined with its expansions to a :class:`~contract.RawPost`.

An item is ``{"tweet": <tweet>, "author": <includes.users entry or null>, "media":
[<includes.media entries>]}``, built by :func:`read_page` from a search page so that each tweet
can be normalized (or dead-lettered) on its own. Only the fields the contract needs are
declared (:class:`~ingest.connectors.normalizing.WireModel`).

X escapes ``&``, ``<`` and ``>`` in tweet text as HTML entities: the text is unescaped. A long
post's full text is in ``note_tweet`` (``text`` is cut at 280 characters).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import Field

from contract import Author, Engagement, Media, Platform, PoisonMessage, RawPost
from ingest.connectors.base import MalformedResponse
from ingest.connectors.http import json_object
from ingest.connectors.normalizing import WireModel, count, invalid_is_poison

#: A hashtag in text as X links it: ``#`` or the full-width U+FF03, not inside a word, with at
#: least one letter (``#1`` is not a hashtag).
HASHTAG = re.compile("(?<![\\w&#\uff03])[#\uff03](\\w*[^\\W\\d_]\\w*)")
_MEDIA_TYPES: dict[str, Literal["image", "video", "gifv"]] = {
    "photo": "image",
    "video": "video",
    "animated_gif": "gifv",
}


class XHashtag(WireModel):
    tag: str


class XEntities(WireModel):
    hashtags: list[XHashtag] = []


class XNoteTweet(WireModel):
    """A long post's full text (``text`` is cut at 280 characters)."""

    text: str
    entities: XEntities | None = None


class XReference(WireModel):
    type: str


class XPublicMetrics(WireModel):
    """A tweet's counts (``impression_count`` and the rest are not needed)."""

    retweet_count: int | None = None
    reply_count: int | None = None
    like_count: int | None = None
    quote_count: int | None = None


class XTweet(WireModel):
    """A tweet with the ``tweet.fields`` the search asks for."""

    id: str = Field(pattern=r"^\d+$")
    text: str
    author_id: str
    created_at: datetime
    lang: str | None = None
    public_metrics: XPublicMetrics = XPublicMetrics()
    entities: XEntities | None = None
    referenced_tweets: list[XReference] | None = None
    note_tweet: XNoteTweet | None = None


class XUserMetrics(WireModel):
    followers_count: int | None = None


class XUser(WireModel):
    """An ``includes.users`` entry: the author of a tweet, found by its ``author_id``
    (see :func:`read_page`)."""

    id: str
    username: str
    name: str | None = None
    public_metrics: XUserMetrics = XUserMetrics()


class XMedia(WireModel):
    """An ``includes.media`` entry; a video has a ``preview_image_url`` but no ``url``."""

    media_key: str
    type: str = "unknown"
    url: str | None = None
    preview_image_url: str | None = None
    alt_text: str | None = None


class XItem(WireModel):
    """A tweet joined with its author and media (see :func:`read_page`)."""

    tweet: XTweet
    author: XUser | None
    media: list[XMedia] = []


def tweet_id(item: Any) -> str | None:
    """The tweet's id if the item has a usable one (decimal string)."""
    tweet = item.get("tweet") if isinstance(item, dict) else None
    native_id = tweet.get("id") if isinstance(tweet, dict) else None
    return native_id if isinstance(native_id, str) and native_id.isdigit() else None


def is_retweet(tweet: XTweet) -> bool:
    """A retweet repeats someone else's post. ``referenced_tweets`` says so when present; the
    ``RT @`` prefix is the only sign otherwise."""
    if tweet.referenced_tweets is not None:
        return any(ref.type == "retweeted" for ref in tweet.referenced_tweets)
    return tweet.text.startswith("RT @")


def tweet_to_post(item: Any, *, tag: str, collected_at: datetime) -> RawPost | None:
    """Map one joined tweet found by searching ``#tag``; ``None`` for a retweet."""
    with invalid_is_poison("invalid X tweet"):
        parsed = XItem.model_validate(item)
    tweet, user = parsed.tweet, parsed.author
    if is_retweet(tweet):
        return None
    if user is None or user.id != tweet.author_id:
        raise PoisonMessage(f"X tweet {tweet.id}: author {tweet.author_id} not in includes.users")
    text = html.unescape(tweet.note_tweet.text if tweet.note_tweet else tweet.text)
    with invalid_is_poison(f"X tweet {tweet.id} does not fit RawPost"):
        return RawPost(
            platform=Platform.X,
            native_id=tweet.id,
            post_id=f"{Platform.X.value}:{tweet.id}",
            hashtags=[tag, *_entity_tags(tweet), *HASHTAG.findall(text)],
            text=text,
            author=Author(
                id=user.id,
                handle=user.username,
                display_name=user.name or None,
                followers=count(user.public_metrics.followers_count),
            ),
            media=[m for media in parsed.media if (m := _media(media)) is not None],
            permalink=f"https://x.com/{user.username}/status/{tweet.id}",
            language=_language(tweet.lang),
            created_at=tweet.created_at,
            collected_at=collected_at,
            engagement=_engagement(tweet.public_metrics),
        )


def read_page(body: Any) -> tuple[list[dict[str, Any]], list[int], str | None]:
    """One search page: the tweets joined with their expansions, every id it names (``meta``
    included, so a tweet that fails to normalize still moves the position), and the cursor."""
    if not isinstance(body, dict):
        raise MalformedResponse(f"x: expected a JSON object, got {type(body).__name__}")
    tweets = body.get("data", [])  # an empty result has no `data` at all
    includes = body.get("includes", {})
    meta = body.get("meta", {})
    if not isinstance(tweets, list) or not isinstance(includes, dict) or not isinstance(meta, dict):
        raise MalformedResponse("x: the search answer has no data list, includes or meta object")
    users = _by_key(includes.get("users"), "id")
    media = _by_key(includes.get("media"), "media_key")
    items = [_join(tweet, users, media) for tweet in tweets]
    ids = [int(i) for i in (tweet_id(item) for item in items) if i is not None]
    ids += [
        int(v)
        for k in ("newest_id", "oldest_id")
        if isinstance(v := meta.get(k), str) and v.isdigit()
    ]
    token = meta.get("next_token")
    return items, ids, token if isinstance(token, str) and token else None


def _join(
    tweet: Any, users: Mapping[str, dict[str, Any]], media: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """A tweet with its author and media from ``includes``: everything ``normalize`` needs, and
    what a dead letter keeps."""
    if not isinstance(tweet, dict):
        return {"tweet": tweet, "author": None, "media": []}
    attachments = tweet.get("attachments")
    keys = attachments.get("media_keys") if isinstance(attachments, dict) else None
    return {
        "tweet": tweet,
        "author": users.get(str(tweet.get("author_id"))),
        "media": [media[k] for k in keys if isinstance(k, str) and k in media]
        if isinstance(keys, list)
        else [],
    }


def _by_key(entries: Any, key: str) -> dict[str, dict[str, Any]]:
    if not isinstance(entries, list):
        return {}
    return {str(e[key]): e for e in entries if isinstance(e, dict) and key in e}


def oldest_first(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """In time order on the topic; tweets without a usable id go last (to be dead-lettered)."""

    def order(item: dict[str, Any]) -> tuple[int, int]:
        native_id = tweet_id(item)
        return (0, int(native_id)) if native_id is not None else (1, 0)

    return sorted(items, key=order)


def x_error_message(response: httpx.Response) -> str | None:
    """X's message: a problem+json ``title`` and ``detail`` (with the first of ``errors`` when it
    says more, as for an invalid request), or the older ``errors[0].message``."""
    body = json_object(response)
    if body is None:
        return None
    parts: list[str] = []
    for key in ("title", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value and value not in parts:
            parts.append(value)
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = errors[0].get("message")
        if isinstance(message, str) and message and message not in parts:
            parts.append(message)
    return ": ".join(parts) or None


def _entity_tags(tweet: XTweet) -> list[str]:
    entity_sets = [tweet.entities, tweet.note_tweet.entities if tweet.note_tweet else None]
    return [h.tag for entities in entity_sets if entities for h in entities.hashtags]


def _media(media: XMedia) -> Media | None:
    # A video has no `url`, only its still (`preview_image_url`): better that than nothing.
    url = media.url or media.preview_image_url
    if not url:
        return None
    return Media(
        type=_MEDIA_TYPES.get(media.type, "unknown"),
        url=url,
        preview_url=media.preview_image_url,
        alt_text=media.alt_text or None,
    )


def _engagement(metrics: XPublicMetrics) -> Engagement:
    return Engagement(
        likes=count(metrics.like_count),
        reposts=count(metrics.retweet_count),
        replies=count(metrics.reply_count),
        quotes=count(metrics.quote_count),
    )


def _language(lang: str | None) -> str | None:
    # "und": undetermined; "zxx" and X's own q-codes (qme: media only, qht: hashtags only ...)
    # say the text has no language at all.
    if not lang or lang in ("und", "zxx") or (len(lang) == 3 and lang.startswith("q")):
        return None
    return lang
