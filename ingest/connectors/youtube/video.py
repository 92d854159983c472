"""From a YouTube ``search.list`` result to a :class:`~contract.RawPost`.

A search result carries the snippet only: title, a shortened description, the channel and the
thumbnails; no statistics (engagement stays unknown) and no language. Titles and descriptions
arrive HTML-escaped (``Dana&#39;s``), so they are unescaped here. Results that are not videos
(channels, playlists) are skipped.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from pydantic import Field

from contract import Author, Media, Platform, RawPost
from ingest.connectors.normalizing import WireModel, invalid_is_poison

VIDEO_KIND = "youtube#video"
_HASHTAG = re.compile(r"(?<!\w)#(\w*[^\W\d]\w*)")


def video_id(item: Any) -> str | None:
    """The ``id.videoId`` of a raw result, ``None`` for anything else."""
    ident = item.get("id") if isinstance(item, dict) else None
    found = ident.get("videoId") if isinstance(ident, dict) else None
    return found if isinstance(found, str) and found else None


class _Thumbnail(WireModel):
    url: str = Field(min_length=1)


class _Snippet(WireModel):
    publishedAt: datetime
    channelId: str = Field(min_length=1)
    channelTitle: str | None = None
    title: str = ""
    description: str = ""
    thumbnails: dict[str, _Thumbnail] = {}


class _ResourceId(WireModel):
    kind: str
    videoId: str = Field(min_length=1)


class SearchResult(WireModel):
    """A search result; the field names are YouTube's own (camelCase), so it validates as it
    comes."""

    id: _ResourceId
    snippet: _Snippet


def video_to_post(raw: Any, *, tag: str, collected_at: datetime) -> RawPost | None:
    """Map one search result; a channel or playlist result (not a video) is skipped."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(ident, dict) and ident.get("kind") != VIDEO_KIND:
        return None
    with invalid_is_poison("invalid YouTube search result"):
        result = SearchResult.model_validate(raw)
        snippet = result.snippet
        title, description = html.unescape(snippet.title), html.unescape(snippet.description)
        thumbnail = next(
            (
                snippet.thumbnails[k]
                for k in ("high", "medium", "default")
                if k in snippet.thumbnails
            ),
            None,
        )
        return RawPost(
            platform=Platform.YOUTUBE,
            native_id=result.id.videoId,
            post_id=f"{Platform.YOUTUBE.value}:{result.id.videoId}",
            hashtags=[tag, *_HASHTAG.findall(title), *_HASHTAG.findall(description)],
            text=f"{title}\n\n{description}".strip(),
            author=Author(
                id=snippet.channelId,
                handle=snippet.channelTitle or snippet.channelId,
                display_name=snippet.channelTitle or None,
            ),
            media=[Media(type="image", url=thumbnail.url)] if thumbnail is not None else [],
            permalink=f"https://www.youtube.com/watch?v={result.id.videoId}",
            language=None,  # search results do not say
            created_at=snippet.publishedAt,
            collected_at=collected_at,
        )
