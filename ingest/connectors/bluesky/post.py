"""From a Bluesky post record (``app.bsky.feed.post``) to a :class:`~contract.RawPost`.

Jetstream and ``searchPosts`` carry the same record; they differ in what surrounds it (Jetstream:
the author's DID only, no counts; search: the author's handle, counts and the embed's *view*),
which the caller passes in. Both give the same ``native_id``, the post's AT URI
(``at://{did}/app.bsky.feed.post/{rkey}``), so a post found by both is one post downstream.

Hashtags are the record's tag facets (``app.bsky.richtext.facet#tag``, field ``tag`` without
``#``), its ``tags`` (hashtags not shown in the text) and the ``#words`` of the text, the followed
ones first. Facet ranges count UTF-8 *bytes*: link facets are located on the encoded text, and a
link shown shortened (``example.com/reviews/20...``) is expanded to the full URI it stands for,
because the full URL is what a moderator checks and what scoring should see. A link whose text is
something else ("my review") is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

from pydantic import ConfigDict, Field

from contract import Author, Engagement, Media, Platform, PoisonMessage, RawPost, normalize_hashtag
from ingest.connectors.normalizing import WireModel, invalid_is_poison

POST_COLLECTION = "app.bsky.feed.post"
TAG_FEATURE = "app.bsky.richtext.facet#tag"
LINK_FEATURE = "app.bsky.richtext.facet#link"
IMAGE_CDN = "https://cdn.bsky.app/img"
VIDEO_CDN = "https://video.bsky.app/watch"

# As Bluesky clients find them: `#` (or the full-width number sign) after a space or at the
# start, up to the next space, trailing punctuation dropped; at least one letter (`#1` is none).
_TEXT_HASHTAG = re.compile(r"(?<!\S)[#\uff03](\S+)")
_TRAILING_PUNCTUATION = ".,;:!?\u2026)]}\"'\u00bb\u201d\u2019"
_ELLIPSIS = ("...", "…")


class _Lexicon(WireModel):
    # Field names are the lexicon's camelCase ones, as aliases of the snake_case attributes.
    model_config = ConfigDict(populate_by_name=True)


class _ByteSlice(_Lexicon):
    byte_start: int = Field(alias="byteStart", ge=0)
    byte_end: int = Field(alias="byteEnd", ge=0)


class _Facet(_Lexicon):
    index: _ByteSlice
    features: list[dict[str, Any]] = []


class PostRecord(_Lexicon):
    """The fields of ``app.bsky.feed.post`` that the contract needs."""

    text: str
    created_at: str | None = Field(default=None, alias="createdAt")
    langs: list[str] = []
    facets: list[_Facet] = []
    tags: list[str] = []


class PostRef(NamedTuple):
    """Which post a record is: its author's DID and its record key."""

    did: str
    rkey: str

    @property
    def uri(self) -> str:
        """The post's AT URI: its ``native_id``."""
        return f"at://{self.did}/{POST_COLLECTION}/{self.rkey}"

    @property
    def permalink(self) -> str:
        """Where bsky.app shows the post (it resolves the DID)."""
        return f"https://bsky.app/profile/{self.did}/post/{self.rkey}"


def split_post_uri(uri: str) -> PostRef | None:
    """The post an AT URI names, or ``None`` if it names no post."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or parts[1] != POST_COLLECTION or not parts[0] or not parts[2]:
        return None
    return PostRef(parts[0], parts[2])


def record_hashtags(record: Any) -> list[str]:
    """The hashtags a record declares (tag facets, then ``tags``), normalized, in order.

    Lenient on purpose: Jetstream filters every post on the network with this, before anything
    is validated, so a malformed facet is passed over rather than failing the whole record.
    """
    if not isinstance(record, dict):
        return []
    found: list[str] = []
    for facet in _list(record.get("facets")):
        for feature in _list(facet.get("features") if isinstance(facet, dict) else None):
            tag = feature.get("tag") if isinstance(feature, dict) else None
            if isinstance(tag, str) and feature.get("$type") == TAG_FEATURE:
                found.append(tag)
    found.extend(tag for tag in _list(record.get("tags")) if isinstance(tag, str))
    return list(dict.fromkeys(t for t in map(normalize_hashtag, found) if t))


def text_hashtags(text: str) -> list[str]:
    """The ``#words`` of a post's text, normalized."""
    tags = (m.group(1).rstrip(_TRAILING_PUNCTUATION) for m in _TEXT_HASHTAG.finditer(text))
    return [normalize_hashtag(t) for t in tags if any(c.isalpha() for c in t)]


