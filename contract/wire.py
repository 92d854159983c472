"""The wire contract: every message on every topic, and the topic names.

Everything that reads or writes Kafka imports this module; nobody re-declares a field. A message
carries ``schema_version``: consumers accept any version up to :data:`SCHEMA_VERSION` and send
anything newer to the dead-letter topic rather than guessing at it.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 1

RAW_TOPIC = "ugc.posts.raw"
SCORED_TOPIC = "ugc.posts.scored"
DLQ_TOPIC = "ugc.posts.dlq"
# Commands to the ingest rights worker (keyed by post_id), and what it reports back.
RIGHTS_COMMANDS_TOPIC = "ugc.rights.commands"
RIGHTS_EVENTS_TOPIC = "ugc.rights.events"
# Negative spikes per hashtag (keyed by hashtag), from classify's spike stream to the sink.
ALERTS_TOPIC = "ugc.alerts"
ALL_TOPICS = (
    RAW_TOPIC,
    SCORED_TOPIC,
    DLQ_TOPIC,
    RIGHTS_COMMANDS_TOPIC,
    RIGHTS_EVENTS_TOPIC,
    ALERTS_TOPIC,
)


class Platform(StrEnum):
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    X = "x"
    INSTAGRAM = "instagram"
    REDDIT = "reddit"
    YOUTUBE = "youtube"


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class RiskLevel(StrEnum):
    """GARM-style brand-safety risk, from the worst (``floor``: never monetise) to ``none``."""

    FLOOR = "floor"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


def normalize_hashtag(tag: str) -> str:
    """Hashtags compare without the ``#`` and case-insensitively (``#MyBrand`` == ``mybrand``)."""
    return tag.strip().lstrip("#").casefold()


def normalize_hashtags(tags: list[str], *, max_length: int | None = None) -> list[str]:
    """``tags`` normalized (:func:`normalize_hashtag`), empty ones dropped, deduplicated in
    order; :class:`ValueError` (a validator's answer) when none is left or one is longer than
    ``max_length`` (what a column holds; the wire itself sets no length)."""
    normalized = list(dict.fromkeys(t for t in map(normalize_hashtag, tags) if t))
    if not normalized:
        raise ValueError("at least one non-empty hashtag is required")
    if max_length is not None and any(len(t) > max_length for t in normalized):
        raise ValueError(f"hashtags are at most {max_length} characters")
    return normalized


class _Wire(BaseModel):
    # Unknown fields are ignored so that an older consumer survives a newer, compatible producer.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Author(_Wire):
    id: str = Field(min_length=1)
    handle: str = Field(min_length=1)
    display_name: str | None = None
    followers: int | None = Field(default=None, ge=0)


class Media(_Wire):
    type: Literal["image", "video", "gifv", "audio", "unknown"] = "unknown"
    url: str = Field(min_length=1)
    preview_url: str | None = None
    alt_text: str | None = None


class Engagement(_Wire):
    """Counts as the network reported them when collected; ``None`` where it reports none."""

    likes: int | None = Field(default=None, ge=0)
    reposts: int | None = Field(default=None, ge=0)
    replies: int | None = Field(default=None, ge=0)
    quotes: int | None = Field(default=None, ge=0)


class RawPost(_Wire):
    """A post that matched a brand hashtag, normalized from any network."""

    schema_version: int = SCHEMA_VERSION
    platform: Platform
    native_id: str = Field(min_length=1)
    post_id: str
    hashtags: Annotated[list[str], Field(min_length=1)]
    text: str
    author: Author
    media: list[Media] = Field(default_factory=list)
    permalink: str | None = None
    language: str | None = None
    created_at: AwareDatetime
    collected_at: AwareDatetime
    engagement: Engagement = Field(default_factory=Engagement)

    @model_validator(mode="before")
    @classmethod
    def _derive_post_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and "post_id" not in data:
            data = {**data, "post_id": f"{data.get('platform')}:{data.get('native_id')}"}
        return data

    @field_validator("hashtags")
    @classmethod
    def _normalize_hashtags(cls, tags: list[str]) -> list[str]:
        return normalize_hashtags(tags)

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if not 1 <= version <= SCHEMA_VERSION:
            raise ValueError(
                f"unsupported schema_version {version} (this build reads 1..{SCHEMA_VERSION})"
            )
        return version

    @model_validator(mode="after")
    def _post_id_matches(self) -> RawPost:
        expected = f"{self.platform.value}:{self.native_id}"
        if self.post_id != expected:
            raise ValueError(f"post_id must be {expected!r}, got {self.post_id!r}")
        return self


