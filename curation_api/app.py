"""The curation API: moderation queue and actions, feeds, listening jobs, stats.

``create_app`` wires it.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from contract import utcnow
from curation_api.alerts.routes import router as alerts_router
from curation_api.feeds.cache import FeedPageCache, FeedVersions
from curation_api.feeds.fast_path import CachedFeedPages
from curation_api.feeds.routes import PUBLIC_FEED_PATH
from curation_api.feeds.routes import router as feeds_router
from curation_api.kit import DomainError, domain_error_handler
from curation_api.listening.routes import router as listening_router
from curation_api.media.routes import router as media_router
from curation_api.moderation.routes import router as moderation_router
from curation_api.rights.attachment_routes import router as attachments_router
from curation_api.rights.brand_routes import public_router as terms_router
from curation_api.rights.brand_routes import router as brands_router
from curation_api.rights.routes import router as rights_router
from curation_api.settings import ApiSettings
from curation_api.stats.routes import router as stats_router
from curation_api.webhooks.routes import router as webhooks_router
from curation_api.widget.routes import PUBLIC_REPORT_PATH
from curation_api.widget.routes import router as widget_router
from database.engine import create_db_engine, create_read_session_factory, create_session_factory
from listening.credentials import CredentialResolver

DESCRIPTION = """
Moderate the posts the pipeline collected and scored, and publish the approved ones.

* **Moderators** authenticate with the moderator key, as `X-API-Key: <key>` or
  `Authorization: Bearer <key>` (use *Authorize* above). An optional `X-Actor` header names the
  moderator in the audit log.
* **Widgets** read `GET /v1/feeds/{slug}/posts` without a key: approved, rights-cleared posts
  only, served from a cache of rendered pages (`Cache-Control`, strong `ETag`,
  `If-None-Match` → 304), CORS-enabled. Sites embed a feed with `/widget.js` and
  `<ugc-feed feed="slug">`, or an iframe of `/embed/{slug}`; a visitor's report
  (`POST /v1/feeds/{slug}/posts/{post_id}/report`) sends a post back to the queue.
* Lists are paged with an opaque `cursor`: pass the `next_cursor` of a page to get the next.
"""

TAGS = [
    {"name": "moderation", "description": "The queue, approve/reject, and the audit log."},
    {"name": "feeds", "description": "Feed definitions (moderators) and public feed pages."},
    {
        "name": "listening",
        "description": "Listening jobs (network, hashtags, credentials reference), their health.",
    },
    {
        "name": "rights",
        "description": "Rights to reuse posts: brands, terms, requests, decisions, proofs.",
    },
    {
        "name": "webhooks",
        "description": "Webhook endpoints (Slack or signed JSON), their deliveries, redelivery.",
    },
    {
        "name": "alerts",
        "description": "Negative spike incidents: list, acknowledge, resolve; per-hashtag "
        "alert settings and snoozes.",
    },
    {"name": "stats", "description": "Progress counters and the health check."},
]


def _version() -> str:
    try:
        return version("ugc-pipeline")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


class PublicFeedCORS:
    """CORS on the public feed pages only: moderator endpoints are not meant to be called
    from other sites' pages, so browsers get no CORS grant for them."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.public_path = re.compile(f"{PUBLIC_FEED_PATH}|{PUBLIC_REPORT_PATH}")
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["If-None-Match", "Content-Type"],
            expose_headers=["ETag"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.public_path.match(scope["path"]):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CurationApi(FastAPI):
    """The API, whose cached public feed pages are answered before anything else runs
    (:mod:`curation_api.feeds.fast_path`)."""

    feed_pages: CachedFeedPages | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.feed_pages is not None and await self.feed_pages.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


def create_app(
    settings: ApiSettings,
    *,
    sessions: sessionmaker[Session] | None = None,
    credentials: CredentialResolver | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The API for ``settings``. ``sessions`` replaces the session factory built from
    ``settings.database_url`` (tests bind it to a connection they roll back); ``credentials``
    the resolver of job secrets built from this process's ``UGC_CRED_*`` variables and
    ``settings.secrets_file`` (it only ever tells which names are set); ``clock`` the time
    rules act at (the public feed's rights window, timers)."""
    engine = None
    if sessions is None:
        engine = create_db_engine(settings.database_url)
        sessions = create_session_factory(engine)
        read_sessions = create_read_session_factory(engine)
    else:
        read_sessions = sessions

    # Sessions handed in may be bound to one connection: never from a second thread.
    versions = FeedVersions(
        read_sessions, poll_s=settings.feed_cache_poll_s if engine is not None else None
    )
    feed_cache = FeedPageCache(
        versions,
        max_pages=settings.feed_cache_max_pages,
        max_life_s=settings.feed_cache_max_life_s,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Pages are cached only while the versions are polled: without a lifespan (a test
        # client outside a `with`) every request renders.
        versions.start()
        # What importing and building the app allocated lives as long as the process: out of
        # the collector's sight, a full collection no longer walks it (pauses of 30-200 ms on
        # the public feed under load, measured by bench/feed.py).
        gc.freeze()
        try:
            yield
        finally:
            versions.stop()
            if engine is not None:  # an engine handed in belongs to the caller
                engine.dispose()

    app = CurationApi(
        lifespan=lifespan,
        title="UGC curation API",
        version=_version(),
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.sessionmaker = sessions
    app.state.read_sessionmaker = read_sessions
    app.state.feed_cache = feed_cache
    app.state.clock = clock
    app.state.credentials = credentials or CredentialResolver(
        environ=os.environ, secrets_file=settings.secrets_file
    )
    app.add_exception_handler(DomainError, domain_error_handler)
    app.feed_pages = CachedFeedPages(feed_cache, settings=settings, clock=clock)
    app.add_middleware(PublicFeedCORS, origins=settings.cors_origin_list)
    # Rights first: moderation's catch-all `/v1/posts/{post_id:path}` would take its paths.
    routers = (
        attachments_router,
        rights_router,
        brands_router,
        terms_router,
        moderation_router,
        feeds_router,
        widget_router,
    )
    for router in (
        *routers,
        listening_router,
        webhooks_router,
        alerts_router,
        stats_router,
        media_router,
    ):
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``ugc api --workers N`` (settings from ``UGC_*``)."""
    return create_app(ApiSettings())


def serve(settings: ApiSettings) -> None:
    """Run the API with uvicorn on ``settings.api_host:api_port`` until interrupted; with
    ``api_workers`` > 1 in that many processes, each building its app from the environment."""
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "access_log": settings.api_access_log,
    }
    if settings.api_workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    uvicorn.run(
        f"{__name__}:app_from_environment", factory=True, workers=settings.api_workers, **options
    )
