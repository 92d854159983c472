"""What moderators send and read about rights: brands, templates, terms, requests, proofs."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from contract import normalize_hashtags
from curation_api.rights.attachments import AttachmentRead
from database.enums import RightsActorKind, RightsMethod, RightsState, TemplateKind
from database.rights_models import Brand, RightsRequest, RightsTransition, TermsVersion

TEMPLATE_VARIABLES = ("handle", "approval_hashtag", "terms_url", "brand")
_VARIABLE = re.compile(r"\{([^{}]*)\}")


class Channel(StrEnum):
    WEBSITE = "website"
    SOCIAL = "social"
    ADS = "ads"
    EMAIL = "email"


def scope_of(row: Brand | RightsRequest) -> list[Channel]:
    return [c for c in Channel if getattr(row, f"scope_{c.value}")]


def set_scope(row: Brand | RightsRequest, channels: list[Channel]) -> None:
    for channel in Channel:
        setattr(row, f"scope_{channel.value}", channel in channels)


# --- Brands, templates, terms ---------------------------------------------------------------


class BrandUpdate(BaseModel):
    """Body of ``PUT /v1/brands/{slug}``: creates the brand or replaces its settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["BrewNorth"])
    hashtags: list[str] = Field(
        min_length=1, max_length=50, description="A post carrying any of these is the brand's."
    )
    approval_hashtag: str = Field(min_length=2, max_length=255, examples=["#YesBrewNorth"])
    require_mention: bool = Field(
        default=False, description="A consent reply must also @mention the brand's account."
    )
    accounts: dict[str, str] = Field(
        default_factory=dict, description="The brand's handle per network."
    )
    reminder_after_s: int = Field(default=3 * 86400, ge=60)
    expire_after_s: int = Field(default=14 * 86400, ge=60)
    default_scope: list[Channel] = Field(default_factory=lambda: list(Channel), min_length=1)
    default_window_days: int | None = Field(
        default=None, ge=1, description="A grant's default length; null: open-ended."
    )

    @field_validator("hashtags")
    @classmethod
    def _normalize(cls, tags: list[str]) -> list[str]:
        return normalize_hashtags(tags, max_length=255)

    @field_validator("approval_hashtag")
    @classmethod
    def _with_hash(cls, tag: str) -> str:
        bare = tag.strip().lstrip("#")
        if not bare or any(ch.isspace() for ch in bare):
            raise ValueError("one hashtag, without spaces")
        return f"#{bare}"


class TemplateRead(BaseModel):
    kind: TemplateKind
    network: str
    language: str
    text: str


class TemplateUpdate(BaseModel):
    """Body of ``PUT /v1/brands/{slug}/templates/{kind}``."""

    model_config = ConfigDict(extra="forbid")

    network: str = Field(default="*", max_length=32, description="A network, or `*` for any.")
    language: str = Field(default="*", max_length=35, description="A language, or `*` for any.")
    text: str = Field(
        min_length=1,
        max_length=2000,
        description="May use {handle}, {approval_hashtag}, {terms_url} and {brand}.",
    )

    @field_validator("text")
    @classmethod
    def _known_variables(cls, text: str) -> str:
        unknown = sorted(set(_VARIABLE.findall(text)) - set(TEMPLATE_VARIABLES))
        if unknown:
            raise ValueError(
                f"unknown variables {unknown}; a template may use {list(TEMPLATE_VARIABLES)}"
            )
        return text


class BrandRead(BaseModel):
    slug: str
    name: str
    hashtags: list[str]
    approval_hashtag: str
    require_mention: bool
    accounts: dict[str, str]
    reminder_after_s: int
    expire_after_s: int
    default_scope: list[Channel]
    default_window_days: int | None
    latest_terms_version: int | None
    templates: list[TemplateRead]
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TermsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=100_000)


