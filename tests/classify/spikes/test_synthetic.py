"""The synthetic stream generator: seeded, shaped like hashtag counts, bursts where it says."""

from __future__ import annotations

import statistics

from classify.spikes.synthetic import bucket_posts, generate_stream


def test_same_seed_same_stream() -> None:
    assert generate_stream(7, days=2) == generate_stream(7, days=2)
    assert generate_stream(7, days=2) != generate_stream(8, days=2)


def test_background_is_low_counts_with_a_daily_rhythm_and_bursts_at_their_times() -> None:
    stream = generate_stream(2, days=4, bursts=1, posts_per_bucket=1.0)
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    assert len(buckets) == 4 * 288
    burst = stream.bursts[0]
    inside = [
        b
        for b in buckets
        if burst.start.timestamp() - 300 < b.start.timestamp() <= burst.end.timestamp()
    ]
    assert sum(b.negative for b in inside) >= burst.posts
    quiet = [b.total for b in buckets[:288]]
    assert statistics.median(quiet) <= 3
    by_hour = [sum(quiet[h * 12 : (h + 1) * 12]) for h in range(24)]
    assert max(by_hour) > 3 * min(by_hour) + 1
