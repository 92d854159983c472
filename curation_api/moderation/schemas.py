"""What moderators send and read."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from contract import (
    Author,
    DetectedLanguage,
    Engagement,
    Media,
    ModelInfo,
    RiskLevel,
    SafetyScores,
    Sentiment,
    SentimentScores,
    normalize_hashtag,
)
from database.enums import RightsState
from database.models import ModerationAction, ModerationVerb, Post, PostStatus

NO_RIGHTS_REQUEST = "none"


class QueueStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = "all"


def _split_commas(value: object) -> object:
    # `?risk=high&risk=floor` and `?risk=high,floor` mean the same.
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        return value
    return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


class QueueFilters(BaseModel):
    """Query parameters of the moderation queue; list filters match any of their values."""

    status: QueueStatus = Field(
        default=QueueStatus.PENDING, description="Posts in this state, or `all`."
    )
    hashtag: list[str] = Field(
        default_factory=list, description="Posts carrying any of these hashtags (`#` optional)."
    )
    sentiment: list[Sentiment] = Field(default_factory=list, description="Sentiment labels.")
    risk: list[RiskLevel] = Field(default_factory=list, description="Brand-safety risk levels.")
    low_confidence: bool | None = Field(
        default=None,
        description=(
            "`true`: only posts whose scores are a guess (language unsupported or detection "
            "unsure); `false`: only the others; absent: both."
        ),
    )
    rights: list[RightsState | Literal["none"]] = Field(
        default_factory=list,
        description="Posts whose rights are in any of these states (`none`: never requested).",
    )
    incident: str | None = Field(
        default=None,
        max_length=320,
        description="Only the posts of this spike incident (its id, from `GET /v1/alerts`).",
    )
    limit: int = Field(default=50, ge=1, le=200, description="Posts per page.")
    cursor: str | None = Field(
        default=None, max_length=512, description="The `next_cursor` of the previous page."
    )

    _split = field_validator("hashtag", "sentiment", "risk", "rights", mode="before")(_split_commas)

    @field_validator("hashtag")
    @classmethod
    def _normalize_hashtags(cls, tags: list[str]) -> list[str]:
        return [t for t in map(normalize_hashtag, tags) if t]


class ModerationCreate(BaseModel):
    """Optional body of approve and reject."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None, max_length=2000, description="Why, for the audit log (shown to moderators)."
    )


class PostRead(BaseModel):
    """Everything a moderator needs to decide on a post."""

    post_id: str = Field(examples=["mastodon:109876543210"])
    platform: str
    native_id: str
    text: str
    author: Author
    media: list[Media]
    permalink: str | None
    language: str | None
    hashtags: list[str]
    created_at: AwareDatetime
    collected_at: AwareDatetime
    engagement: Engagement
    sentiment: SentimentScores
    safety: SafetyScores
    model: ModelInfo
    scored_at: AwareDatetime
    detected_language: DetectedLanguage | None = Field(
        description="The language the classifier detected; null when it sent none."
    )
    low_confidence: bool = Field(
        description="The scores are a guess: the language is unsupported or detection was unsure."
    )
    status: PostStatus
    rights_state: RightsState | None = Field(
        description="Where the post's rights request stands; null: never requested."
    )
    withdrawn_at: AwareDatetime | None = Field(
        description="When the network reported the original deleted."
    )
    moderated_at: AwareDatetime | None
    moderated_by: str | None
    ingested_at: AwareDatetime
    updated_at: AwareDatetime

    @classmethod
    def from_row(cls, post: Post) -> PostRead:
        """Needs ``post.hashtags`` and ``post.rights_request`` loaded (the repository does it)."""
        return cls(
            post_id=post.post_id,
            platform=post.platform,
            native_id=post.native_id,
            rights_state=post.rights_request.state if post.rights_request else None,
            withdrawn_at=post.withdrawn_at,
            text=post.text,
            author=Author(
                id=post.author_id,
                handle=post.author_handle,
                display_name=post.author_display_name,
                followers=post.author_followers,
            ),
            media=[Media.model_validate(m) for m in post.media],
            permalink=post.permalink,
            language=post.language,
            hashtags=[h.tag for h in post.hashtags],
            created_at=post.created_at,
            collected_at=post.collected_at,
            engagement=Engagement(
                likes=post.likes, reposts=post.reposts, replies=post.replies, quotes=post.quotes
            ),
            sentiment=SentimentScores.model_validate(
                {"label": post.sentiment, "scores": post.sentiment_scores}
            ),
            safety=SafetyScores(
                scores=post.safety_scores,
                garm=post.garm_scores,
                risk=post.risk,
                reasons=post.risk_reasons,
            ),
            model=ModelInfo(name=post.model_name, version=post.model_version),
            scored_at=post.scored_at,
            detected_language=_detected_language(post),
            low_confidence=post.low_confidence,
            status=post.status,
            moderated_at=post.moderated_at,
            moderated_by=post.moderated_by,
            ingested_at=post.ingested_at,
            updated_at=post.updated_at,
        )


def _detected_language(post: Post) -> DetectedLanguage | None:
    # language_supported, not the code, tells whether there was a detection: the code is NULL
    # as well when the classifier found too little text to name a language.
    if post.language_supported is None or post.language_confidence is None:
        return None
    return DetectedLanguage(
        code=post.detected_language,
        confidence=post.language_confidence,
        supported=post.language_supported,
    )


class ModerationActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    post_id: str
    action: ModerationVerb
    actor: str = Field(
        description="The moderator's `X-Actor`, or `moderator`; `public report` for a visitor's "
        "report from a widget (`action` is `report`, `note` its reason)."
    )
    note: str | None
    at: AwareDatetime

    @classmethod
    def from_row(cls, action: ModerationAction) -> ModerationActionRead:
        return cls.model_validate(action)
