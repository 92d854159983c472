"""The detector's public types and its serializable state."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from classify.spikes.baseline import Profile

Sensitivity = Literal["fewer", "balanced", "more"]
Direction = Literal["up", "both"]

# -log10 p-value (after the correction for the signals and windows tried) at which a burst
# fires; tuned on synthetic social streams and the labelled anomaly series (bench/).
THRESHOLDS: dict[str, float] = {"fewer": 7.0, "balanced": 5.0, "more": 3.5}
# The score is -log10 p / SCORE_SCALE, capped at 1: balanced fires at 0.5.
SCORE_SCALE = 10.0


@dataclass(frozen=True)
class DetectorConfig:
    """Settings of one series (one hashtag); all may change with `reconfigure`."""

    sensitivity: Sensitivity = "balanced"
    min_volume: int = 10  # negative posts in the alert window before an alert may fire
    cooldown_s: float = 3600.0  # after a burst ended, no new alert on this series for this long
    bucket_s: int = 300  # 5-minute buckets
    # Extensions: no alert before this much history (the baselines need one daily cycle).
    warmup_s: float = 86400.0
    # "up" for the product (negative bursts); "both" scores drops too (generic series).
    direction: Direction = "up"

    @property
    def threshold(self) -> float:
        """The -log10 p-value at which a burst fires."""
        return THRESHOLDS[self.sensitivity]


@dataclass(frozen=True)
class BucketCounts:
    """What one time bucket of one series holds."""

    start: datetime  # aware UTC, a multiple of bucket_s since the epoch
    total: int = 0  # posts in the bucket
    negative: int = 0  # negative posts in it
    negative_engagement: float = 0.0  # sum of post_weight over its negative posts
    value: float | None = None  # a generic series value; when set, it is the series scored


@dataclass(frozen=True)
class Verdict:
    """The detector's judgement of one bucket."""

    start: datetime
    score: float  # 0..1
    alert: bool  # True only on the bucket where a new burst fires
    firing: bool  # a burst is on (from the firing bucket until it ends)
    ended: bool  # True on the bucket where the burst is back to baseline long enough
    observed_negative: float  # in the alert window (or the value)
    expected_negative: float  # the baseline for the same window
    negative_share: float
    baseline_share: float
    reasons: tuple[str, ...]


def post_weight(engagement: int, followers: int | None) -> float:
    """The weight of one negative post in the engagement-weighted negativity, in [1, 3].

    Logarithmic and capped: a post with a million likes from an account with ten million
    followers weighs 3 ordinary posts, so that one post with huge reach cannot make an
    alert by itself, while a pile-on of engaged posts still weighs more than a quiet one.
    """
    reach = math.log10(1.0 + max(0, followers or 0)) / 7.0
    engaged = math.log10(1.0 + max(0, engagement)) / 4.0
    return 1.0 + min(1.0, engaged) + min(1.0, reach)


@dataclass
class DetectorState:
    """Everything the detector remembers, bounded in size, JSON-ready via `asdict`."""

    version: int = 1
    mode: str = ""  # "" before the first bucket, then "counts" or "value"
    last_start: float | None = None  # epoch seconds of the last observed bucket
    first_start: float | None = None
    seen: int = 0  # buckets observed
    level_total: float = 0.0  # deseasonalized posts per bucket
    level_negative: float = 0.0
    level_engagement: float = 0.0
    profile: Profile = field(default_factory=lambda: Profile(multiplicative=True))
    # Per alert window: dispersion (counts: variance / mean) or variance (values) of the sum.
    spread: list[float] = field(default_factory=list)
    # Per alert window: dispersion of the negative count given the total (the share test).
    share_spread: list[float] = field(default_factory=list)
    # The last buckets: [negative, total, engagement, expected negative, expected total,
    # expected engagement] (counts) or [value, expected value] (values).
    recent: list[list[float]] = field(default_factory=list)
    count_like: bool = True  # value mode: every value so far a small non-negative integer
    firing: bool = False
    firing_since: float | None = None
    firing_buckets: int = 0
    quiet_buckets: int = 0
    cooldown_until: float | None = None
    fired_early: float | None = None  # a bucket whose burst a peek already fired
