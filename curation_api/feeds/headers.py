"""The caching headers of a public feed page, shared by the route and the cache's fast path."""

from __future__ import annotations

from datetime import datetime

from curation_api.feeds.cache import CachedPage
from curation_api.settings import ApiSettings


def page_headers(page: CachedPage, now: datetime, settings: ApiSettings) -> dict[str, str]:
    """``ETag`` and ``Cache-Control``. Before a rights window of one of the feed's posts
    starts or ends, the page may be kept only until then, stale copies included: a window
    ending at 12:00 must not be shown by a browser's or a CDN's cache at 12:00 either."""
    max_age = settings.feed_max_age_s
    stale = settings.feed_stale_while_revalidate_s
    if page.changes_at is not None:
        left = max(0, int((page.changes_at - now).total_seconds()))
        max_age = min(max_age, left)
        stale = min(stale, left - max_age)
    return {
        "ETag": page.etag,
        "Cache-Control": f"public, max-age={max_age}, stale-while-revalidate={stale}",
    }
