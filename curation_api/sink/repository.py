"""Idempotent writes of scored posts: replaying a topic from the start changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from contract import ScoredPost, utcnow
from database.feed_versions import bump_feeds_of_posts
from database.models import Post, PostHashtag, PostStatus

# What a newer scoring of a post may change. Never status / moderated_* (moderators own them)
# nor ingested_at (when the row first appeared).
REFRESHED_COLUMNS = (
    "platform", "native_id", "schema_version", "text",
    "author_id", "author_handle", "author_display_name", "author_followers",
    "media", "permalink", "language", "created_at", "collected_at",
    "likes", "reposts", "replies", "quotes",
    "sentiment", "sentiment_scores", "risk", "safety_scores", "garm_scores", "risk_reasons",
    "model_name", "model_version", "scored_at", "updated_at",
    "detected_language", "language_confidence", "language_supported", "low_confidence",
)  # fmt: skip

MAX_BIGINT = 2**63 - 1
MIN_BIGINT = -(2**63)

# PostgreSQL accepts at most 65535 bound parameters per statement; stay well below.
MAX_PARAMETERS = 30_000


def post_row(post: ScoredPost, *, now: datetime) -> dict[str, Any]:
    """The ``posts`` row of a scored post, as first written at ``now``."""
    language = post.detected_language
    return {
        "post_id": post.post_id,
        "platform": post.platform.value,
        "native_id": post.native_id,
        "schema_version": post.schema_version,
        "text": post.text,
        "author_id": post.author.id,
        "author_handle": post.author.handle,
        "author_display_name": post.author.display_name,
        "author_followers": post.author.followers,
        "media": [m.model_dump(mode="json") for m in post.media],
        "permalink": post.permalink,
        "language": post.language,
        "created_at": post.created_at,
        "collected_at": post.collected_at,
        "likes": post.engagement.likes,
        "reposts": post.engagement.reposts,
        "replies": post.engagement.replies,
        "quotes": post.engagement.quotes,
        "sentiment": post.sentiment.label,
        "sentiment_scores": {k.value: v for k, v in post.sentiment.scores.items()},
        "risk": post.safety.risk,
        "safety_scores": dict(post.safety.scores),
        "garm_scores": dict(post.safety.garm),
        "risk_reasons": list(post.safety.reasons),
        "model_name": post.model.name,
        "model_version": post.model.version,
        "scored_at": post.scored_at,
        "detected_language": language.code if language else None,
        "language_confidence": language.confidence if language else None,
        "language_supported": language.supported if language else None,
        "low_confidence": post.low_confidence,
        "status": PostStatus.PENDING,
        "ingested_at": now,
        "updated_at": now,
    }


def unstorable_reason(post: ScoredPost) -> str | None:
    """Why the database cannot store ``post`` faithfully, or None.

    The contract allows what the columns do not: integers beyond BIGINT and NUL characters
    (PostgreSQL text refuses them; SQLite would store them). Checked before writing, so that
    such a post is poison on both backends alike.
    """
    row = post_row(post, now=post.scored_at)
    values = [*row.items(), *(("hashtags", tag) for tag in post.hashtags)]
    for name, value in values:
        if isinstance(value, int) and not MIN_BIGINT <= value <= MAX_BIGINT:
            return f"{name} {value} does not fit a 64-bit integer"
        if isinstance(value, str) and "\x00" in value:
            return f"{name} contains a NUL character"
    return None


def latest_per_post(posts: Sequence[ScoredPost]) -> list[ScoredPost]:
    """One post per ``post_id``, the most recently scored one.

    A batch can hold the same post twice (a re-score, a redelivery); PostgreSQL refuses an
    ``ON CONFLICT DO UPDATE`` that touches one row twice in a statement.
    """
    latest: dict[str, ScoredPost] = {}
    for post in posts:
        seen = latest.get(post.post_id)
        if seen is None or post.scored_at > seen.scored_at:
            latest[post.post_id] = post
    return list(latest.values())


def upsert_scored_posts(session: Session, posts: Sequence[ScoredPost]) -> None:
    """Insert new posts and refresh known ones whose scores are newer, in one statement per
    table (per chunk of a huge batch); hashtags are added, never removed. Only flushes: the
    caller owns the transaction.
    """
    unique = latest_per_post(posts)
    if not unique:
        return
    insert = _dialect_insert(session)
    now = utcnow()
    rows = [post_row(post, now=now) for post in unique]
    tags = [{"post_id": p.post_id, "tag": tag} for p in unique for tag in p.hashtags]

    shown: list[str] = []  # approved posts this batch changed: their feeds change
    for chunk in _chunks(rows, MAX_PARAMETERS // len(rows[0])):
        statement = insert(Post).values(chunk)
        excluded = statement.excluded
        changed = session.execute(
            statement.on_conflict_do_update(
                index_elements=[Post.post_id],
                set_={name: excluded[name] for name in REFRESHED_COLUMNS},
                # A replay carries the same scored_at and an older message an earlier one:
                # neither may change the row (nor its updated_at).
                where=excluded.scored_at > Post.scored_at,
            ).returning(Post.post_id, Post.status)
        )
        shown.extend(post_id for post_id, status in changed if status == PostStatus.APPROVED)
    for chunk in _chunks(tags, MAX_PARAMETERS // 2):
        session.execute(
            insert(PostHashtag)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=[PostHashtag.post_id, PostHashtag.tag])
        )
    bump_feeds_of_posts(session.connection(), shown)  # after the tags: a new tag's feed too
    session.flush()


def _dialect_insert(session: Session) -> Any:
    # Both dialects spell the upsert the same way (on_conflict_do_update/do_nothing) but each
    # has its own Insert construct.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the sink supports PostgreSQL and SQLite, not {dialect}")


def _chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]
