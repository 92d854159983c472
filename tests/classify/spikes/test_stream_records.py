"""The repartitioned records of the spike stream: one per hashtag per batch, in time order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from classify.spikes.model import post_weight
from classify.spikes.worker import post_records, read_posts
from contract import Sentiment
from tests.curation_api.curation_factories import scored_post

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_batch_makes_one_record_per_hashtag_sorted_by_time_with_evidence_of_negatives() -> None:
    later = scored_post(
        hashtags=["trailpeak", "hiking"],
        created_at=T0.replace(minute=5),
        sentiment=Sentiment.NEGATIVE,
        likes=40,
        followers=900,
    )
    earlier = scored_post(
        hashtags=["trailpeak"], created_at=T0, sentiment=Sentiment.POSITIVE, likes=1
    )

    records = post_records([later, earlier], now=T0.timestamp() + 3600)

    assert set(records) == {"trailpeak", "hiking"}
    posts = read_posts(json.loads(records["trailpeak"]))
    assert [p.created_at for p in posts] == [T0.timestamp(), T0.replace(minute=5).timestamp()]
    assert [p.negative for p in posts] == [False, True]
    assert posts[0].post is None
    assert posts[1].post is not None
    assert posts[1].post.post_id == later.post_id
    assert posts[1].weight == post_weight(40 + 1, 900)  # likes and the one repost


def test_a_post_from_the_future_counts_as_posted_now() -> None:
    post = scored_post(hashtags=["trailpeak"], created_at=T0)

    records = post_records([post], now=T0.timestamp() - 60)

    assert read_posts(json.loads(records["trailpeak"]))[0].created_at == T0.timestamp() - 60


def test_a_one_post_record_of_an_older_worker_is_still_read() -> None:
    old = {
        "created_at": T0.timestamp(),
        "negative": True,
        "hashtag": "trailpeak",
        "post": {
            "post_id": "mastodon:1",
            "text": "the sole cracked",
            "permalink": None,
            "network": "mastodon",
            "engagement": 12,
            "followers": 300,
        },
    }

    (post,) = read_posts(old)

    assert post.negative
    assert post.post is not None
    assert post.post.text == "the sole cracked"
    assert post.weight == post_weight(12, 300)
