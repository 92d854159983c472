"""Alert messages into incidents: idempotent, ordered by sequence, announced once per change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import Alert, AlertKind
from curation_api.alerts import service
from curation_api.kit import Moderator
from database.models import Incident, IncidentPost, IncidentStatus, ResolveReason, WebhookEvent
from tests.curation_api.alerts.alert_factories import T0, alert, events_of, subscribe

BASE = "https://ugc.example"
NOW = T0 + timedelta(hours=1)
ALICE = Moderator(name="alice")


def apply(session: Session, *alerts: Alert) -> list[str]:
    outcomes: list[str] = []
    for message in alerts:
        outcomes.append(service.apply_alert(session, message, now=NOW, base_url=BASE))
    session.flush()
    return outcomes


def incident(session: Session) -> Incident:
    return session.scalars(select(Incident)).one()


def test_fired_updated_resolved_make_one_incident_announced_at_each_step(
    session: Session,
) -> None:
    subscribe(session)

    outcomes = apply(
        session,
        alert(sequence=1),
        alert(kind=AlertKind.UPDATED, sequence=2, negative_count=40),
        alert(kind=AlertKind.RESOLVED, sequence=3, negative_count=45),
    )

    assert outcomes == ["created", "updated", "resolved"]
    row = incident(session)
    assert (row.status, row.resolve_reason, row.negative_count) == (
        IncidentStatus.RESOLVED,
        ResolveReason.AUTO,
        45,
    )
    assert [(kind, status) for kind, _, status in events_of(session)] == [
        ("alert.fired", "firing"),
        ("alert.updated", "firing"),
        ("alert.resolved", "resolved"),
    ]
    data_id = events_of(session)[0][1]
    assert data_id == row.id


def test_a_replayed_or_older_message_changes_nothing_and_announces_nothing(
    session: Session,
) -> None:
    subscribe(session)
    apply(session, alert(sequence=1), alert(kind=AlertKind.UPDATED, sequence=3, negative_count=60))

    outcomes = apply(
        session,
        alert(sequence=1),
        alert(kind=AlertKind.UPDATED, sequence=2, negative_count=30),
        alert(kind=AlertKind.UPDATED, sequence=3, negative_count=60),
    )

    assert outcomes == ["stale", "stale", "stale"]
    assert incident(session).negative_count == 60
    assert len(events_of(session)) == 2


def test_a_fired_for_a_resolved_incident_is_ignored(session: Session) -> None:
    apply(session, alert(sequence=1), alert(kind=AlertKind.RESOLVED, sequence=2))

    assert apply(session, alert(sequence=5)) == ["ignored"]
    assert incident(session).status is IncidentStatus.RESOLVED


def test_an_acknowledged_incident_stays_acknowledged_through_updates(session: Session) -> None:
    apply(session, alert(sequence=1))
    service.acknowledge(session, incident(session).id, ALICE, now=NOW, base_url=BASE)

    apply(session, alert(kind=AlertKind.UPDATED, sequence=2, negative_count=50))

    row = incident(session)
    assert (row.status, row.acknowledged_by, row.negative_count) == (
        IncidentStatus.ACKNOWLEDGED,
        "alice",
        50,
    )


def test_a_resolved_message_after_a_person_resolved_it_keeps_their_resolution(
    session: Session,
) -> None:
    subscribe(session)
    apply(session, alert(sequence=1))
    service.resolve(session, incident(session).id, ALICE, now=NOW, base_url=BASE)

    assert apply(session, alert(kind=AlertKind.RESOLVED, sequence=2)) == ["updated"]

    row = incident(session)
    assert (row.resolve_reason, row.resolved_by) == (ResolveReason.PERSON, "alice")
    assert [kind for kind, _, _ in events_of(session)] == ["alert.fired", "alert.resolved"]


def test_an_update_of_an_incident_never_seen_creates_it_as_fired(session: Session) -> None:
    subscribe(session)

    assert apply(session, alert(kind=AlertKind.UPDATED, sequence=4)) == ["created"]
    assert [kind for kind, _, _ in events_of(session)] == ["alert.fired"]


def test_the_posts_of_every_message_are_linked_once(session: Session) -> None:
    apply(
        session,
        alert(sequence=1, post_ids=("mastodon:1", "mastodon:2")),
        alert(kind=AlertKind.UPDATED, sequence=2, post_ids=("mastodon:1", "mastodon:2", "x:3")),
    )

    linked = session.scalars(select(IncidentPost.post_id).order_by(IncidentPost.post_id))
    assert list(linked) == ["mastodon:1", "mastodon:2", "x:3"]


def test_the_webhook_data_is_the_incident_with_its_queue_link(session: Session) -> None:
    subscribe(session)
    apply(session, alert(sequence=1))

    read = service.get_incident(session, incident(session).id, base_url=BASE)

    assert read.queue_url == (
        "https://ugc.example/v1/queue?status=all&incident=trailpeak%3A2026-12-04T10%3A00%3A00%2B00%3A00"
    )
    assert read.sequence == 1
    assert read.top_posts[0].post_id == "mastodon:1"


def test_the_stream_time_of_the_message_reaches_the_webhook(session: Session) -> None:
    subscribe(session)
    stream_time = T0 + timedelta(minutes=7)

    apply(session, alert(sequence=1, as_of=stream_time))

    assert incident(session).as_of == stream_time
    payload = session.scalars(select(WebhookEvent)).one().payload
    assert payload["data"]["as_of"] == stream_time.isoformat().replace("+00:00", "Z")
