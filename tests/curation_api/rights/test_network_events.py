"""Each kind of rights event applied to a request, in the test's rolled-back transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import RightsCommand, RightsCommandKind, RightsEvent, RightsEventKind, decode
from curation_api.rights.network_events import UnusableEvent, apply_event
from database.enums import RightsState
from database.models import OutboxMessage, Post, RightsProof, RightsRequest, RightsTransition
from tests.curation_api.curation_factories import T0
from tests.curation_api.rights.rights_setup import APPROVAL, queued_request

AUTHOR = "acct-alice@example.social"
S = RightsState


def apply(session: Session, post_id: str, kind: RightsEventKind, seconds: int, **f: Any) -> str:
    at = T0 + timedelta(seconds=seconds)
    message = RightsEvent(kind=kind, post_id=post_id, at=at, **f)
    return apply_event(session, message, now=at, base_url="http://ugc.test")


def reply(session: Session, post_id: str, text: str, seconds: int) -> str:
    return apply(
        session,
        post_id,
        RightsEventKind.REPLY,
        seconds,
        reply_id=uuid.uuid4().hex,
        author_id=AUTHOR,
        text=text,
    )


def sent(session: Session, post_id: str) -> None:
    apply(session, post_id, RightsEventKind.SENT, 1, reply_id=uuid.uuid4().hex)


def state(session: Session, post_id: str) -> RightsState:
    statement = select(RightsRequest.state).where(RightsRequest.post_id == post_id)
    return session.scalars(statement).one()


def transitions(session: Session) -> list[RightsTransition]:
    return list(session.scalars(select(RightsTransition).order_by(RightsTransition.id)))


def test_a_failed_request_needs_a_manual_send_with_the_reason_once(session: Session) -> None:
    post_id = queued_request(session)
    apply(session, post_id, RightsEventKind.FAILED, 1, reason="401 from the instance")
    apply(session, post_id, RightsEventKind.FAILED, 1, reason="401 from the instance")

    assert state(session, post_id) is S.MANUAL_SEND_NEEDED
    last = transitions(session)[-1]
    assert (len(transitions(session)), last.note) == (2, "sending failed: 401 from the instance")


def test_a_network_that_cannot_send_asks_for_a_manual_send(session: Session) -> None:
    post_id = queued_request(session)
    apply(session, post_id, RightsEventKind.MANUAL_SEND_NEEDED, 1, reason="no API for replies")
    assert state(session, post_id) is S.MANUAL_SEND_NEEDED


@pytest.mark.parametrize(
    ("text", "expected"),
    [("No, please don't use it", S.DECLINED), (f"{APPROVAL} but only on Instagram?", S.UNCLEAR)],
)
def test_a_reply_is_read_for_consent(session: Session, text: str, expected: RightsState) -> None:
    post_id = queued_request(session)
    sent(session, post_id)
    reply(session, post_id, text, 2)
    assert state(session, post_id) is expected
    assert session.scalars(select(RightsProof)).all() == []


def test_a_refusal_after_a_grant_revokes_it(session: Session) -> None:
    post_id = queued_request(session)
    sent(session, post_id)
    assert reply(session, post_id, APPROVAL, 2) == "granted"
    reply(session, post_id, "I changed my mind, please remove it", 3)
    assert state(session, post_id) is S.REVOKED


def test_no_thank_you_without_the_brands_template(session: Session) -> None:
    post_id = queued_request(session, thank_you=None)
    sent(session, post_id)
    reply(session, post_id, APPROVAL, 2)
    kinds = [decode(RightsCommand, m.value).kind for m in session.scalars(select(OutboxMessage))]
    assert (state(session, post_id), kinds) == (S.GRANTED, [RightsCommandKind.SEND_REQUEST])


def test_a_deleted_post_is_withdrawn(session: Session) -> None:
    post_id = queued_request(session)
    apply(session, post_id, RightsEventKind.POST_DELETED, 1)
    apply(session, post_id, RightsEventKind.POST_DELETED, 1)
    assert state(session, post_id) is S.WITHDRAWN
    assert session.get(Post, post_id).withdrawn_at is not None  # type: ignore[union-attr]
    assert len(transitions(session)) == 2


def test_an_event_about_an_unknown_post_is_unusable(session: Session) -> None:
    with pytest.raises(UnusableEvent, match="no post with id"):
        apply(session, "mastodon:nope", RightsEventKind.SENT, 1, reply_id="1")


def test_a_send_that_names_a_hidden_author_lets_that_author_consent(session: Session) -> None:
    post_id = queued_request(session)
    post = session.get(Post, post_id)
    assert post is not None
    post.author_id = "unknown"  # as Instagram's hashtag search stores it
    session.flush()
    apply(session, post_id, RightsEventKind.SENT, 1, reply_id="c1", author_id="alice_ig")

    assert (post.author_id, post.author_handle) == ("alice_ig", "alice_ig")
    assert "alice_ig" in (transitions(session)[-1].note or "")
    apply(
        session,
        post_id,
        RightsEventKind.REPLY,
        2,
        reply_id="c2",
        author_id="alice_ig",
        text=f"Yes! {APPROVAL}",
    )
    assert state(session, post_id) is S.GRANTED


def test_a_send_never_replaces_an_author_the_post_already_has(session: Session) -> None:
    post_id = queued_request(session)
    apply(session, post_id, RightsEventKind.SENT, 1, reply_id="c1", author_id="mallory")

    post = session.get(Post, post_id)
    assert post is not None
    assert post.author_id == AUTHOR
