"""Synthetic posts for the spike stream tests: a flat background and negative bursts, with
``created_at`` in stream time (epoch seconds) so that hours pass in milliseconds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from classify.spikes.evidence import EvidencePost
from classify.spikes.model import post_weight
from classify.spikes.stream_state import PostSeen

BUCKET_S = 300
# A Monday at 00:00 UTC, on a bucket boundary.
T0 = 1_772_409_600.0
_ids = itertools.count(1)


@dataclass(frozen=True)
class SyntheticPost:
    at: float
    negative: bool
    text: str
    engagement: int = 3
    followers: int = 200


def background(start: float, buckets: int, *, per_bucket: int = 3) -> list[SyntheticPost]:
    """``per_bucket`` posts in each bucket, one negative every other bucket."""
    posts = []
    for index in range(buckets):
        base = start + index * BUCKET_S
        for slot in range(per_bucket):
            negative = slot == 0 and index % 2 == 0
            text = "meh, the laces came loose" if negative else "great trail run today"
            posts.append(SyntheticPost(base + 10 + slot * 90, negative, text))
    return posts


def burst(start: float, posts: int, *, minutes: float = 10) -> list[SyntheticPost]:
    """``posts`` negative posts spread over ``minutes``, the later ones more engaged."""
    step = minutes * 60 / posts
    return [
        SyntheticPost(
            start + i * step,
            True,
            "the sole cracked after one week, recall now #TrailPeak",
            engagement=10 + i,
            followers=1000 + i,
        )
        for i in range(posts)
    ]


def seen(post: SyntheticPost) -> PostSeen:
    number = next(_ids)
    return PostSeen(
        created_at=post.at,
        negative=post.negative,
        weight=post_weight(post.engagement, post.followers),
        post=EvidencePost(
            post_id=f"mastodon:{number}",
            text=post.text,
            permalink=f"https://example.social/@a/{number}",
            network="mastodon",
            engagement=post.engagement,
            followers=post.followers,
        ),
    )