def to_post(
    raw: Any,
    ref: PostRef,
    *,
    followed: Collection[str],
    collected_at: datetime,
    first_tag: str | None = None,
    handle: str | None = None,
    display_name: str | None = None,
    media: list[Media] | None = None,
    engagement: Engagement | None = None,
    seen_at: datetime | None = None,
) -> RawPost | None:
    """The post of one record (``ref``), or ``None`` when it carries no followed hashtag (and
    no ``first_tag``, the hashtag it was searched by, is given).

    ``handle`` defaults to the DID (Jetstream does not say the handle); ``media`` to the images
    and video of the record's own embed; ``seen_at`` (Jetstream's ``time_us``, search's
    ``indexedAt``) stands in for a missing or unreadable ``createdAt``.
    """
    with invalid_is_poison("invalid Bluesky post record"):
        record = PostRecord.model_validate(raw)
    declared = record_hashtags(raw)
    carried = [*declared, *text_hashtags(record.text)]
    matched = [t for t in carried if t in followed]
    if first_tag is None and not matched:
        return None
    created_at = parse_datetime(record.created_at) or seen_at
    if created_at is None:
        raise PoisonMessage(f"Bluesky post has no readable createdAt: {record.created_at!r}")
    if media is None:
        media = record_media(ref.did, raw.get("embed") if isinstance(raw, dict) else None)
    with invalid_is_poison("Bluesky post does not fit RawPost"):
        return RawPost(
            platform=Platform.BLUESKY,
            native_id=ref.uri,
            post_id=f"{Platform.BLUESKY.value}:{ref.uri}",
            hashtags=[*([first_tag] if first_tag else []), *matched, *carried],
            text=expanded_text(record),
            author=Author(id=ref.did, handle=handle or ref.did, display_name=display_name or None),
            media=media,
            permalink=ref.permalink,
            language=record.langs[0] if record.langs else None,
            created_at=created_at,
            collected_at=collected_at,
            engagement=engagement or Engagement(),
        )


def expanded_text(record: PostRecord) -> str:
    """The text, with shortened links replaced by the full URI of their link facet."""
    encoded = record.text.encode("utf-8")
    pieces: list[bytes] = []
    cursor = 0
    links = sorted(
        (facet.index.byte_start, facet.index.byte_end, feature["uri"])
        for facet in record.facets
        for feature in facet.features
        if feature.get("$type") == LINK_FEATURE and isinstance(feature.get("uri"), str)
    )
    for start, end, uri in links:
        if start < cursor or start >= end or end > len(encoded):
            continue  # overlapping or out of range: a client bug, the text stays as written
        try:
            shown = encoded[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue  # offsets counted in characters, not bytes: they cut a character
        if not _is_shortened(shown, uri):
            continue
        pieces += [encoded[cursor:start], uri.encode("utf-8")]
        cursor = end
    pieces.append(encoded[cursor:])
    return b"".join(pieces).decode("utf-8")


def record_media(did: str, embed: Any) -> list[Media]:
    """Images (with alt text) and video of a record's embed, as CDN URLs of their blobs."""
    if not isinstance(embed, dict):
        return []
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia":
        return record_media(did, embed.get("media"))
    if kind == "app.bsky.embed.images":
        media = []
        for image in _list(embed.get("images")):
            cid = _blob_cid(image.get("image")) if isinstance(image, dict) else None
            if cid is not None:
                full = f"{IMAGE_CDN}/feed_fullsize/plain/{did}/{cid}@jpeg"
                thumb = f"{IMAGE_CDN}/feed_thumbnail/plain/{did}/{cid}@jpeg"
                media.append(_media("image", full, thumb, image.get("alt")))
        return media
    if kind == "app.bsky.embed.video" and (cid := _blob_cid(embed.get("video"))) is not None:
        base = f"{VIDEO_CDN}/{quote(did, safe='')}/{cid}"
        return [_media("video", f"{base}/playlist.m3u8", f"{base}/thumbnail.jpg", embed.get("alt"))]
    return []


def view_media(view: Any) -> list[Media]:
    """Images and video of an embed *view* (what the AppView returns with a post)."""
    if not isinstance(view, dict):
        return []
    kind = view.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return view_media(view.get("media"))
    if kind == "app.bsky.embed.images#view":
        return [
            _media("image", image["fullsize"], _text_or_none(image.get("thumb")), image.get("alt"))
            for image in _list(view.get("images"))
            if isinstance(image, dict) and isinstance(image.get("fullsize"), str)
        ]
    if kind == "app.bsky.embed.video#view" and isinstance(view.get("playlist"), str):
        thumbnail = _text_or_none(view.get("thumbnail"))
        return [_media("video", view["playlist"], thumbnail, view.get("alt"))]
    return []


def parse_datetime(value: Any) -> datetime | None:
    """An ATProto datetime (ISO 8601); a naive one is taken as UTC; ``None`` if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _is_shortened(shown: str, uri: str) -> bool:
    """Whether a link's text is its URI cut short by the client (not words of the author)."""
    stem = shown.strip()
    for ellipsis in _ELLIPSIS:
        stem = stem.removesuffix(ellipsis)
    if not stem or stem == uri:
        return False
    bare = uri.split("://", 1)[-1]
    return any(u.startswith(stem) for u in (uri, bare, bare.removeprefix("www.")))


def _media(kind: Literal["image", "video"], url: str, preview: str | None, alt: Any) -> Media:
    """One image or video; ``alt`` as the author wrote it (an empty one is none)."""
    return Media(type=kind, url=url, preview_url=preview, alt_text=_text_or_none(alt))


def _blob_cid(blob: Any) -> str | None:
    """The CID of a blob: ``{"$type": "blob", "ref": {"$link": cid}}`` or the legacy
    ``{"cid": cid}``."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    return cid if isinstance(cid, str) and cid else None


def _list(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list) else ()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
