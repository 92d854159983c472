"""The data of ``bench/feed.py``: a feed of posts published through the API, and (PostgreSQL)
a million more cloned from one of them in SQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import text

from contract import (
    Author,
    Engagement,
    Media,
    ModelInfo,
    Platform,
    RiskLevel,
    SafetyScores,
    ScoredPost,
    Sentiment,
    SentimentScores,
    utcnow,
)
from curation_api.sink.repository import upsert_scored_posts
from database.engine import create_db_engine, create_session_factory
from database.models import Post, RightsRequest

TAG = "trailpeak"


def publish_posts(client: httpx.Client, url: str, *, count: int) -> None:
    """A brand and a feed on #trailpeak, and ``count`` posts approved with website rights."""
    brand = {"name": "Trail Peak", "hashtags": [TAG], "approval_hashtag": "#YesTrailPeak"}
    client.put("/v1/brands/trailpeak", json=brand).raise_for_status()
    terms = {"text": "You allow us to show your post on our website."}
    client.post("/v1/brands/trailpeak/terms", json=terms).raise_for_status()
    feed = {"title": "Trail Peak", "hashtags": [TAG]}
    client.put("/v1/feeds/trailpeak", json=feed).raise_for_status()
    posts = [_post(index) for index in range(count)]
    engine = create_db_engine(url)
    with create_session_factory(engine).begin() as session:
        upsert_scored_posts(session, posts)
    engine.dispose()
    for post in posts:
        client.post(f"/v1/posts/{post.post_id}/approve").raise_for_status()
        decision = {"decision": "granted", "method": "manual", "brand": "trailpeak"}
        client.post(f"/v1/posts/{post.post_id}/rights", json=decision).raise_for_status()


def _post(index: int) -> ScoredPost:
    created = utcnow() - timedelta(minutes=index)
    native_id = f"feed-{index}"
    return ScoredPost(
        platform=Platform.MASTODON,
        native_id=native_id,
        post_id=f"mastodon:{native_id}",
        hashtags=[TAG],
        text=f"Summit at sunrise with the new pack, day {index} of the trip #TrailPeak",
        author=Author(id=f"a{index}", handle=f"hiker{index}@example.social", followers=120),
        media=[
            Media(
                type="image",
                url=f"https://files.example.social/media/{native_id}.jpg",
                alt_text="A hiker on a ridge at sunrise",
            )
        ],
        permalink=f"https://example.social/@hiker{index}/{native_id}",
        created_at=created,
        collected_at=created + timedelta(seconds=5),
        engagement=Engagement(likes=index, reposts=1),
        sentiment=SentimentScores(
            label=Sentiment.POSITIVE,
            scores={s: 0.9 if s is Sentiment.POSITIVE else 0.05 for s in Sentiment},
        ),
        safety=SafetyScores(scores={}, risk=RiskLevel.NONE),
        model=ModelInfo(name="bench", version="1"),
        scored_at=created + timedelta(seconds=9),
    )


def load_posts(url: str, count: int) -> None:
    """``count`` more posts on the feed's hashtag, older than the published ones, cloned in SQL
    from ``mastodon:feed-0``; every tenth approved, with a copy of its rights request."""
    posts = [column.name for column in Post.__table__.columns]
    replaced = {
        "post_id": "'mastodon:bulk-' || g",
        "native_id": "'bulk-' || g",
        "created_at": "t.created_at - make_interval(hours => 1, secs => g)",
        "collected_at": "t.collected_at - make_interval(hours => 1, secs => g)",
        "status": "CASE WHEN g % 10 = 0 THEN 'approved' ELSE 'pending' END",
    }
    select_posts = ", ".join(replaced.get(name, f"t.{name}") for name in posts)
    requests = [column.name for column in RightsRequest.__table__.columns if column.name != "id"]
    select_requests = ", ".join("p.post_id" if n == "post_id" else f"r.{n}" for n in requests)
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO posts ({', '.join(posts)}) SELECT {select_posts} "
                "FROM posts t CROSS JOIN generate_series(1, :count) g "
                "WHERE t.post_id = 'mastodon:feed-0'"
            ),
            {"count": count},
        )
        connection.execute(
            text(
                "INSERT INTO post_hashtags (post_id, tag) SELECT post_id, :tag FROM posts "
                "WHERE post_id LIKE 'mastodon:bulk-%'"
            ),
            {"tag": TAG},
        )
        connection.execute(
            text(
                f"INSERT INTO rights_requests ({', '.join(requests)}) SELECT {select_requests} "
                "FROM posts p CROSS JOIN rights_requests r "
                "WHERE p.post_id LIKE 'mastodon:bulk-%' AND p.status = 'approved' "
                "AND r.post_id = 'mastodon:feed-0'"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
