"""The rules of rights requests: asking, marking sent, recording answers, revoking,
withdrawing. Every change of state writes one audit row (:class:`RightsTransition`) naming who
or what made it; every message to a network is an outbox row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from contract import RIGHTS_COMMANDS_TOPIC, RightsCommand, RightsCommandKind, encode
from curation_api.kit import Conflict, Moderator, NotFound
from curation_api.rights import attachments, brands, repository
from curation_api.rights.proof import proof_record, sha256_of
from curation_api.rights.schemas import (
    Channel,
    Decision,
    DecisionCreate,
    QueuedRequestRead,
    RightsRead,
    RightsRequestCreate,
    SentCreate,
    scope_of,
    set_scope,
    terms_path,
)
from curation_api.rights.states import RightsMove, check_move
from curation_api.webhooks.events import WebhookEventType, emit
from database.enums import RightsActorKind, RightsMethod, RightsState, TemplateKind, TimerKind
from database.models import Post
from database.outbox import enqueue
from database.rights_models import Brand, RightsProof, RightsRequest, RightsTransition

DECISION_MOVE = {
    Decision.GRANTED: RightsMove.GRANT,
    Decision.DECLINED: RightsMove.DECLINE,
    Decision.REVOKED: RightsMove.REVOKE,
}


@dataclass(frozen=True)
class Actor:
    """Who or what moves a request: a moderator, a rule, the creator, a timer, the network."""

    kind: RightsActorKind
    name: str

    @classmethod
    def moderator(cls, moderator: Moderator) -> Actor:
        return cls(RightsActorKind.MODERATOR, moderator.name)


TIMER = Actor(RightsActorKind.TIMER, "timer")

# The moves that integrations hear about (webhooks).
ANNOUNCED = {
    RightsState.GRANTED: WebhookEventType.RIGHTS_GRANTED,
    RightsState.REVOKED: WebhookEventType.RIGHTS_REVOKED,
}


def request_rights(
    session: Session,
    post_id: str,
    body: RightsRequestCreate,
    actor: Actor,
    *,
    now: datetime,
    base_url: str,
) -> QueuedRequestRead:
    """Queue a request: render the brand's template, link the latest terms, and write the
    send command to the outbox. A network that cannot send (Instagram without a mention) still
    queues: the ingest worker answers ``manual_send_needed``, and the text and the post's link
    returned here let a moderator send it by hand today."""
    post = _existing_post(session, post_id, for_update=True)
    request = repository.request_of_post(session, post_id)
    target = check_move(RightsMove.REQUEST, request.state if request else None, post_id=post_id)
    brand = _brand_for(session, post, body.brand, request)
    terms = repository.latest_terms(session, brand.slug)
    if terms is None:
        raise Conflict(f"brand {brand.slug!r} has no terms yet: POST /v1/brands/{brand.slug}/terms")
    if request is None:
        # Added to the session by _move once its state is set (queries before would flush it).
        request = RightsRequest(post_id=post_id, created_at=now)
    request.brand_slug = brand.slug
    request.method = RightsMethod.API
    request.terms_version = terms.version
    request.request_text = brands.render(
        session,
        brand,
        TemplateKind.REQUEST,
        network=post.platform,
        language=body.language or post.language,
        handle=post.author_handle,
        terms_url=base_url.rstrip("/") + terms_path(brand.slug, terms.version),
    )
    set_scope(request, body.scope or scope_of(brand))
    request.starts_at = request.ends_at = None
    request.sent_reply_id = request.sent_permalink = None
    request.sent_at = request.reminded_at = None
    clear_timer(request)
    transition = move_request(session, request, target, actor, now=now)
    send_command(
        session, request, post, RightsCommandKind.SEND_REQUEST, request.request_text, transition
    )
    return QueuedRequestRead(
        **RightsRead.from_row(request).model_dump(), post_permalink=post.permalink
    )


def mark_sent(
    session: Session, post_id: str, body: SentCreate, actor: Actor, *, now: datetime
) -> RightsRead:
    """A moderator sent the text by hand: now the reply is awaited (the reminder timer runs)."""
    request = _existing_request(session, post_id)
    target = check_move(RightsMove.MARK_SENT, request.state, post_id=post_id)
    brand = brands.existing_brand(session, request.brand_slug)
    request.method = RightsMethod.MANUAL
    request.sent_at = now
    request.sent_permalink = body.permalink
    request.next_due_at = reminder_due(now, brand)
    request.due_kind = TimerKind.REMINDER
    move_request(session, request, target, actor, now=now, note=body.note)
    return RightsRead.from_row(request)


def decide(
    session: Session,
    post_id: str,
    body: DecisionCreate,
    actor: Actor,
    *,
    now: datetime,
    base_url: str = "",
) -> RightsRead:
    """Record a decision made by hand: a grant (writes the proof), a refusal, a revocation.
    Also resolves an unclear reply. A grant binds to the given terms version, or the latest."""
    post = _existing_post(session, post_id, for_update=True)
    request = repository.request_of_post(session, post_id)
    move = DECISION_MOVE[body.decision]
    target = check_move(move, request.state if request else None, post_id=post_id)
    if request is None:
        brand = _brand_for(session, post, body.brand, None)
        request = RightsRequest(
            post_id=post_id, brand_slug=brand.slug, created_at=now, method=RightsMethod.MANUAL
        )
        set_scope(request, scope_of(brand))
    else:
        brand = brands.existing_brand(session, request.brand_slug)
    if move is RightsMove.GRANT:
        grant_terms(session, request, brand, body, now)
        request.method = RightsMethod.MANUAL
    clear_timer(request)
    transition = move_request(session, request, target, actor, now=now, note=body.note)
    cited = attachments.cite(session, post_id, body.attachment_ids, transition)
    if move is RightsMove.GRANT:
        consent = {
            "method": "manual",
            "note": body.note,
            "attachment_ref": body.attachment_ref,
            "attachments": cited,
            "recorded_by": {"kind": actor.kind.value, "name": actor.name},
            "recorded_at": now.isoformat(),
            "reply": None,
        }
        write_proof(session, post, request, consent, now=now, base_url=base_url)
    return RightsRead.from_row(request)


def withdraw(session: Session, post_id: str, actor: Actor, *, now: datetime) -> None:
    """The original post was deleted: it leaves every feed, whatever its rights were."""
    post = _existing_post(session, post_id, for_update=True)
    if post.withdrawn_at is None:
        post.withdrawn_at = now
        post.updated_at = now
    request = repository.request_of_post(session, post_id)
    if request is not None and request.state is not RightsState.WITHDRAWN:
        clear_timer(request)
        move_request(
            session,
            request,
            check_move(RightsMove.WITHDRAW, request.state, post_id=post_id),
            actor,
            now=now,
        )
    session.flush()


def expire(session: Session, request: RightsRequest, *, now: datetime) -> None:
    """Nobody answered in time (the expiry timer)."""
    target = check_move(RightsMove.EXPIRE, request.state, post_id=request.post_id)
    clear_timer(request)
    move_request(session, request, target, TIMER, now=now)


def remind(session: Session, request: RightsRequest, *, now: datetime, base_url: str) -> None:
    """Send the reminder once, then wait for the expiry."""
    post = _existing_post(session, request.post_id)
    brand = brands.existing_brand(session, request.brand_slug)
    text = brands.render(
        session,
        brand,
        TemplateKind.REMINDER,
        network=post.platform,
        language=post.language,
        handle=post.author_handle,
        terms_url=base_url.rstrip("/") + terms_path(brand.slug, request.terms_version or 1),
    )
    request.reminded_at = now
    sent_at = request.sent_at or request.updated_at
    request.next_due_at = sent_at + timedelta(seconds=brand.expire_after_s)
    request.due_kind = TimerKind.EXPIRY
    session.flush()
    send_command(
        session, request, post, RightsCommandKind.SEND_REMINDER, text, key=f"reminder:{request.id}"
    )


def reminder_due(sent_at: datetime, brand: Brand) -> datetime:
    """When the reminder of a request sent at ``sent_at`` is due."""
    return sent_at + timedelta(seconds=brand.reminder_after_s)


def grant_terms(
    session: Session, request: RightsRequest, brand: Brand, body: DecisionCreate, now: datetime
) -> None:
    version = body.terms_version or repository.latest_terms_version(session, brand.slug)
    if version is None or repository.get_terms(session, brand.slug, version) is None:
        raise Conflict(
            f"brand {brand.slug!r} has no terms version {version or 1}: a grant binds to "
            f"terms; POST /v1/brands/{brand.slug}/terms first"
        )
    request.terms_version = version
    if body.scope is not None:
        set_scope(request, body.scope)
    request.starts_at = body.starts_at or now
    if "ends_at" in body.model_fields_set:
        request.ends_at = body.ends_at
    elif brand.default_window_days is not None:
        request.ends_at = request.starts_at + timedelta(days=brand.default_window_days)
    else:
        request.ends_at = None
    if request.ends_at is not None and request.ends_at <= request.starts_at:
        raise Conflict("ends_at must be after starts_at")


def write_proof(
    session: Session,
    post: Post,
    request: RightsRequest,
    consent: dict[str, Any],
    *,
    now: datetime,
    base_url: str,
) -> None:
    terms = repository.get_terms(session, request.brand_slug, request.terms_version or 0)
    assert terms is not None  # checked by _grant_terms
    record = proof_record(
        post=post,
        request=request,
        terms=terms,
        terms_url=base_url.rstrip("/") + terms_path(terms.brand_slug, terms.version),
        consent=consent,
        scope=[c.value for c in Channel if c in scope_of(request)],
    )
    session.add(
        RightsProof(request_id=request.id, record=record, sha256=sha256_of(record), created_at=now)
    )
    session.flush()


def move_request(
    session: Session,
    request: RightsRequest,
    target: RightsState,
    actor: Actor,
    *,
    now: datetime,
    note: str | None = None,
    reply_id: str | None = None,
) -> RightsTransition:
    previous = request.state if request.id is not None else None
    request.state = target
    request.updated_at = now
    session.add(request)
    session.flush()
    transition = RightsTransition(
        request_id=request.id,
        from_state=previous,
        to_state=target,
        actor_kind=actor.kind,
        actor=actor.name,
        reply_id=reply_id,
        note=note,
        at=now,
    )
    session.add(transition)
    session.flush()
    if target in ANNOUNCED and previous is not target:
        emit(session, ANNOUNCED[target], rights_event(request, actor), now=now)
    return transition


def rights_event(request: RightsRequest, actor: Actor) -> dict[str, Any]:
    """The data of a ``rights.granted`` / ``rights.revoked`` webhook event."""
    return {
        "post_id": request.post_id,
        "request_id": request.id,
        "brand": request.brand_slug,
        "state": request.state.value,
        "channels": [c.value for c in scope_of(request)],
        "starts_at": request.starts_at,
        "ends_at": request.ends_at,
        "terms_version": request.terms_version,
        "actor": {"kind": actor.kind.value, "name": actor.name},
    }


def send_command(
    session: Session,
    request: RightsRequest,
    post: Post,
    kind: RightsCommandKind,
    text: str | None,
    transition: RightsTransition | None = None,
    *,
    key: str | None = None,
) -> None:
    command = RightsCommand(
        kind=kind,
        request_id=request.id,
        post_id=post.post_id,
        network=post.platform,
        native_id=post.native_id,
        author_id=post.author_id,
        text=text or "",
        # Stable for this one command: the relay may deliver it twice, the worker sends once.
        idempotency_key=key
        or f"rights:{request.id}:{kind.value}:{transition.id if transition else 0}",
        created_at=request.updated_at,
    )
    enqueue(
        session,
        topic=RIGHTS_COMMANDS_TOPIC,
        key=post.post_id,
        value=encode(command),
        now=request.updated_at,
    )
    session.flush()


def clear_timer(request: RightsRequest) -> None:
    request.next_due_at = None
    request.due_kind = None


def _brand_for(
    session: Session, post: Post, slug: str | None, request: RightsRequest | None
) -> Brand:
    if slug is not None:
        return brands.existing_brand(session, slug)
    if request is not None:
        return brands.existing_brand(session, request.brand_slug)
    brand = repository.brand_of_post(session, post.post_id)
    if brand is None:
        raise Conflict(
            f"post {post.post_id!r} carries no brand's hashtag: name the brand in the body"
        )
    return brand


def _existing_post(session: Session, post_id: str, *, for_update: bool = False) -> Post:
    post = repository.get_post(session, post_id, for_update=for_update)
    if post is None:
        raise NotFound(f"no post with id {post_id!r}")
    return post


def _existing_request(session: Session, post_id: str) -> RightsRequest:
    _existing_post(session, post_id, for_update=True)
    request = repository.request_of_post(session, post_id)
    if request is None:
        raise Conflict(f"post {post_id!r} has no rights request: request rights first")
    return request
