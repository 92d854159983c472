"""HTTP routes of feeds: moderators define them; anyone (widgets, a CDN) reads their posts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response, status

from curation_api.feeds import service
from curation_api.feeds.cache import FeedPageCache, etag_matches
from curation_api.feeds.headers import page_headers
from curation_api.feeds.schemas import SLUG_PATTERN, FeedCreate, FeedPost, FeedRead
from curation_api.kit import (
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    Page,
    SessionDep,
    SettingsDep,
    Unauthorized,
    error_responses,
)

router = APIRouter(prefix="/v1/feeds", tags=["feeds"])

PUBLIC_FEED_PATH = r"^/v1/feeds/([^/]+)/posts$"

CACHE_HEADERS = {
    "ETag": {"description": "Strong validator of the page", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`public, max-age=…, stale-while-revalidate=…` (shorter before a "
        "rights window of one of the feed's posts starts or ends)",
        "schema": {"type": "string"},
    },
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


PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_200_OK: {"headers": CACHE_HEADERS},
    status.HTTP_304_NOT_MODIFIED: {
        "description": "The page matches `If-None-Match`",
        "headers": CACHE_HEADERS,
    },
    **error_responses(NotFound, InvalidCursor),
}


# Two routes, not one with two methods: each operation needs its own id in the OpenAPI
# document.
@router.get("/{slug}/posts", response_model=Page[FeedPost], responses=PAGE_RESPONSES)
@router.head("/{slug}/posts", response_model=Page[FeedPost], responses=PAGE_RESPONSES)
def feed_posts(
    slug: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Public, no key: the feed's approved posts, newest first; unless the feed says
    otherwise, only those whose reuse rights are granted for the website right now.

    Served from each API worker's cache of rendered pages until the feed changes (moderation,
    rights, a rights window starting or ending, the feed's definition). A strong ETag: send it
    back as ``If-None-Match`` to get an empty 304 while the page is unchanged.
    """
    cache: FeedPageCache = request.app.state.feed_cache
    page = cache.render(
        (slug, cursor, limit),
        now,
        lambda: service.render_page(session, slug, now=now, cursor=cursor, limit=limit),
        lambda: service.next_change(session, slug, now=now),
    )
    headers = page_headers(page, now, settings)
    if if_none_match is not None and etag_matches(if_none_match, page.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = b"" if request.method == "HEAD" else page.body
    headers["Content-Length"] = str(len(page.body))
    return Response(body, media_type="application/json", headers=headers)
