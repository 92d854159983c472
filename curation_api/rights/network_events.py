"""What the ingest rights worker reports, applied to a request: our message sent (or not), the
creator's reply, the post deleted. Every event writes one audit row (a move, or a note when the
state stays), so that replaying the topic changes nothing: an event whose row exists is skipped.
An event is known by its ``reply_id`` when it has one (our message, the creator's reply), else
by its time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, literal, select
from sqlalchemy.orm import Session

from contract import RightsCommandKind, RightsEvent, RightsEventKind
from curation_api.rights import brands, repository, service
from curation_api.rights.consent import ConsentDecision, ConsentReading, read_reply
from curation_api.rights.schemas import Decision, DecisionCreate
from curation_api.rights.states import ALLOWED_FROM, TARGET, RightsMove
from database.engine import UtcDateTime
from database.enums import RightsActorKind, RightsState, TemplateKind, TimerKind
from database.models import Post
from database.rights_models import RightsRequest, RightsTransition

NETWORK = service.Actor(RightsActorKind.NETWORK, "ingest")

#: The fields each kind needs besides ``post_id`` and ``at``.
REQUIRED = {
    RightsEventKind.SENT: ("reply_id",),
    RightsEventKind.FAILED: ("reason",),
    RightsEventKind.MANUAL_SEND_NEEDED: (),
    RightsEventKind.REPLY: ("reply_id", "author_id", "text"),
    RightsEventKind.POST_DELETED: (),
}


class UnusableEvent(ValueError):
    """An event that can never be applied (a missing field, an unknown post or request)."""


#: The author id of a post whose network does not say who wrote it (Instagram hashtag search).
UNKNOWN_AUTHOR_ID = "unknown"


def missing_fields(event: RightsEvent) -> str | None:
    """Why the event lacks what its kind needs, or None."""
    missing = [name for name in REQUIRED[event.kind] if not getattr(event, name)]
    return f"a {event.kind.value} event needs {', '.join(missing)}" if missing else None


def apply_event(session: Session, event: RightsEvent, *, now: datetime, base_url: str) -> str:
    """Apply one event (flushes only); returns what it did, for the log. Raises
    :class:`UnusableEvent` for an event about a post or request this database does not have."""
    post = repository.get_post(session, event.post_id, for_update=True)
    if post is None:
        raise UnusableEvent(f"no post with id {event.post_id!r}")
    request = repository.request_of_post(session, event.post_id)
    if event.kind is RightsEventKind.POST_DELETED:
        service.withdraw(session, event.post_id, NETWORK, now=event.at)
        return "withdrawn"
    if request is None:
        raise UnusableEvent(f"post {event.post_id!r} has no rights request")
    if event.request_id is not None and event.request_id != request.id:
        raise UnusableEvent(
            f"request {event.request_id} is not the request of {event.post_id!r} ({request.id})"
        )
    if _seen(session, request, event):
        return "already applied"
    if event.kind is RightsEventKind.SENT:
        return _sent(session, post, request, event)
    if event.kind is RightsEventKind.REPLY:
        return _reply(session, post, request, event, now=now, base_url=base_url)
    if event.kind is RightsEventKind.FAILED:
        return _send_failed(session, request, event)
    return _manual_send_needed(session, request, event)


def _seen(session: Session, request: RightsRequest, event: RightsEvent) -> bool:
    known = RightsTransition.request_id == request.id
    if event.reply_id is not None:
        known &= RightsTransition.reply_id == event.reply_id
    else:
        known &= RightsTransition.reply_id.is_(None)
        known &= RightsTransition.actor_kind == RightsActorKind.NETWORK
        known &= RightsTransition.at == literal(event.at, UtcDateTime())
    return bool(session.scalar(select(exists().where(known))))


def _sent(session: Session, post: Post, request: RightsRequest, event: RightsEvent) -> str:
    if not _allowed(RightsMove.MARK_SENT, request):
        return _note(session, request, event, NETWORK, f"sent, but the rights are {request.state}")
    note = "sent"
    if event.author_id and post.author_id == UNKNOWN_AUTHOR_ID:
        # A network whose search hides authors (Instagram) named the post's author when the
        # request was sent: consent replies are checked against it from now on.
        post.author_id = post.author_handle = event.author_id
        note = f"sent; the network says the post's author is {event.author_id!r}"
    brand = brands.existing_brand(session, request.brand_slug)
    request.sent_reply_id = event.reply_id
    request.sent_permalink = event.permalink
    request.sent_at = event.at
    request.next_due_at = service.reminder_due(event.at, brand)
    request.due_kind = TimerKind.REMINDER
    return _moved(session, request, RightsMove.MARK_SENT, event, NETWORK, note=note)


def _send_failed(session: Session, request: RightsRequest, event: RightsEvent) -> str:
    note = f"sending failed: {event.reason}"
    if request.state is RightsState.QUEUED:
        # The worker gave up on the request: a person sends it by hand (the inbox shows why).
        return _moved(session, request, RightsMove.NEEDS_MANUAL_SEND, event, NETWORK, note=note)
    return _note(session, request, event, NETWORK, note)  # a reminder or a thank-you


def _manual_send_needed(session: Session, request: RightsRequest, event: RightsEvent) -> str:
    note = event.reason or "the network's API cannot send this request"
    if _allowed(RightsMove.NEEDS_MANUAL_SEND, request):
        return _moved(session, request, RightsMove.NEEDS_MANUAL_SEND, event, NETWORK, note=note)
    return _note(session, request, event, NETWORK, note)


def _reply(
    session: Session,
    post: Post,
    request: RightsRequest,
    event: RightsEvent,
    *,
    now: datetime,
    base_url: str,
) -> str:
    reading = _read(session, post, request, event)
    creator = service.Actor(RightsActorKind.CREATOR, post.author_handle)
    note = f"{reading.decision.value}: {reading.reason}"
    if reading.decision is ConsentDecision.NOT_AUTHOR:
        return _note(session, request, event, NETWORK, note)
    if reading.decision is ConsentDecision.GRANTED and _allowed(RightsMove.GRANT, request):
        _grant(session, post, request, event, creator, reading, now=now, base_url=base_url)
        return "granted"
    if reading.decision is ConsentDecision.DECLINED:
        if _allowed(RightsMove.REVOKE, request):
            return _moved(session, request, RightsMove.REVOKE, event, creator, note=note)
        if _allowed(RightsMove.DECLINE, request):
            return _moved(session, request, RightsMove.DECLINE, event, creator, note=note)
    if reading.decision is ConsentDecision.UNCLEAR and _allowed(RightsMove.MARK_UNCLEAR, request):
        return _moved(session, request, RightsMove.MARK_UNCLEAR, event, creator, note=note)
    return _note(session, request, event, creator, f"{note} (the rights stay {request.state})")


def _read(
    session: Session, post: Post, request: RightsRequest, event: RightsEvent
) -> ConsentReading:
    brand = brands.existing_brand(session, request.brand_slug)
    try:
        return read_reply(
            event.text or "",
            reply_author_id=event.author_id or "",
            post_author_id=post.author_id,
            approval_hashtag=brand.approval_hashtag,
            brand_handle=brand.accounts.get(post.platform),
            require_mention=brand.require_mention,
            language=post.language,
        )
    except ValueError as exc:  # the brand's configuration: a person reads the reply
        return ConsentReading(ConsentDecision.UNCLEAR, f"cannot read the reply: {exc}")


def _grant(
    session: Session,
    post: Post,
    request: RightsRequest,
    event: RightsEvent,
    creator: service.Actor,
    reading: ConsentReading,
    *,
    now: datetime,
    base_url: str,
) -> None:
    brand = brands.existing_brand(session, request.brand_slug)
    decision = DecisionCreate(decision=Decision.GRANTED, terms_version=request.terms_version)
    service.grant_terms(session, request, brand, decision, event.at)
    service.clear_timer(request)
    target = TARGET[RightsMove.GRANT]
    service.move_request(
        session,
        request,
        target,
        creator,
        now=event.at,
        note=reading.reason,
        reply_id=event.reply_id,
    )
    consent = {
        "method": "reply",
        "reply": {
            "id": event.reply_id,
            "author_id": event.author_id,
            "text": event.text,
            "permalink": event.permalink,
            "at": event.at.isoformat(),
        },
        "reading": reading.reason,
        "recorded_by": {"kind": NETWORK.kind.value, "name": NETWORK.name},
        "recorded_at": now.isoformat(),
    }
    service.write_proof(session, post, request, consent, now=now, base_url=base_url)
    if any(
        t.kind is TemplateKind.THANK_YOU and t.network in (post.platform, "*")
        for t in repository.templates_of(session, brand.slug)
    ):
        text = brands.render(
            session,
            brand,
            TemplateKind.THANK_YOU,
            network=post.platform,
            language=post.language,
            handle=post.author_handle,
            terms_url="",
        )
        service.send_command(
            session,
            request,
            post,
            RightsCommandKind.SEND_THANK_YOU,
            text,
            key=f"thank_you:{request.id}:{event.reply_id}",
        )


def _allowed(move: RightsMove, request: RightsRequest) -> bool:
    return request.state in ALLOWED_FROM[move]


def _moved(
    session: Session,
    request: RightsRequest,
    move: RightsMove,
    event: RightsEvent,
    actor: service.Actor,
    *,
    note: str,
) -> str:
    if move is not RightsMove.MARK_SENT:
        service.clear_timer(request)
    service.move_request(
        session, request, TARGET[move], actor, now=event.at, note=note, reply_id=event.reply_id
    )
    return TARGET[move].value


def _note(
    session: Session, request: RightsRequest, event: RightsEvent, actor: service.Actor, note: str
) -> str:
    """An audit row that changes nothing: what was reported, and why the state stays."""
    session.add(
        RightsTransition(
            request_id=request.id,
            from_state=request.state,
            to_state=request.state,
            actor_kind=actor.kind,
            actor=actor.name,
            reply_id=event.reply_id,
            note=note,
            at=event.at,
        )
    )
    session.flush()
    return f"noted ({note})"
