"""Alert messages and stored incidents for the alerts tests; keyword-only arguments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import Alert, AlertKind, AlertPost
from database.models import WebhookEndpoint, WebhookEvent
from database.webhook_models import WebhookFormat

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
ALERT_EVENTS = ["alert.fired", "alert.updated", "alert.resolved"]


def alert(
    *,
    kind: AlertKind = AlertKind.FIRED,
    hashtag: str = "trailpeak",
    start: datetime = T0,
    sequence: int = 1,
    negative_count: int = 20,
    post_ids: tuple[str, ...] = ("mastodon:1", "mastodon:2"),
    detected_at: datetime | None = None,
    as_of: datetime | None = None,
) -> Alert:
    return Alert(
        kind=kind,
        alert_id=f"{hashtag}:{start.isoformat()}",
        hashtag=hashtag,
        window_start=start,
        window_end=start + timedelta(minutes=5 * sequence),
        negative_count=negative_count,
        expected_negative=2.5,
        total_count=negative_count + 5,
        negative_share=negative_count / (negative_count + 5),
        baseline_share=0.1,
        score=0.9,
        peak_score=0.95,
        reasons=["negative volume"],
        top_posts=[
            AlertPost(
                post_id=post_ids[0] if post_ids else "mastodon:1",
                text="the sole cracked",
                permalink="https://example.social/@a/1",
                network="mastodon",
                engagement=40,
                followers=900,
            )
        ],
        top_terms=["sole", "cracked"],
        networks={"mastodon": negative_count},
        post_ids=list(post_ids),
        sequence=sequence,
        detected_at=detected_at or start + timedelta(minutes=5 * sequence),
        as_of=as_of,
    )


def subscribe(session: Session, *, events: list[str] | None = None) -> WebhookEndpoint:
    """An enabled endpoint subscribed to the alert events, so that emitted events are kept."""
    endpoint = WebhookEndpoint(
        url="http://127.0.0.1:9/hook",
        format=WebhookFormat.STANDARD,
        events=events or ALERT_EVENTS,
        enabled=True,
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        consecutive_failures=0,
        created_at=T0,
        updated_at=T0,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def events_of(session: Session) -> list[tuple[str, str, str]]:
    """(type, incident id, status) of every webhook event written, oldest first."""
    rows = session.scalars(select(WebhookEvent).order_by(WebhookEvent.created_at))
    return [(e.type, e.payload["data"]["id"], e.payload["data"]["status"]) for e in rows]
