"""A Reddit search result (a ``t3`` listing child): its place in the listing (and so a job's
position), and its :class:`~contract.RawPost`.

Reddit has no hashtag entity, so a post is kept only when its title or self text carries the
followed tag *as a hashtag* (``#brand``, any case, not inside a word; ``\\#brand`` as Reddit's
rich-text editor escapes it counts). The bare word is not enough by default: listening to
``#apple`` must not collect every post about apples, and a post without the ``#`` would be
labelled with a hashtag it never used. A job can opt in to the bare word (``match=word``).

Text is ``title`` + blank line + ``selftext``, Markdown as written. Without ``raw_json=1``
Reddit escapes ``&``, ``<`` and ``>`` as HTML entities in JSON strings: they are unescaped.
A post whose author is ``[deleted]`` is skipped; ``over_18`` posts are kept (brand safety is
the classifier's job).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from contract import Author, Engagement, Media, Platform, PoisonMessage, RawPost
from ingest.connectors.base import position_object, position_text
from ingest.connectors.catch_up import Backlog
from ingest.connectors.normalizing import WireModel, count, invalid_is_poison

#: Not inside a word, an entity or a URL (``/#anchor``); at least one letter (``#1`` is not one).
HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_IMAGE_HOSTS = frozenset({"i.redd.it"})
DELETED = "[deleted]"


class RedditImageSource(WireModel):
    url: str


class RedditPreviewImage(WireModel):
    source: RedditImageSource


class RedditPreview(WireModel):
    images: list[RedditPreviewImage] = []


class RedditVideo(WireModel):
    fallback_url: str


class RedditMedia(WireModel):
    reddit_video: RedditVideo | None = None


class RedditGalleryEntry(WireModel):
    media_id: str
    caption: str | None = None


class RedditGallery(WireModel):
    items: list[RedditGalleryEntry] = []


class RedditPost(WireModel):
    id: str
    author: str
    author_fullname: str | None = None
    title: str
    selftext: str = ""
    score: int | None = None
    num_comments: int | None = None
    num_crossposts: int | None = None
    created_utc: float
    permalink: str
    url: str | None = None
    over_18: bool = False
    is_video: bool = False
    preview: RedditPreview | None = None
    media: RedditMedia | None = None
    gallery_data: RedditGallery | None = None
    media_metadata: dict[str, Any] | None = None


@dataclass(frozen=True, order=True)
class ListingMark:
    """A post's place in a listing sorted by new: by time, then by id (base 36, growing)."""

    created_utc: float
    order: int = field(compare=True, repr=False)
    name: str = field(compare=False)

    @classmethod
    def of(cls, child: Any) -> ListingMark | None:
        """The mark of a listing child, ``None`` when it has no usable time and name."""
        return cls.load(child.get("data") if isinstance(child, dict) else None)

    @classmethod
    def load(cls, data: Any) -> ListingMark | None:
        """From anything with ``created_utc`` and ``name`` (a post, or :meth:`dump`'s output)."""
        if not isinstance(data, dict):
            return None
        created, name = data.get("created_utc"), data.get("name")
        if not isinstance(created, int | float) or not isinstance(name, str):
            return None
        try:
            return cls(float(created), int(name.rpartition("_")[2], 36), name)
        except ValueError:
            return None

    def dump(self) -> dict[str, Any]:
        return {"created_utc": self.created_utc, "name": self.name}


#: A position: the newest post produced, and while a gap is open the ``after`` cursor it goes on
#: from (:mod:`ingest.connectors.catch_up`).
Mark = Backlog[ListingMark, str]


def encode_mark(mark: Mark) -> str:
    """``{"created_utc", "name"}``, plus ``after`` and ``newest`` while a gap is open."""
    if mark.resume is None:
        return position_text(mark.since.dump())
    newest = mark.newest or mark.since
    return position_text({**mark.since.dump(), "after": mark.resume, "newest": newest.dump()})


