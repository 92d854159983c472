"""Queries of the rights feature."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import AwareDatetime, TypeAdapter
from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from database.engine import UtcDateTime
from database.enums import RightsState, TemplateKind
from database.models import Post, PostHashtag
from database.paging import decode_cursor
from database.rights_models import (
    Brand,
    BrandHashtag,
    RightsProof,
    RightsRequest,
    RightsTemplate,
    RightsTransition,
    TermsVersion,
)

# The inbox pages most recently changed first; the id breaks ties.
INBOX_KEY: TypeAdapter[tuple[datetime, int]] = TypeAdapter(tuple[AwareDatetime, int])


def inbox_key(row: RightsRequest) -> tuple[datetime, int]:
    return (row.updated_at, row.id)


def get_brand(session: Session, slug: str) -> Brand | None:
    return session.get(Brand, slug)


def brand_of_post(session: Session, post_id: str) -> Brand | None:
    """The brand one of whose hashtags the post carries (the first by slug when several)."""
    statement = (
        select(Brand)
        .join(BrandHashtag, BrandHashtag.brand_slug == Brand.slug)
        .join(PostHashtag, PostHashtag.tag == BrandHashtag.tag)
        .where(PostHashtag.post_id == post_id)
        .order_by(Brand.slug)
        .limit(1)
    )
    return session.scalars(statement).first()


def templates_of(session: Session, brand: str) -> list[RightsTemplate]:
    statement = select(RightsTemplate).where(RightsTemplate.brand_slug == brand)
    return list(
        session.scalars(
            statement.order_by(RightsTemplate.kind, RightsTemplate.network, RightsTemplate.language)
        )
    )


def get_template(
    session: Session, brand: str, kind: TemplateKind, network: str, language: str
) -> RightsTemplate | None:
    return session.scalars(
        select(RightsTemplate).where(
            RightsTemplate.brand_slug == brand,
            RightsTemplate.kind == kind,
            RightsTemplate.network == network,
            RightsTemplate.language == language,
        )
    ).one_or_none()


def latest_terms(session: Session, brand: str) -> TermsVersion | None:
    return session.scalars(
        select(TermsVersion)
        .where(TermsVersion.brand_slug == brand)
        .order_by(TermsVersion.version.desc())
        .limit(1)
    ).first()


def latest_terms_version(session: Session, brand: str) -> int | None:
    return session.scalar(
        select(func.max(TermsVersion.version)).where(TermsVersion.brand_slug == brand)
    )


def get_terms(session: Session, brand: str, version: int) -> TermsVersion | None:
    return session.get(TermsVersion, (brand, version))


def get_post(session: Session, post_id: str, *, for_update: bool = False) -> Post | None:
    """The post; ``for_update`` locks it on PostgreSQL so that two decisions on one post are
    serialized (SQLite transactions already are)."""
    statement = select(Post).where(Post.post_id == post_id)
    if for_update:
        statement = statement.with_for_update(of=Post)
    return session.scalars(statement).one_or_none()


def request_of_post(session: Session, post_id: str) -> RightsRequest | None:
    return session.scalars(
        select(RightsRequest).where(RightsRequest.post_id == post_id)
    ).one_or_none()


def transitions_of(session: Session, request_id: int) -> list[RightsTransition]:
    return list(
        session.scalars(
            select(RightsTransition)
            .where(RightsTransition.request_id == request_id)
            .order_by(RightsTransition.id)
        )
    )


def latest_proof(session: Session, request_id: int) -> RightsProof | None:
    return session.scalars(
        select(RightsProof)
        .where(RightsProof.request_id == request_id)
        .order_by(RightsProof.id.desc())
        .limit(1)
    ).first()


def inbox(
    session: Session, states: Sequence[RightsState], *, cursor: str | None, limit: int
) -> list[RightsRequest]:
    """Requests in any of ``states`` (all when empty), most recently changed first, keyset on
    (updated_at, id) like the queue; ``ix_rights_requests_state_updated_at_id`` serves one
    state."""
    statement = select(RightsRequest)
    if states:
        statement = statement.where(RightsRequest.state.in_(states))
    if cursor is not None:
        updated_at, request_id = decode_cursor(cursor, INBOX_KEY)
        statement = statement.where(
            tuple_(RightsRequest.updated_at, RightsRequest.id)
            < tuple_(literal(updated_at, UtcDateTime()), literal(request_id, RightsRequest.id.type))
        )
    statement = statement.order_by(RightsRequest.updated_at.desc(), RightsRequest.id.desc())
    return list(session.scalars(statement.limit(limit)))


def due_requests(session: Session, now: datetime, *, limit: int) -> list[RightsRequest]:
    """Requests whose timer is due at ``now``, the most overdue first; locked on PostgreSQL
    (SKIP LOCKED) so that two pollers never process the same timer."""
    statement = (
        select(RightsRequest)
        .where(RightsRequest.next_due_at <= literal(now, UtcDateTime()))
        .order_by(RightsRequest.next_due_at, RightsRequest.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))
