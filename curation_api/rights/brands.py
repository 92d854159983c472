"""The rules of brand rights settings: brands, their message templates, their terms."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from sqlalchemy.orm import Session

from curation_api.kit import NotFound
from curation_api.rights import repository
from curation_api.rights.schemas import (
    BrandRead,
    BrandUpdate,
    TemplateRead,
    TemplateUpdate,
    TermsCreate,
    TermsRead,
    scope_of,
    set_scope,
)
from database.enums import TemplateKind
from database.rights_models import Brand, BrandHashtag, RightsTemplate, TermsVersion

DEFAULT_TEMPLATES = {
    TemplateKind.REQUEST: (
        "Hi {handle}! We love this post and would like to share it on {brand}'s channels. "
        "If that's OK, reply {approval_hashtag} to agree to our terms: {terms_url}"
    ),
    TemplateKind.THANK_YOU: "Thank you {handle}! We'll credit you when we share it.",
    TemplateKind.REMINDER: (
        "Hi {handle}, just checking: may {brand} share this post? "
        "Reply {approval_hashtag} to agree to {terms_url}"
    ),
}

_VARIABLE = re.compile(r"\{(handle|approval_hashtag|terms_url|brand)\}")


def put_brand(
    session: Session, slug: str, body: BrandUpdate, now: datetime
) -> tuple[BrandRead, bool]:
    brand = repository.get_brand(session, slug)
    created = brand is None
    if brand is None:
        brand = Brand(slug=slug, created_at=now, hashtags=[])
        session.add(brand)
    brand.name = body.name
    brand.approval_hashtag = body.approval_hashtag
    brand.require_mention = body.require_mention
    brand.accounts = dict(body.accounts)
    brand.reminder_after_s = body.reminder_after_s
    brand.expire_after_s = body.expire_after_s
    brand.default_window_days = body.default_window_days
    set_scope(brand, body.default_scope)
    brand.updated_at = now
    kept = {h.tag: h for h in brand.hashtags}
    brand.hashtags = [kept.get(tag) or BrandHashtag(tag=tag) for tag in sorted(body.hashtags)]
    session.flush()
    return brand_read(session, brand), created


def get_brand(session: Session, slug: str) -> BrandRead:
    return brand_read(session, existing_brand(session, slug))


def put_template(
    session: Session, slug: str, kind: TemplateKind, body: TemplateUpdate, now: datetime
) -> TemplateRead:
    existing_brand(session, slug)
    template = repository.get_template(session, slug, kind, body.network, body.language)
    if template is None:
        template = RightsTemplate(
            brand_slug=slug, kind=kind, network=body.network, language=body.language
        )
        session.add(template)
    template.text = body.text
    template.updated_at = now
    session.flush()
    return TemplateRead(kind=kind, network=body.network, language=body.language, text=body.text)


def create_terms(session: Session, slug: str, body: TermsCreate, now: datetime) -> TermsRead:
    """The brand's next terms version; earlier versions are never changed."""
    existing_brand(session, slug)
    version = (repository.latest_terms_version(session, slug) or 0) + 1
    terms = TermsVersion(
        brand_slug=slug,
        version=version,
        text=body.text,
        sha256=hashlib.sha256(body.text.encode()).hexdigest(),
        created_at=now,
    )
    session.add(terms)
    session.flush()
    return TermsRead.from_row(terms)


def public_terms(session: Session, slug: str, version: int) -> TermsVersion:
    terms = repository.get_terms(session, slug, version)
    if terms is None:
        raise NotFound(f"brand {slug!r} has no terms version {version}")
    return terms


def render(
    session: Session,
    brand: Brand,
    kind: TemplateKind,
    *,
    network: str,
    language: str | None,
    handle: str,
    terms_url: str,
) -> str:
    """The brand's template of ``kind`` that fits best (this network and language, then any
    language, then any network), or the built-in one, with its variables filled in."""
    text = DEFAULT_TEMPLATES[kind]
    for net, lang in ((network, language), (network, "*"), ("*", language), ("*", "*")):
        if lang is None:
            continue
        template = repository.get_template(session, brand.slug, kind, net, lang)
        if template is not None:
            text = template.text
            break
    values = {
        "handle": handle if handle.startswith("@") else f"@{handle}",
        "approval_hashtag": brand.approval_hashtag,
        "terms_url": terms_url,
        "brand": brand.name,
    }
    # One pass over the template: a value that contains "{brand}" is not expanded again.
    return _VARIABLE.sub(lambda m: values[m.group(1)], text)


def existing_brand(session: Session, slug: str) -> Brand:
    brand = repository.get_brand(session, slug)
    if brand is None:
        raise NotFound(f"no brand {slug!r}")
    return brand


def brand_read(session: Session, brand: Brand) -> BrandRead:
    return BrandRead(
        slug=brand.slug,
        name=brand.name,
        hashtags=[h.tag for h in brand.hashtags],
        approval_hashtag=brand.approval_hashtag,
        require_mention=brand.require_mention,
        accounts=brand.accounts,
        reminder_after_s=brand.reminder_after_s,
        expire_after_s=brand.expire_after_s,
        default_scope=scope_of(brand),
        default_window_days=brand.default_window_days,
        latest_terms_version=repository.latest_terms_version(session, brand.slug),
        templates=[
            TemplateRead(kind=t.kind, network=t.network, language=t.language, text=t.text)
            for t in repository.templates_of(session, brand.slug)
        ],
        created_at=brand.created_at,
        updated_at=brand.updated_at,
    )