def decode_mark(position: str) -> Mark | None:
    """What :func:`encode_mark` wrote; ``None`` for anything else."""
    raw = position_object(position)
    since = ListingMark.load(raw)
    if raw is None or since is None:
        return None
    after = raw.get("after")
    after = after if isinstance(after, str) and after else None
    return Backlog(since, after, ListingMark.load(raw.get("newest")))


def child_id(child: Any) -> str | None:
    """The post's base-36 id, if the child has one."""
    data = child.get("data") if isinstance(child, dict) else None
    native_id = data.get("id") if isinstance(data, dict) else None
    return native_id if isinstance(native_id, str) and native_id else None


def carries_tag(text: str, tag: str, *, bare_word: bool = False) -> bool:
    """Whether ``text`` uses ``tag`` as a hashtag (or, with ``bare_word``, as a word)."""
    hash_sign = "#?" if bare_word else "#"
    return re.search(rf"(?<![\w&#/]){hash_sign}{re.escape(tag)}(?!\w)", text, re.I) is not None


def child_to_post(
    child: Any, *, tag: str, collected_at: datetime, bare_word: bool = False
) -> RawPost | None:
    """Map one search result for ``tag``; ``None`` when deleted or not about the hashtag."""
    if not isinstance(child, dict) or child.get("kind") != "t3":
        kind = child.get("kind") if isinstance(child, dict) else type(child).__name__
        raise PoisonMessage(f"expected a Reddit post (kind t3), got {kind!r}")
    with invalid_is_poison("invalid Reddit post"):
        post = RedditPost.model_validate(child.get("data"))
    if post.author == DELETED:
        return None
    title, body = html.unescape(post.title), html.unescape(post.selftext)
    text = f"{title}\n\n{body}" if body else title
    if not carries_tag(text, tag, bare_word=bare_word):
        return None
    with invalid_is_poison(f"Reddit post {post.id} does not fit RawPost"):
        return RawPost(
            platform=Platform.REDDIT,
            native_id=post.id,
            post_id=f"{Platform.REDDIT.value}:{post.id}",
            hashtags=[tag, *HASHTAG.findall(text)],
            text=text,
            author=Author(id=post.author_fullname or post.author, handle=post.author),
            media=_media(post),
            permalink=f"https://www.reddit.com{post.permalink}",
            language=None,
            created_at=datetime.fromtimestamp(post.created_utc, tz=UTC),
            collected_at=collected_at,
            engagement=Engagement(
                # The score is upvotes minus downvotes: below zero it says nothing about likes.
                likes=count(post.score),
                reposts=count(post.num_crossposts),
                replies=count(post.num_comments),
            ),
        )


def _media(post: RedditPost) -> list[Media]:
    """The post's pictures or video: a gallery, a direct image link, a Reddit video, or else
    the preview Reddit made of a link. Reddit has no alt text; gallery captions come closest."""
    preview = _preview_url(post)
    if post.gallery_data is not None and post.media_metadata:
        return [m for e in post.gallery_data.items if (m := _gallery_media(post, e)) is not None]
    if post.url and _is_image(post.url):
        return [Media(type="image", url=html.unescape(post.url), preview_url=preview)]
    video = post.media.reddit_video if post.media else None
    if post.is_video and video is not None:
        return [Media(type="video", url=html.unescape(video.fallback_url), preview_url=preview)]
    if preview is not None:
        return [Media(type="image", url=preview)]
    return []


def _gallery_media(post: RedditPost, entry: RedditGalleryEntry) -> Media | None:
    meta = (post.media_metadata or {}).get(entry.media_id)
    source = meta.get("s") if isinstance(meta, dict) else None
    url = source.get("u") or source.get("gif") if isinstance(source, dict) else None
    if not isinstance(url, str) or not url:
        return None
    return Media(type="image", url=html.unescape(url), alt_text=entry.caption or None)


def _preview_url(post: RedditPost) -> str | None:
    if post.preview is None or not post.preview.images:
        return None
    return html.unescape(post.preview.images[0].source.url)


def _is_image(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname in _IMAGE_HOSTS or parts.path.lower().endswith(_IMAGE_SUFFIXES)
