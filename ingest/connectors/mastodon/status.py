"""From a Mastodon Status (JSON, field names as documented) to a :class:`~contract.RawPost`.

Only the fields the contract needs are declared (:class:`WireModel`). A status that does not
fit raises :class:`~contract.PoisonMessage` with a reason a person can act on.

Hashtags come from the status' own ``tags`` and from its text (a remote server's ``tags`` can
be incomplete), after the polled hashtag, which is always first.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal, get_args

from contract import Author, Engagement, Media, Platform, RawPost, normalize_hashtag
from ingest.connectors.normalizing import WireModel, count, invalid_is_poison
from ingest.html_text import html_to_text

MediaType = Literal["image", "video", "gifv", "audio", "unknown"]
_MEDIA_TYPES: frozenset[str] = frozenset(get_args(MediaType))
# As Mastodon finds them: `#` not glued to a word, a path or an entity, and at least one letter
# in the name (`#1` is not a hashtag).
_TEXT_HASHTAG = re.compile(r"(?<![\w/#&])#(\w*[^\W\d_]\w*)")


class MastodonAccount(WireModel):
    """The status' author; ``acct`` is ``user`` on its own instance, ``user@host`` elsewhere."""

    id: str
    acct: str
    display_name: str | None = None
    followers_count: int | None = None


class MastodonMediaAttachment(WireModel):
    """An attachment; ``url`` is null for remote media the instance has not fetched yet."""

    type: str = "unknown"
    url: str | None = None
    preview_url: str | None = None
    remote_url: str | None = None
    description: str | None = None


class MastodonTag(WireModel):
    name: str


class MastodonStatus(WireModel):
    """A Status as ``/api/v1/timelines/tag`` and the streaming API send it."""

    id: str
    created_at: datetime
    account: MastodonAccount
    content: str
    spoiler_text: str = ""
    language: str | None = None
    url: str | None = None
    uri: str | None = None
    replies_count: int | None = None
    reblogs_count: int | None = None
    favourites_count: int | None = None
    media_attachments: list[MastodonMediaAttachment] = []
    tags: list[MastodonTag] = []


def status_id(raw: Any) -> str | None:
    """The id of a raw status, if it has one."""
    native_id = raw.get("id") if isinstance(raw, dict) else None
    return native_id if isinstance(native_id, str) and native_id else None


def id_order(native_id: str) -> tuple[int, str]:
    """Mastodon ids are decimal strings of unequal length: order by length, then by text."""
    return len(native_id), native_id


def is_boost(raw: Any) -> bool:
    """A boost (reblog) wraps someone else's status; it is not a post of its own."""
    return isinstance(raw, dict) and raw.get("reblog") is not None


def status_to_post(raw: Any, *, tag: str, collected_at: datetime) -> RawPost:
    """Map one status found on the timeline of ``tag`` (listed first among its hashtags)."""
    with invalid_is_poison("invalid Mastodon status"):
        status = MastodonStatus.model_validate(raw)
    text = _text(status)
    with invalid_is_poison("Mastodon status does not fit RawPost"):
        return RawPost(
            platform=Platform.MASTODON,
            native_id=status.id,
            post_id=f"{Platform.MASTODON.value}:{status.id}",
            hashtags=[tag, *(t.name for t in status.tags), *text_hashtags(text)],
            text=text,
            author=Author(
                id=status.account.id,
                handle=status.account.acct,
                display_name=status.account.display_name or None,
                followers=count(status.account.followers_count),
            ),
            media=[media for a in status.media_attachments if (media := _media(a)) is not None],
            permalink=status.url or status.uri,
            language=status.language,
            created_at=status.created_at,
            collected_at=collected_at,
            engagement=Engagement(
                likes=count(status.favourites_count),
                reposts=count(status.reblogs_count),
                replies=count(status.replies_count),
                quotes=None,
            ),
        )


def text_hashtags(text: str) -> list[str]:
    """The hashtags written in plain text, normalized, in order of appearance."""
    return [normalize_hashtag(name) for name in _TEXT_HASHTAG.findall(text)]


def _text(status: MastodonStatus) -> str:
    body = html_to_text(status.content)
    # The content warning is part of what the author said, and often the riskiest part of it.
    warning = status.spoiler_text.strip()
    return f"{warning}\n\n{body}" if warning and body else warning or body


def _media(attachment: MastodonMediaAttachment) -> Media | None:
    # `url` is null for remote media the instance has not fetched yet; the original is elsewhere.
    url = attachment.url or attachment.remote_url
    if not url:
        return None
    media_type: MediaType = "unknown"
    if attachment.type in _MEDIA_TYPES:
        media_type = attachment.type  # type: ignore[assignment]  # narrowed by the set above
    return Media(
        type=media_type,
        url=url,
        preview_url=attachment.preview_url,
        alt_text=attachment.description or None,
    )
