"""Feeds as moderators define them, and posts as the public sees them."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from contract import Media, normalize_hashtags
from curation_api.feeds.repository import PublicPost
from curation_api.media.schemas import StoredMediaRead
from database.models import Feed

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class FeedCreate(BaseModel):
    """Body of ``PUT /v1/feeds/{slug}``: creates the feed or replaces it entirely."""

    title: str = Field(min_length=1, max_length=200, examples=["Summer campaign"])
    hashtags: list[str] = Field(
        min_length=1,
        max_length=50,
        description="The feed shows approved posts carrying any of these (`#` optional).",
        examples=[["mybrand", "#MyBrandSummer"]],
    )
    requires_rights: bool = Field(
        default=True,
        description=(
            "Show only posts whose reuse rights are granted for the website, inside their "
            "window, not revoked (false: every approved post, e.g. an internal wall)."
        ),
    )

    @field_validator("hashtags")
    @classmethod
    def _normalize(cls, tags: list[str]) -> list[str]:
        return normalize_hashtags(tags, max_length=255)


class FeedRead(BaseModel):
    slug: str
    title: str
    hashtags: list[str]
    requires_rights: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime

    @classmethod
    def from_row(cls, feed: Feed) -> FeedRead:
        return cls(
            slug=feed.slug,
            title=feed.title,
            hashtags=[h.tag for h in feed.hashtags],
            requires_rights=feed.requires_rights,
            created_at=feed.created_at,
            updated_at=feed.updated_at,
        )


class FeedAuthor(BaseModel):
    handle: str
    display_name: str | None


class FeedMediaVariant(BaseModel):
    width: int
    height: int
    url: str


class FeedMedia(Media):
    """A media item; when our copy is stored, ``url`` is its widest variant on the API's
    origin (a path: resolve it against the API's address), ``variants`` are for ``srcset``
    and ``source_url`` is the network's URL, which may expire."""

    width: int | None = None
    height: int | None = None
    variants: list[FeedMediaVariant] = Field(default_factory=list)
    source_url: str | None = None

    @classmethod
    def of(cls, item: dict[str, Any], copy: StoredMediaRead | None) -> FeedMedia:
        media = cls.model_validate(item)
        if copy is None or not copy.variants:
            return media
        return media.model_copy(
            update={
                "url": copy.variants[-1].url,
                "source_url": media.url,
                "alt_text": copy.alt_text or media.alt_text,
                "width": copy.width,
                "height": copy.height,
                "variants": [FeedMediaVariant(**v.model_dump()) for v in copy.variants],
            }
        )


class FeedPost(BaseModel):
    """An approved post as a widget shows it: no scores, no moderation data."""

    post_id: str
    platform: str
    text: str
    author: FeedAuthor
    media: list[FeedMedia]
    permalink: str | None
    created_at: AwareDatetime
    hashtags: list[str]

    @classmethod
    def from_public(cls, post: PublicPost, copies: list[StoredMediaRead]) -> FeedPost:
        stored = {copy.position: copy for copy in copies}
        return cls(
            post_id=post.post_id,
            platform=post.platform,
            text=post.text,
            author=FeedAuthor(handle=post.author_handle, display_name=post.author_display_name),
            media=[FeedMedia.of(m, stored.get(i)) for i, m in enumerate(post.media)],
            permalink=post.permalink,
            created_at=post.created_at,
            hashtags=post.hashtags,
        )
