"""The embed page's HTML from a page of posts: escaping, links, images."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from curation_api.feeds.schemas import FeedAuthor, FeedMedia, FeedMediaVariant, FeedPost
from curation_api.kit import Page
from curation_api.widget.embed_page import embed_page, http_url, media_url


def feed_post(*, media: list[FeedMedia], **fields: Any) -> FeedPost:
    return FeedPost(
        post_id=fields.pop("post_id", "mastodon:1"),
        platform="mastodon",
        text=fields.pop("text", "Summit"),
        author=FeedAuthor(handle="alice@example.social", display_name=None),
        media=media,
        permalink=fields.pop("permalink", "https://example.social/@alice/1"),
        created_at=datetime(2025, 6, 1, 12, tzinfo=UTC),
        hashtags=["trailpeak"],
    )


def render(*posts: FeedPost) -> str:
    return embed_page(
        title="Trail", page=Page(items=list(posts), next_cursor=None), limit=12, cursor=None
    )


def test_stored_variants_become_a_srcset_with_the_size_of_the_image() -> None:
    media = FeedMedia(
        type="image",
        url="/media/7/1200.webp",
        width=1200,
        height=900,
        variants=[
            FeedMediaVariant(width=400, height=300, url="/media/7/400.webp"),
            FeedMediaVariant(width=800, height=600, url="/media/7/800.webp"),
            FeedMediaVariant(width=1200, height=900, url="/media/7/1200.webp"),
        ],
    )

    (img,) = re.findall(r"<img [^>]*>", render(feed_post(media=[media])))

    assert 'src="/media/7/800.webp"' in img
    assert (
        'srcset="/media/7/400.webp 400w, /media/7/800.webp 800w, /media/7/1200.webp 1200w"' in img
    )
    assert 'width="1200" height="900"' in img
    assert 'alt="Photo by @alice@example.social on Mastodon"' in img


def test_an_image_that_is_neither_http_nor_a_path_here_is_left_out() -> None:
    hostile = [
        FeedMedia(type="image", url="javascript:alert(1)"),
        FeedMedia(type="image", url="//elsewhere.example/x.png"),
        FeedMedia(type="image", url="data:image/png;base64,AAAA"),
    ]
    assert "<img" not in render(feed_post(media=hostile))


def test_only_absolute_http_urls_are_links_and_paths_only_count_for_media() -> None:
    assert http_url("https://example.social/@a/1") == "https://example.social/@a/1"
    for not_a_link in ("javascript:alert(1)", "/relative", "//host/x", "mailto:a@b", "", None):
        assert http_url(not_a_link) is None
    assert media_url("/media/1/400.webp") == "/media/1/400.webp"
    assert media_url("//host/x.png") is None
