"""Seeded synthetic social count streams with negative bursts injected at known times.

Background traffic has what hashtag counts have: a daily rhythm (quiet nights, evening peak),
a weekly one (busier weekends), slow growth, overdispersion (the rate wanders hour by hour, so
counts are more variable than Poisson), low counts (0-3 posts in most 5-minute buckets),
a background negative share of 10-20 %, and now and then one post with a huge reach. Bursts
are pile-ons: 20-80 extra negative posts over 15-40 minutes, rising fast and fading out.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from classify.spikes.model import BucketCounts, post_weight

# A Monday at midnight UTC, so that weekdays line up with the calendar in reports.
DEFAULT_START = datetime(2026, 3, 2, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticPost:
    """One post of a synthetic stream."""

    at: float  # epoch seconds
    negative: bool
    engagement: int
    followers: int
    burst: int | None = None  # the index of the burst it belongs to, if any


@dataclass(frozen=True)
class Burst:
    """One injected burst: its first post, its last post and how many posts it added."""

    start: datetime
    end: datetime
    posts: int


@dataclass(frozen=True)
class SyntheticStream:
    """A stream's posts in time order and the bursts injected into it."""

    start: datetime
    days: int
    posts: list[SyntheticPost]
    bursts: list[Burst]


def _rhythm(moment: float) -> float:
    hour = (moment % 86400.0) / 3600.0
    weekday = (int(moment // 86400) + 3) % 7
    # Quiet at 4 am, busiest around 8 pm; weekends 30 % busier.
    daily = 1.0 + 0.7 * math.cos((hour - 20.0) / 24.0 * 2.0 * math.pi)
    return daily * (1.3 if weekday >= 5 else 1.0)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small means of one 5-minute slice.
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _background_post(rng: random.Random, at: float, share: float) -> SyntheticPost:
    followers = int(rng.lognormvariate(6.0, 1.8))
    engagement = int(rng.lognormvariate(1.0, 1.5))
    return SyntheticPost(
        at=at, negative=rng.random() < share, engagement=engagement, followers=followers
    )


def generate_stream(
    seed: int,
    *,
    days: int = 7,
    start: datetime = DEFAULT_START,
    posts_per_bucket: float | None = None,
    bursts: int = 2,
    burst_posts: tuple[int, int] = (20, 80),
    burst_minutes: tuple[int, int] = (15, 40),
    growth_per_day: float = 0.02,
    outliers_per_day: float = 1.0,
) -> SyntheticStream:
    """A stream of `days` days; `posts_per_bucket` is the average 5-minute volume (default:
    drawn between 0.5 and 4). Bursts start after the first two days (the detector's warm-up
    is one) and at least 12 hours apart."""
    rng = random.Random(seed)
    base = posts_per_bucket if posts_per_bucket is not None else rng.uniform(0.5, 4.0)
    share = rng.uniform(0.10, 0.20)
    origin = start.timestamp()
    posts: list[SyntheticPost] = []
    step = 300.0
    hour_noise = 1.0
    for index in range(int(days * 86400 / step)):
        moment = origin + index * step
        if index % 12 == 0:
            # The rate wanders hour by hour: overdispersion, as real hashtags have.
            hour_noise = rng.gammavariate(8.0, 1.0 / 8.0)
        growth = 1.0 + growth_per_day * (moment - origin) / 86400.0
        mean = base * _rhythm(moment) * growth * hour_noise
        for _ in range(_poisson(rng, mean)):
            posts.append(_background_post(rng, moment + rng.random() * step, share))
        if rng.random() < outliers_per_day * step / 86400.0:
            posts.append(
                SyntheticPost(
                    at=moment + rng.random() * step,
                    negative=rng.random() < 0.5,
                    engagement=rng.randint(100_000, 2_000_000),
                    followers=rng.randint(1_000_000, 50_000_000),
                )
            )
    injected = _inject_bursts(rng, posts, origin, days, bursts, burst_posts, burst_minutes)
    posts.sort(key=lambda post: post.at)
    return SyntheticStream(start=start, days=days, posts=posts, bursts=injected)


def _inject_bursts(
    rng: random.Random,
    posts: list[SyntheticPost],
    origin: float,
    days: int,
    count: int,
    sizes: tuple[int, int],
    minutes: tuple[int, int],
) -> list[Burst]:
    found: list[Burst] = []
    earliest, latest = origin + 2 * 86400.0, origin + days * 86400.0 - 3 * 3600.0
    starts: list[float] = []
    for _ in range(200):
        if len(starts) == count or latest <= earliest:
            break
        candidate = rng.uniform(earliest, latest)
        if all(abs(candidate - other) >= 12 * 3600.0 for other in starts):
            starts.append(candidate)
    for index, first in enumerate(sorted(starts)):
        size = rng.randint(*sizes)
        duration = rng.uniform(*minutes) * 60.0
        # A pile-on rises over its first fifth, then fades: a triangular arrival shape.
        offsets = sorted(rng.triangular(0.0, duration, 0.2 * duration) for _ in range(size))
        offsets = [offset - offsets[0] for offset in offsets]
        for offset in offsets:
            posts.append(
                SyntheticPost(
                    at=first + offset,
                    negative=True,
                    engagement=int(rng.lognormvariate(2.0, 1.5)),
                    followers=int(rng.lognormvariate(6.0, 1.8)),
                    burst=index,
                )
            )
        found.append(
            Burst(
                start=datetime.fromtimestamp(first, UTC),
                end=datetime.fromtimestamp(first + offsets[-1], UTC),
                posts=size,
            )
        )
    return found


def bucket_posts(
    posts: list[SyntheticPost], start: datetime, days: int, bucket_s: int = 300
) -> list[BucketCounts]:
    """Every bucket of the stream, empty ones included, as the stream processor counts them."""
    origin = start.timestamp()
    size = int(days * 86400 // bucket_s)
    totals = [0] * size
    negatives = [0] * size
    weights = [0.0] * size
    for post in posts:
        index = int((post.at - origin) // bucket_s)
        if 0 <= index < size:
            totals[index] += 1
            if post.negative:
                negatives[index] += 1
                weights[index] += post_weight(post.engagement, post.followers)
    return [
        BucketCounts(
            start=start + timedelta(seconds=index * bucket_s),
            total=totals[index],
            negative=negatives[index],
            negative_engagement=weights[index],
        )
        for index in range(size)
    ]
