"""The rules of the widget: what the embed page shows, the snippets a site pastes, and what a
visitor's report of a post does."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy.orm import Session

from curation_api.feeds import service as feeds
from curation_api.kit import NotFound
from curation_api.moderation import service as moderation
from curation_api.widget import repository
from curation_api.widget.embed_page import embed_page
from curation_api.widget.schemas import EmbedSnippet, ReportAccepted, ReportCreate
from database.models import Feed

# The audit log's actor of a visitor's report: visitors are anonymous, so no name is recorded.
REPORT_ACTOR = "public report"
DEFAULT_LAYOUT = "grid"
DEFAULT_LIMIT = 12


def report_post(
    session: Session, slug: str, post_id: str, body: ReportCreate, *, now: datetime
) -> ReportAccepted:
    """A visitor reports a post the feed shows: it goes back to the moderation queue, with the
    reason in its audit trail. Only a post the feed shows right now can be reported, so that
    nobody can pull arbitrary posts (pending, rejected, of another feed) through this door."""
    feed = repository.get_feed(session, slug)
    if feed is None or not repository.shown_in_feed(session, feed, post_id, now=now):
        raise NotFound(f"feed {slug!r} shows no post {post_id!r}")
    moderation.return_to_queue(session, post_id, actor=REPORT_ACTOR, reason=body.reason, now=now)
    return ReportAccepted(post_id=post_id)


def embed_snippet(session: Session, slug: str, *, base_url: str) -> EmbedSnippet:
    """The HTML a site owner pastes to show the feed, pointing at the API at ``base_url``."""
    feed = _existing_feed(session, slug)
    base = escape(base_url.rstrip("/"))
    name = escape(feed.slug)
    return EmbedSnippet(
        script=f'<script src="{base}/widget.js" async></script>',
        element=(
            f'<ugc-feed feed="{name}" layout="{DEFAULT_LAYOUT}" limit="{DEFAULT_LIMIT}"></ugc-feed>'
        ),
        iframe=(
            f'<iframe src="{base}/embed/{name}" title="{escape(feed.title)}" width="100%" '
            'height="640" loading="lazy" sandbox="allow-popups '
            'allow-popups-to-escape-sandbox"></iframe>'
        ),
    )


def embed_html(
    session: Session, slug: str, *, now: datetime, cursor: str | None, limit: int
) -> str:
    """One page of the feed as the script-free embed page renders it."""
    feed = _existing_feed(session, slug)
    page = feeds.feed_posts(session, slug, now=now, cursor=cursor, limit=limit)
    return embed_page(title=feed.title, page=page, limit=limit, cursor=cursor)


def _existing_feed(session: Session, slug: str) -> Feed:
    feed = repository.get_feed(session, slug)
    if feed is None:
        raise NotFound(f"no feed {slug!r}")
    return feed
