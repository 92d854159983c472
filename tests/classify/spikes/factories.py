"""Bucket series for the detector tests: steady backgrounds and bursts on top of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from classify.spikes.model import BucketCounts

START = datetime(2026, 3, 2, tzinfo=UTC)
STEP = timedelta(minutes=5)


def steady(
    *, start: datetime = START, buckets: int = 2 * 288, total: int = 10, negative: int = 1
) -> list[BucketCounts]:
    """A flat background: the same counts in every 5-minute bucket."""
    return [
        BucketCounts(
            start=start + index * STEP,
            total=total,
            negative=negative,
            negative_engagement=float(negative),
        )
        for index in range(buckets)
    ]


def after(series: list[BucketCounts], *, total: int = 10, negative: int = 1) -> BucketCounts:
    """The bucket right after the series."""
    return BucketCounts(
        start=series[-1].start + STEP,
        total=total,
        negative=negative,
        negative_engagement=float(negative),
    )


def extend(series: list[BucketCounts], counts: list[tuple[int, int]]) -> list[BucketCounts]:
    """The series followed by buckets of (total, negative)."""
    grown = list(series)
    for total, negative in counts:
        grown.append(after(grown, total=total, negative=negative))
    return grown