class SentimentScores(_Wire):
    label: Sentiment
    scores: dict[Sentiment, float]


class SafetyScores(_Wire):
    """Brand-safety probabilities per task (``offensive``, ``hate``), GARM category scores,
    and the risk level they add up to, with the reasons that produced it."""

    scores: dict[str, float]
    garm: dict[str, float] = Field(default_factory=dict)
    risk: RiskLevel
    reasons: list[str] = Field(default_factory=list)


class ModelInfo(_Wire):
    name: str
    version: str


class DetectedLanguage(_Wire):
    """The language the classifier detected in the text (offline), independent of what the
    network claimed in ``RawPost.language``.

    ``supported`` is False when the models were not trained for this language: the scores are
    then a guess, and ``ScoredPost.low_confidence`` is set instead of pretending otherwise.
    """

    code: str | None = Field(description="ISO 639-1 code, or None when the text has too little")
    confidence: float = Field(ge=0, le=1)
    supported: bool


class ScoredPost(RawPost):
    """A raw post plus what the classifier said about it."""

    sentiment: SentimentScores
    safety: SafetyScores
    model: ModelInfo
    scored_at: AwareDatetime
    detected_language: DetectedLanguage | None = None
    low_confidence: bool = False


class DeadLetter(_Wire):
    """A message that could not be processed: why, where it came from, and its exact bytes."""

    schema_version: int = SCHEMA_VERSION
    reason: str
    stage: str
    source_topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key_b64: str | None = None
    original_b64: str
    failed_at: AwareDatetime

    @classmethod
    def for_message(
        cls,
        *,
        reason: str,
        stage: str,
        original: bytes,
        key: bytes | None = None,
        source_topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        return cls(
            reason=reason,
            stage=stage,
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key_b64=base64.b64encode(key).decode() if key is not None else None,
            original_b64=base64.b64encode(original).decode(),
            failed_at=utcnow(),
        )

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)


class RightsCommandKind(StrEnum):
    SEND_REQUEST = "send_request"
    SEND_THANK_YOU = "send_thank_you"
    SEND_REMINDER = "send_reminder"


class RightsCommand(_Wire):
    """Ask the ingest rights worker to reply to a creator's post with ``text``.

    ``idempotency_key`` is the same for every retry of one command: the worker sends each key
    once, however often the relay delivers it.
    """

    schema_version: int = SCHEMA_VERSION
    kind: RightsCommandKind
    request_id: int
    post_id: str
    network: str
    native_id: str
    author_id: str
    text: str
    idempotency_key: str = Field(min_length=1)
    created_at: AwareDatetime


