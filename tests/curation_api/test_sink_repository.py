"""The sink's upsert: idempotent, never touches moderation, newer scores win."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contract import DetectedLanguage, RiskLevel, ScoredPost, Sentiment
from curation_api.sink import repository
from curation_api.sink.repository import unstorable_reason, upsert_scored_posts
from database.models import Post, PostHashtag, PostStatus
from tests.curation_api.curation_factories import ENGLISH, T0, scored_post


def snapshot(session: Session) -> dict[str, Any]:
    """Every column of every post and hashtag row, as stored."""
    session.expire_all()
    posts = {
        p.post_id: {c.key: getattr(p, c.key) for c in Post.__mapper__.column_attrs}
        for p in session.scalars(select(Post))
    }
    tags = sorted(session.execute(select(PostHashtag.post_id, PostHashtag.tag)))
    return {"posts": posts, "tags": tags}


def stored(session: Session, post: ScoredPost) -> Post:
    session.expire_all()
    row = session.get(Post, post.post_id)
    assert row is not None
    return row


def test_replaying_the_same_posts_changes_no_column(session: Session) -> None:
    posts = [scored_post(hashtags=["mybrand", "summer"]) for _ in range(3)]
    upsert_scored_posts(session, posts)
    session.commit()
    before = snapshot(session)

    upsert_scored_posts(session, posts)
    session.commit()

    assert snapshot(session) == before
    assert len(before["posts"]) == 3
    assert len(before["tags"]) == 6


def test_new_posts_are_pending_with_every_contract_field(session: Session) -> None:
    post = scored_post(sentiment=Sentiment.NEGATIVE, risk=RiskLevel.HIGH, likes=None)
    upsert_scored_posts(session, [post])

    row = stored(session, post)
    assert row.status == PostStatus.PENDING
    assert row.moderated_at is None
    assert (row.platform, row.native_id, row.text) == ("mastodon", post.native_id, post.text)
    assert (row.author_handle, row.author_followers) == ("alice@example.social", 120)
    assert row.media == [m.model_dump(mode="json") for m in post.media]
    assert (row.likes, row.reposts) == (None, 1)
    assert (row.sentiment, row.risk) == (Sentiment.NEGATIVE, RiskLevel.HIGH)
    assert row.sentiment_scores == {"negative": 0.8, "neutral": 0.1, "positive": 0.1}
    assert (row.safety_scores, row.garm_scores) == (post.safety.scores, post.safety.garm)
    assert row.risk_reasons == ["high risk"]
    assert (row.model_name, row.model_version, row.schema_version) == ("ugc-default", "1", 1)
    assert row.ingested_at == row.updated_at


def test_datetimes_read_back_timezone_aware_in_utc(session: Session) -> None:
    paris = timezone(timedelta(hours=2))
    post = scored_post(created_at=datetime(2025, 6, 1, 14, 0, tzinfo=paris))
    upsert_scored_posts(session, [post])

    row = stored(session, post)
    assert row.created_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert row.created_at.utcoffset() == timedelta(0)
    assert row.scored_at.tzinfo is not None
    assert row.ingested_at.tzinfo is not None


def test_newer_scores_refresh_the_post_but_keep_its_moderation(session: Session) -> None:
    post = scored_post(sentiment=Sentiment.POSITIVE)
    upsert_scored_posts(session, [post])
    row = stored(session, post)
    row.status, row.moderated_by, row.moderated_at = PostStatus.APPROVED, "ana", T0
    session.commit()
    first = stored(session, post)
    ingested_at, updated_at = first.ingested_at, first.updated_at

    rescored = post.model_copy(
        update={
            "sentiment": post.sentiment.model_copy(update={"label": Sentiment.NEGATIVE}),
            "model": post.model.model_copy(update={"version": "2"}),
            "scored_at": post.scored_at + timedelta(hours=1),
        }
    )
    upsert_scored_posts(session, [rescored])

    row = stored(session, post)
    assert (row.sentiment, row.model_version) == (Sentiment.NEGATIVE, "2")
    assert row.scored_at == rescored.scored_at
    assert (row.status, row.moderated_by, row.moderated_at) == (PostStatus.APPROVED, "ana", T0)
    assert row.ingested_at == ingested_at
    assert row.updated_at > updated_at


def test_older_scores_never_overwrite_newer_ones(session: Session) -> None:
    newer = scored_post(model_version="2", scored_at=T0 + timedelta(hours=2))
    older = newer.model_copy(update={"model": newer.model.model_copy(update={"version": "1"})})
    older = older.model_copy(update={"scored_at": T0 + timedelta(hours=1)})
    upsert_scored_posts(session, [newer])
    before = snapshot(session)

    upsert_scored_posts(session, [older])

    assert snapshot(session) == before


def test_a_batch_holding_one_post_twice_keeps_the_newest_scoring(session: Session) -> None:
    post = scored_post(model_version="1")
    rescored = post.model_copy(
        update={
            "model": post.model.model_copy(update={"version": "2"}),
            "scored_at": post.scored_at + timedelta(minutes=1),
        }
    )
    upsert_scored_posts(session, [rescored, post])

    assert stored(session, post).model_version == "2"


def test_hashtags_of_a_rescoring_are_added_and_earlier_ones_kept(session: Session) -> None:
    post = scored_post(hashtags=["mybrand"])
    retagged = post.model_copy(
        update={"hashtags": ["mybrand", "sale"], "scored_at": post.scored_at + timedelta(1)}
    )
    upsert_scored_posts(session, [post])
    upsert_scored_posts(session, [retagged])

    assert [t for _, t in snapshot(session)["tags"]] == ["mybrand", "sale"]


def test_a_batch_larger_than_one_statement_allows_is_written_in_chunks(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(repository, "MAX_PARAMETERS", 200)  # a handful of rows per statement
    posts = [scored_post(hashtags=["mybrand", "bulk"]) for _ in range(25)]
    upsert_scored_posts(session, posts)

    snap = snapshot(session)
    assert len(snap["posts"]) == 25
    assert len(snap["tags"]) == 50


def test_an_empty_batch_writes_nothing(session: Session) -> None:
    upsert_scored_posts(session, [])
    assert snapshot(session) == {"posts": {}, "tags": []}


@pytest.mark.parametrize(
    ("post", "reason"),
    [
        (scored_post(text="nul \x00 inside"), "text contains a NUL character"),
        (scored_post(followers=2**63), "author_followers 9223372036854775808 does not fit"),
        (scored_post(hashtags=["ok", "bad\x00tag"]), "hashtags contains a NUL character"),
    ],
)
def test_posts_the_database_cannot_store_faithfully_are_named(
    post: ScoredPost, reason: str
) -> None:
    assert reason in (unstorable_reason(post) or "")


def test_an_ordinary_post_is_storable() -> None:
    assert unstorable_reason(scored_post()) is None


# --- Detected language ----------------------------------------------------------------------

FRENCH_UNSUPPORTED = DetectedLanguage(code="fr", confidence=0.91, supported=False)
TOO_SHORT = DetectedLanguage(code=None, confidence=0.0, supported=False)


def language_columns(row: Post) -> tuple[str | None, float | None, bool | None, bool]:
    return (
        row.detected_language,
        row.language_confidence,
        row.language_supported,
        row.low_confidence,
    )


@pytest.mark.parametrize(
    ("language", "low_confidence", "expected"),
    [
        (ENGLISH, False, ("en", 0.98, True, False)),
        (FRENCH_UNSUPPORTED, True, ("fr", 0.91, False, True)),
        (TOO_SHORT, True, (None, 0.0, False, True)),
        (None, False, (None, None, None, False)),
    ],
)
def test_the_detected_language_and_low_confidence_flag_are_stored(
    session: Session,
    language: DetectedLanguage | None,
    low_confidence: bool,
    expected: tuple[Any, ...],
) -> None:
    post = scored_post(detected_language=language, low_confidence=low_confidence)
    upsert_scored_posts(session, [post])

    assert language_columns(stored(session, post)) == expected


def test_replaying_posts_with_every_kind_of_detection_changes_no_column(session: Session) -> None:
    posts = [
        scored_post(detected_language=ENGLISH),
        scored_post(detected_language=FRENCH_UNSUPPORTED, low_confidence=True),
        scored_post(detected_language=TOO_SHORT, low_confidence=True),
        scored_post(detected_language=None),
    ]
    upsert_scored_posts(session, posts)
    session.commit()
    before = snapshot(session)

    upsert_scored_posts(session, posts)
    session.commit()

    assert snapshot(session) == before


def test_newer_scores_replace_the_detected_language_and_flag(session: Session) -> None:
    # An older classifier sent no detection; the re-score by a newer one fills it in.
    post = scored_post(detected_language=None, low_confidence=False)
    upsert_scored_posts(session, [post])

    rescored = post.model_copy(
        update={
            "detected_language": FRENCH_UNSUPPORTED,
            "low_confidence": True,
            "scored_at": post.scored_at + timedelta(hours=1),
        }
    )
    upsert_scored_posts(session, [rescored])

    assert language_columns(stored(session, post)) == ("fr", 0.91, False, True)


def test_newer_scores_without_a_detection_clear_the_stored_one(session: Session) -> None:
    post = scored_post(detected_language=FRENCH_UNSUPPORTED, low_confidence=True)
    upsert_scored_posts(session, [post])

    rescored = post.model_copy(
        update={
            "detected_language": None,
            "low_confidence": False,
            "scored_at": post.scored_at + timedelta(hours=1),
        }
    )
    upsert_scored_posts(session, [rescored])

    assert language_columns(stored(session, post)) == (None, None, None, False)


def test_an_older_scoring_never_overwrites_the_detected_language(session: Session) -> None:
    newer = scored_post(detected_language=ENGLISH, scored_at=T0 + timedelta(hours=2))
    older = newer.model_copy(
        update={
            "detected_language": FRENCH_UNSUPPORTED,
            "low_confidence": True,
            "scored_at": T0 + timedelta(hours=1),
        }
    )
    upsert_scored_posts(session, [newer])
    before = snapshot(session)

    upsert_scored_posts(session, [older])

    assert snapshot(session) == before
