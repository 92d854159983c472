"""Real ``contract`` messages with sensible defaults; keyword-only arguments."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from contract import (
    Author,
    DetectedLanguage,
    Engagement,
    Media,
    ModelInfo,
    Platform,
    RiskLevel,
    SafetyScores,
    ScoredPost,
    Sentiment,
    SentimentScores,
)
from curation_api.sink.repository import upsert_scored_posts

MODERATOR_KEY = "test-moderator-key"
MODERATOR = {"X-API-Key": MODERATOR_KEY}

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
_native_ids = itertools.count(1000)

ENGLISH = DetectedLanguage(code="en", confidence=0.98, supported=True)


def scored_post(
    *,
    platform: Platform = Platform.MASTODON,
    native_id: str | None = None,
    hashtags: Sequence[str] = ("mybrand",),
    text: str = "Loving the new #mybrand trail shoes",
    author_handle: str = "alice@example.social",
    created_at: datetime = T0,
    scored_at: datetime | None = None,
    sentiment: Sentiment = Sentiment.POSITIVE,
    risk: RiskLevel = RiskLevel.NONE,
    likes: int | None = 3,
    followers: int | None = 120,
    model_version: str = "1",
    detected_language: DetectedLanguage | None = ENGLISH,
    low_confidence: bool = False,
) -> ScoredPost:
    native_id = native_id or str(next(_native_ids))
    return ScoredPost(
        platform=platform,
        native_id=native_id,
        post_id=f"{platform.value}:{native_id}",
        hashtags=list(hashtags),
        text=text,
        author=Author(
            id=f"acct-{author_handle}",
            handle=author_handle,
            display_name=author_handle.split("@")[0].title(),
            followers=followers,
        ),
        media=[Media(type="image", url=f"https://cdn.example/{native_id}.jpg", alt_text="shoes")],
        permalink=f"https://example.social/@alice/{native_id}",
        language="en",
        created_at=created_at,
        collected_at=created_at + timedelta(seconds=5),
        engagement=Engagement(likes=likes, reposts=1, replies=0, quotes=None),
        sentiment=SentimentScores(
            label=sentiment,
            scores={s: (0.8 if s == sentiment else 0.1) for s in Sentiment},
        ),
        safety=SafetyScores(
            scores={"offensive": 0.02, "hate": 0.01},
            garm={"obscenity": 0.01},
            risk=risk,
            reasons=[] if risk == RiskLevel.NONE else [f"{risk.value} risk"],
        ),
        model=ModelInfo(name="ugc-default", version=model_version),
        scored_at=scored_at or created_at + timedelta(seconds=10),
        detected_language=detected_language,
        low_confidence=low_confidence,
    )


def store(session: Session, *posts: ScoredPost) -> list[ScoredPost]:
    """Write posts the way the sink does, and commit (to the test's savepoint)."""
    upsert_scored_posts(session, posts)
    session.commit()
    return list(posts)