class RightsEventKind(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    MANUAL_SEND_NEEDED = "manual_send_needed"  # the network's API cannot send this one
    REPLY = "reply"
    POST_DELETED = "post_deleted"


class RightsEvent(_Wire):
    """What the ingest rights worker saw: our message sent (or not), a reply, a deletion.

    Fields beyond ``kind``, ``post_id`` and ``at`` are set as the kind needs them: ``sent``
    has ``reply_id`` and ``permalink`` of our message (and ``author_id`` where the network
    names the post's author only then, as Instagram does), ``failed`` a ``reason``, ``reply``
    the creator's ``reply_id``, ``author_id``, ``text`` and ``permalink``.
    """

    schema_version: int = SCHEMA_VERSION
    kind: RightsEventKind
    post_id: str
    request_id: int | None = None
    reply_id: str | None = None
    author_id: str | None = None
    text: str | None = None
    permalink: str | None = None
    reason: str | None = None
    at: AwareDatetime


class AlertKind(StrEnum):
    FIRED = "fired"  # once per burst
    UPDATED = "updated"  # the burst grew meaningfully since the last message
    RESOLVED = "resolved"  # the series is back to its baseline: the incident auto-resolves


class AlertPost(_Wire):
    """One of the most-engaged negative posts of a burst, with what a person needs to open it."""

    post_id: str
    text: str
    permalink: str | None = None
    network: str
    engagement: int = Field(ge=0, description="likes + reposts + replies + quotes")
    followers: int | None = Field(default=None, ge=0)


#: Most posts an alert names as its evidence (``Alert.post_ids``), for the queue filter.
MAX_ALERT_POST_IDS = 500


class Alert(_Wire):
    """A negative spike on one hashtag, as an incident: ``fired`` once per burst, ``updated``
    when it grew, ``resolved`` when it is over. ``alert_id`` is the same for every message of
    one burst and ``sequence`` grows with each, so that a sink ignores older or repeated ones.

    Counts cover the burst's window (``window_start`` to ``window_end``); ``expected_negative``
    and ``baseline_share`` are the detector's baseline for the same stretch. ``post_ids`` are
    the burst's negative posts (at most :data:`MAX_ALERT_POST_IDS`, the earliest kept), for
    the moderation queue's "posts of this incident".
    """

    schema_version: int = SCHEMA_VERSION
    kind: AlertKind
    alert_id: str = Field(min_length=1)
    hashtag: str = Field(min_length=1)
    window_start: AwareDatetime
    window_end: AwareDatetime
    negative_count: int = Field(ge=0)
    expected_negative: float = Field(ge=0)
    total_count: int = Field(ge=0)
    negative_share: float = Field(ge=0, le=1)
    baseline_share: float = Field(ge=0, le=1)
    score: float = Field(ge=0, le=1)
    peak_score: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)
    top_posts: list[AlertPost] = Field(default_factory=list, max_length=5)
    top_terms: list[str] = Field(default_factory=list, max_length=10)
    networks: dict[str, int] = Field(default_factory=dict)
    post_ids: list[str] = Field(default_factory=list, max_length=MAX_ALERT_POST_IDS)
    sequence: int = Field(ge=0)
    detected_at: AwareDatetime
    # The hashtag's stream time (its newest post's created_at) when this message was made;
    # absent from messages of workers older than the field.
    as_of: AwareDatetime | None = None

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        return _known_schema_version(version)

    @field_validator("hashtag")
    @classmethod
    def _normalize_hashtag(cls, tag: str) -> str:
        normalized = normalize_hashtag(tag)
        if not normalized:
            raise ValueError("the hashtag is empty")
        return normalized


def _known_schema_version(version: int) -> int:
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(
            f"unsupported schema_version {version} (this build reads 1..{SCHEMA_VERSION})"
        )
    return version


class PoisonMessage(ValueError):
    """A message that will never decode or validate, however often it is retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


M = TypeVar("M", bound=_Wire)


def utcnow() -> datetime:
    return datetime.now(UTC)


def encode(message: _Wire) -> bytes:
    """The bytes of a message on the wire: compact UTF-8 JSON."""
    return message.model_dump_json().encode()


def decode(model: type[M], data: bytes | None) -> M:
    """Decode and validate one message, raising :class:`PoisonMessage` with a readable reason."""
    if data is None:
        raise PoisonMessage("empty message (null value)")
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise PoisonMessage(f"expected a JSON object, got {type(payload).__name__}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise PoisonMessage(
            f"invalid {model.__name__}: {summarize_validation_error(exc)}"
        ) from None


def summarize_validation_error(exc: ValidationError) -> str:
    """The first few validation errors as one readable line, for logs and dead letters."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "(message)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
