"""HTTP routes of feeds: moderators define them; anyone (widgets, a CDN) reads their posts."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status

from curation_api.feeds import service
from curation_api.feeds.schemas import SLUG_PATTERN, FeedCreate, FeedPost, FeedRead
from curation_api.kit import (
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    Page,
    SessionDep,
    Unauthorized,
    error_responses,
)

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])

PUBLIC_CACHE_CONTROL = "public, max-age=30"
PUBLIC_FEED_PATH = r"^/v1/feeds/[^/]+/posts$"

CACHE_HEADERS = {
    "ETag": {"description": "Weak validator of the page", "schema": {"type": "string"}},
    "Cache-Control": {"description": PUBLIC_CACHE_CONTROL, "schema": {"type": "string"}},
}

Slug = Annotated[str, Path(pattern=SLUG_PATTERN, examples=["summer-campaign"])]


@router.put(
    "/{slug}",
    responses={
        **error_responses(Unauthorized),
        status.HTTP_201_CREATED: {"description": "Created", "model": FeedRead},
    },
)
def put_feed(
    slug: Slug, body: FeedCreate, _moderator: ModeratorDep, session: SessionDep, response: Response
) -> FeedRead:
    """Create a feed, or replace its title and hashtags (201 when created, 200 when replaced)."""
    feed, created = service.put_feed(session, slug, body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return feed


@router.get("", responses=error_responses(Unauthorized, InvalidCursor))
def list_feeds(
    _moderator: ModeratorDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[FeedRead]:
    """All feeds, in slug order."""
    return service.list_feeds(session, cursor=cursor, limit=limit)


@router.get("/{slug}", responses=error_responses(Unauthorized, NotFound))
def get_feed(slug: str, _moderator: ModeratorDep, session: SessionDep) -> FeedRead:
    """One feed's definition."""
    return service.get_feed(session, slug)


@router.delete(
    "/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(Unauthorized, NotFound),
)
def delete_feed(slug: str, _moderator: ModeratorDep, session: SessionDep) -> None:
    """Delete a feed (its posts stay; only the selection goes)."""
    service.delete_feed(session, slug)


@router.get(
    "/{slug}/posts",
    response_model=Page[FeedPost],
    responses={
        status.HTTP_200_OK: {"headers": CACHE_HEADERS},
        status.HTTP_304_NOT_MODIFIED: {
            "description": "The page matches `If-None-Match`",
            "headers": CACHE_HEADERS,
        },
        **error_responses(NotFound, InvalidCursor),
    },
)
def feed_posts(
    slug: str,
    session: SessionDep,
    now: NowDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Public, no key: the feed's approved posts, newest first; unless the feed says
    otherwise, only those whose reuse rights are granted for the website right now.

    Cacheable for 30 s, with a weak ETag of the page: send it back as ``If-None-Match`` to get
    an empty 304 while the page is unchanged.
    """
    page = service.feed_posts(session, slug, now=now, cursor=cursor, limit=limit)
    body = page.model_dump_json().encode()
    headers = {"Cache-Control": PUBLIC_CACHE_CONTROL, "ETag": weak_etag(body)}
    if if_none_match is not None and etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def weak_etag(body: bytes) -> str:
    """A weak validator of the page: equal bodies, equal tags (weak: not byte-range safe)."""
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison (RFC 9110 §13.1.2): ``W/`` is ignored."""
    wanted = etag.removeprefix("W/")
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or wanted in candidates
