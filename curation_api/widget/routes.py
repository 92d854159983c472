"""HTTP routes of the widget: the script, the script-free embed page and the report of a post
(public, no key), and the snippets moderators copy."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from curation_api.feeds.schemas import SLUG_PATTERN
from curation_api.kit import (
    CursorQuery,
    InvalidCursor,
    ModeratorDep,
    NotFound,
    NowDep,
    SessionDep,
    SettingsDep,
    Unauthorized,
    error_responses,
)
from curation_api.widget import service
from curation_api.widget.asset import widget_script
from curation_api.widget.embed_page import EMBED_CSP, error_page
from curation_api.widget.report_limit import ReportLimit, TooManyReports
from curation_api.widget.schemas import EmbedSnippet, ReportAccepted, ReportCreate

router = APIRouter(tags=["feeds"])

# Browsers on other sites POST reports from the widget: app.py grants CORS on this path.
PUBLIC_REPORT_PATH = r"^/v1/feeds/[^/]+/posts/.+/report$"

WIDGET_CACHE_CONTROL = "public, max-age=300"
# Rendered per request (the feeds cache holds JSON pages only): a change shows within 30 s.
EMBED_CACHE_CONTROL = "public, max-age=30"

Slug = Annotated[str, Path(pattern=SLUG_PATTERN, examples=["trailpeak"])]

WIDGET_HEADERS = {
    "ETag": {"description": "Strong validator of the script's bytes", "schema": {"type": "string"}},
    "Cache-Control": {"description": WIDGET_CACHE_CONTROL, "schema": {"type": "string"}},
}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {}}}


@router.get(
    "/widget.js",
    response_class=Response,
    responses={
        status.HTTP_200_OK: {
            "content": {"text/javascript": {}},
            "description": "The `<ugc-feed>` element's script.",
            "headers": WIDGET_HEADERS,
        },
        status.HTTP_304_NOT_MODIFIED: {
            "description": "The script matches `If-None-Match`",
            "headers": WIDGET_HEADERS,
        },
    },
)
@router.head("/widget.js", include_in_schema=False)
def widget_js(if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """Public: the script of the embeddable `<ugc-feed>` element (see `widget/README.md`).

    Any site may load it (`Access-Control-Allow-Origin: *`); cacheable for 5 minutes, then
    revalidated with its ETag.
    """
    script = widget_script()
    headers = {
        "ETag": script.etag,
        "Cache-Control": WIDGET_CACHE_CONTROL,
        "Access-Control-Allow-Origin": "*",
        # Pages that isolate themselves (COEP: require-corp) may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if script.matches(if_none_match):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(script.body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get(
    "/embed/{slug}",
    response_class=HTMLResponse,
    responses={
        status.HTTP_200_OK: {"description": "The feed's posts as a page without script."},
        status.HTTP_400_BAD_REQUEST: _html(InvalidCursor.description),
        status.HTTP_404_NOT_FOUND: _html("No such feed"),
    },
)
@router.head("/embed/{slug}", include_in_schema=False)
def embed(
    slug: str,
    session: SessionDep,
    now: NowDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 12,
) -> HTMLResponse:
    """Public: the feed's posts as plain HTML, for an iframe where a site allows no script
    (and for crawlers). No script; any site may frame it (`frame-ancestors *`)."""
    try:
        html = service.embed_html(session, slug, now=now, cursor=cursor, limit=limit)
        code = status.HTTP_200_OK
    except (NotFound, InvalidCursor) as error:
        html, code = error_page("Feed not available", error.detail), error.status_code
    headers = {
        "Content-Security-Policy": EMBED_CSP,
        "Cache-Control": EMBED_CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(html, status_code=code, headers=headers)


_limits_lock = threading.Lock()


def report_limit(app: FastAPI) -> ReportLimit:
    """The app's limit of reports per client address, made on first use: one per app, so that
    two apps in one process (tests) do not share counts."""
    with _limits_lock:
        limit: ReportLimit | None = getattr(app.state, "widget_report_limit", None)
        if limit is None:
            limit = app.state.widget_report_limit = ReportLimit()
        return limit


def limit_reports(request: Request) -> None:
    """Count the report against its client address (the connection's peer: run uvicorn with
    ``--proxy-headers`` behind a proxy so that it is the visitor's)."""
    report_limit(request.app).check(request.client.host if request.client else "unknown")


@router.post(
    "/v1/feeds/{slug}/posts/{post_id:path}/report",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(NotFound, TooManyReports),
)
def report_post(
    _limited: Annotated[None, Depends(limit_reports)],
    slug: Slug,
    post_id: str,
    body: ReportCreate,
    session: SessionDep,
    now: NowDep,
) -> ReportAccepted:
    """Public, no key: a visitor reports a post the feed shows. The post leaves the public
    feeds and goes back to the moderation queue (pending), the reason in its audit trail.

    At most 10 reports per minute from one address (429 with `Retry-After` beyond).
    """
    return service.report_post(session, slug, post_id, body, now=now)


@router.get("/v1/feeds/{slug}/embed", responses=error_responses(Unauthorized, NotFound))
def embed_snippet(
    slug: Slug,
    _moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> EmbedSnippet:
    """What a site pastes to show the feed: the script tag and the `<ugc-feed>` element, or
    an iframe of the embed page. URLs start with `UGC_PUBLIC_BASE_URL` when it is set, else
    with the address this request came to."""
    explicit = "public_base_url" in settings.model_fields_set
    base_url = settings.public_base_url if explicit else str(request.base_url)
    return service.embed_snippet(session, slug, base_url=base_url)
