"""HTTP routes of brand rights settings (moderators) and the public terms pages (anyone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from curation_api.kit import (
    ModeratorDep,
    NotFound,
    NowDep,
    SessionDep,
    Unauthorized,
    error_responses,
)
from curation_api.rights import brands
from curation_api.rights.schemas import (
    BrandRead,
    BrandUpdate,
    TemplateRead,
    TemplateUpdate,
    TermsCreate,
    TermsRead,
)
from database.enums import TemplateKind

router = APIRouter(prefix="/v1/brands", tags=["rights"])
public_router = APIRouter(tags=["rights"])

BrandSlug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", examples=["brewnorth"])]


@router.put(
    "/{slug}",
    responses={
        **error_responses(Unauthorized),
        status.HTTP_201_CREATED: {"description": "Created", "model": BrandRead},
    },
)
def put_brand(
    slug: BrandSlug,
    body: BrandUpdate,
    _moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> BrandRead:
    """Create a brand or replace its rights settings (201 when created)."""
    brand, created = brands.put_brand(session, slug, body, now)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return brand


@router.get("/{slug}", responses=error_responses(Unauthorized, NotFound))
def get_brand(slug: str, _moderator: ModeratorDep, session: SessionDep) -> BrandRead:
    """A brand's rights settings, its templates and its latest terms version."""
    return brands.get_brand(session, slug)


@router.put("/{slug}/templates/{kind}", responses=error_responses(Unauthorized, NotFound))
def put_template(
    slug: str,
    kind: TemplateKind,
    body: TemplateUpdate,
    _moderator: ModeratorDep,
    session: SessionDep,
    now: NowDep,
) -> TemplateRead:
    """Set the brand's message of this kind for a network and language (`*`: any)."""
    return brands.put_template(session, slug, kind, body, now)


@router.post(
    "/{slug}/terms",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Unauthorized, NotFound),
)
def create_terms(
    slug: str, body: TermsCreate, _moderator: ModeratorDep, session: SessionDep, now: NowDep
) -> TermsRead:
    """Publish the brand's next terms version. Versions never change once created."""
    return brands.create_terms(session, slug, body, now)


@public_router.get(
    "/terms/{slug}/{version}",
    response_class=Response,
    responses={
        status.HTTP_200_OK: {"content": {"text/plain": {}}, "description": "The terms text"},
        **error_responses(NotFound),
    },
)
def public_terms(slug: str, version: int, session: SessionDep) -> Response:
    """Public, no key: one version of a brand's terms of use, as the creator read it."""
    terms = brands.public_terms(session, slug, version)
    return Response(
        terms.text,
        media_type="text/plain; charset=utf-8",
        headers={
            "X-Content-SHA256": terms.sha256,
            # A version never changes.
            "Cache-Control": "public, max-age=86400, immutable",
        },
    )
