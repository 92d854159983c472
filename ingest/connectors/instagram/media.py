"""From an IG Media object found by hashtag search to a :class:`~contract.RawPost`.

Hashtag search hides who posted: the edges return no ``username`` and no owner, so every post
gets the same placeholder author (:data:`UNKNOWN_AUTHOR`). A brand that wants the creator opens
the permalink; the rights request on Instagram is sent by hand anyway. ``like_count`` is absent
when the owner hid it: likes are then unknown (``None``), not zero.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import field_validator

from contract import Author, Engagement, Media, Platform, RawPost
from ingest.connectors.normalizing import WireModel, count, invalid_is_poison

#: Hashtag search never says who posted; the contract needs an author, so all share this one.
UNKNOWN_AUTHOR = Author(id="unknown", handle="instagram-user")

# A hashtag is "#" and word characters, not all digits (Instagram ignores "#1"), not inside a
# word (an URL fragment such as "page#section" is not a hashtag).
_HASHTAG = re.compile(r"(?<!\w)#(\w*[^\W\d]\w*)")
MediaType = Literal["image", "video", "unknown"]
_MEDIA_TYPES: dict[str, MediaType] = {"IMAGE": "image", "VIDEO": "video"}


class IgChild(WireModel):
    media_type: str | None = None
    media_url: str | None = None


class IgChildren(WireModel):
    data: list[IgChild] = []


class IgMedia(WireModel):
    id: str
    timestamp: datetime
    caption: str | None = None
    media_type: str | None = None
    media_url: str | None = None
    permalink: str | None = None
    like_count: int | None = None
    comments_count: int | None = None
    children: IgChildren | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _graph_timestamp(cls, value: Any) -> Any:
        return parse_timestamp(value) if isinstance(value, str) else value


def parse_timestamp(value: str) -> datetime:
    """The Graph API writes ``2025-03-01T12:00:00+0000`` (no colon in the offset)."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return datetime.fromisoformat(value)


def hashtags_in(text: str) -> list[str]:
    return _HASHTAG.findall(text)


def media_to_post(raw: Any, *, tag: str, collected_at: datetime) -> RawPost:
    """Map one IG Media found on the ``recent_media``/``top_media`` edge of ``tag``."""
    with invalid_is_poison("invalid Instagram media"):
        item = IgMedia.model_validate(raw)
    text = html.unescape(item.caption or "").strip()
    with invalid_is_poison("Instagram media does not fit RawPost"):
        return RawPost(
            platform=Platform.INSTAGRAM,
            native_id=item.id,
            post_id=f"{Platform.INSTAGRAM.value}:{item.id}",
            hashtags=[tag, *hashtags_in(text)],
            text=text,
            author=UNKNOWN_AUTHOR,
            media=_media(item),
            permalink=item.permalink,
            language=None,  # the Graph API does not say
            created_at=item.timestamp,
            collected_at=collected_at,
            engagement=Engagement(likes=count(item.like_count), replies=count(item.comments_count)),
        )


def _media(item: IgMedia) -> list[Media]:
    if item.media_type == "CAROUSEL_ALBUM":
        parts = item.children.data if item.children is not None else []
        return [m for child in parts if (m := _one(child.media_type, child.media_url))]
    single = _one(item.media_type, item.media_url)
    return [single] if single is not None else []


def _one(media_type: str | None, url: str | None) -> Media | None:
    # media_url is left out for videos with copyrighted music: nothing to show, so no media.
    if not url:
        return None
    kind: MediaType = _MEDIA_TYPES.get(media_type or "", "unknown")
    return Media(type=kind, url=url)