class TermsRead(BaseModel):
    brand: str
    version: int
    sha256: str = Field(description="SHA-256 of the UTF-8 text.")
    url: str = Field(description="Public URL of this version (`/terms/{brand}/{version}`).")
    created_at: AwareDatetime

    @classmethod
    def from_row(cls, terms: TermsVersion) -> TermsRead:
        return cls(
            brand=terms.brand_slug,
            version=terms.version,
            sha256=terms.sha256,
            url=terms_path(terms.brand_slug, terms.version),
            created_at=terms.created_at,
        )


def terms_path(brand: str, version: int) -> str:
    return f"/terms/{brand}/{version}"


# --- Requests and decisions -----------------------------------------------------------------


class RightsRequestCreate(BaseModel):
    """Optional body of ``POST /v1/posts/{id}/rights/request``."""

    model_config = ConfigDict(extra="forbid")

    brand: str | None = Field(
        default=None, description="Default: the brand whose hashtag the post carries."
    )
    language: str | None = Field(default=None, description="Default: the post's language.")
    scope: list[Channel] | None = Field(default=None, description="Default: the brand's.")


class BulkRightsRequestCreate(RightsRequestCreate):
    post_ids: list[str] = Field(min_length=1, max_length=200)


class Decision(StrEnum):
    GRANTED = "granted"
    DECLINED = "declined"
    REVOKED = "revoked"


class DecisionCreate(BaseModel):
    """Body of ``POST /v1/posts/{id}/rights``: a moderator records a creator's answer."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    method: Literal["manual"] = "manual"
    note: str | None = Field(default=None, max_length=4000)
    attachment_ref: str | None = Field(
        default=None, max_length=2000, description="Where a screenshot or e-mail is kept."
    )
    attachment_ids: list[int] = Field(
        default_factory=list,
        max_length=10,
        description="Files uploaded with `POST /v1/posts/{id}/rights/attachments` that this "
        "decision rests on (a screenshot); a grant's proof records their SHA-256.",
    )
    brand: str | None = Field(default=None, description="Only when the post has no request.")
    scope: list[Channel] | None = Field(default=None, min_length=1)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = Field(
        default=None, description="Absent: the brand's default window; null: open-ended."
    )
    terms_version: int | None = Field(default=None, description="Default: the brand's latest.")


class SentCreate(BaseModel):
    """Optional body of ``POST /v1/posts/{id}/rights/sent``."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=4000)
    permalink: str | None = Field(default=None, max_length=2000, description="Of our message.")


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_state: RightsState | None
    to_state: RightsState
    actor_kind: RightsActorKind
    actor: str
    reply_id: str | None
    note: str | None
    at: AwareDatetime

    @classmethod
    def from_row(cls, row: RightsTransition) -> TransitionRead:
        return cls.model_validate(row)


class RightsRead(BaseModel):
    request_id: int
    post_id: str
    brand: str
    state: RightsState
    method: RightsMethod
    terms_version: int | None
    request_text: str | None
    scope: list[Channel]
    starts_at: AwareDatetime | None
    ends_at: AwareDatetime | None
    next_due_at: AwareDatetime | None
    updated_at: AwareDatetime

    @classmethod
    def from_row(cls, row: RightsRequest) -> RightsRead:
        return cls(
            request_id=row.id,
            post_id=row.post_id,
            brand=row.brand_slug,
            state=row.state,
            method=row.method,
            terms_version=row.terms_version,
            request_text=row.request_text,
            scope=scope_of(row),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            next_due_at=row.next_due_at,
            updated_at=row.updated_at,
        )


class RightsHistoryRead(RightsRead):
    transitions: list[TransitionRead]
    attachments: list[AttachmentRead] = Field(
        description="Files uploaded to the post's rights record; `transition_id` is the "
        "decision that cited each (null: not cited yet)."
    )


class QueuedRequestRead(RightsRead):
    """A queued request with what the manual path needs today: the text and the post's link."""

    post_permalink: str | None


class ProofRead(BaseModel):
    request_id: int
    post_id: str
    state: RightsState = Field(description="The request's state now (a proof outlives revoking).")
    sha256: str = Field(description="SHA-256 of the canonical JSON of `record`.")
    created_at: AwareDatetime
    record: dict[str, Any]
