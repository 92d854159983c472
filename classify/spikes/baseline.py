"""Seasonal baselines: a slow level times (or plus) an hour-of-day and a weekday profile.

Social volume follows the clock (evenings, weekends) and grows slowly with the brand. A level
smoothed over about a day follows the growth; the two small profiles (24 hours, 7 weekdays)
carry the rhythm. An hour-of-day x weekday grid (168 cells) would learn too slowly at 0-3
posts per bucket; the product of two profiles learns from every bucket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

HOURS = 24
WEEKDAYS = 7
# A profile cell's ratio (counts) is clipped here so that one burst cannot bend the rhythm.
MAX_RATIO = 5.0
# A profile cell never reaches 0: an hour that was always empty may still see a post.
MIN_FACTOR = 0.05
# Buckets of each weekday seen before the weekly profile is used.
WEEKLY_READY = 96


def slots(start_s: float) -> tuple[int, int]:
    """(hour of day, weekday with Monday 0) of a bucket start in epoch seconds, UTC."""
    hour = int(start_s // 3600) % HOURS
    # 1970-01-01 was a Thursday (weekday 3).
    weekday = (int(start_s // 86400) + 3) % WEEKDAYS
    return hour, weekday


@dataclass
class Profile:
    """Hour-of-day and weekday profiles, multiplicative (mean 1) or additive (mean 0)."""

    multiplicative: bool
    daily: list[float] = field(default_factory=list)
    weekly: list[float] = field(default_factory=list)
    daily_seen: list[int] = field(default_factory=list)
    weekly_seen: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        neutral = 1.0 if self.multiplicative else 0.0
        if not self.daily:
            self.daily = [neutral] * HOURS
            self.daily_seen = [0] * HOURS
        if not self.weekly:
            self.weekly = [neutral] * WEEKDAYS
            self.weekly_seen = [0] * WEEKDAYS

    def weekly_ready(self) -> bool:
        """Every weekday seen for a while: before that, a weekday's first hours would set its
        cell alone, and the baseline would jump at every midnight."""
        return min(self.weekly_seen) >= WEEKLY_READY

    def week(self, weekday: int) -> float:
        """The weekday cell in use (neutral until the weekly profile is ready)."""
        if self.weekly_ready():
            return self.weekly[weekday]
        return 1.0 if self.multiplicative else 0.0

    def factor(self, hour: int, weekday: int) -> float:
        """The seasonal factor (multiplicative) or offset (additive) of a slot."""
        if self.multiplicative:
            return self.daily[hour] * self.week(weekday)
        return self.daily[hour] + self.week(weekday)

    def update(
        self,
        hour: int,
        weekday: int,
        observed: float,
        level: float,
        daily_rate: float,
        weekly_rate: float,
        weight: float,
    ) -> None:
        """Move the two cells of this slot toward what the observation says about them.

        The rates are floored by 1/n per cell so that a fresh profile learns from its first
        observations instead of staying flat for weeks.
        """
        self.daily_seen[hour] += 1
        self.weekly_seen[weekday] += 1
        g_day = weight * max(daily_rate, 1.0 / self.daily_seen[hour])
        g_week = weight * max(weekly_rate, 1.0 / self.weekly_seen[weekday])
        if self.multiplicative:
            if level <= 1e-9:
                return
            week = self.weekly[weekday] if self.weekly_ready() else 1.0
            day_target = min(MAX_RATIO, observed / (level * week))
            self.daily[hour] = max(
                MIN_FACTOR, self.daily[hour] + g_day * (day_target - self.daily[hour])
            )
            week_target = min(MAX_RATIO, observed / (level * self.daily[hour]))
            self.weekly[weekday] = max(
                MIN_FACTOR, self.weekly[weekday] + g_week * (week_target - self.weekly[weekday])
            )
            _rescale(self.daily, HOURS)
            _rescale(self.weekly, WEEKDAYS)
        else:
            day_target = observed - level - self.week(weekday)
            self.daily[hour] += g_day * (day_target - self.daily[hour])
            week_target = observed - level - self.daily[hour]
            self.weekly[weekday] += g_week * (week_target - self.weekly[weekday])
            _center(self.daily)
            _center(self.weekly)


def _rescale(values: list[float], size: int) -> None:
    # Mean 1 keeps the level meaning "posts per average bucket".
    mean = math.fsum(values) / size
    if mean > 1e-9:
        ratios = [value / mean for value in values]
        # The floor is rarely needed: checked once for all cells (this runs on every bucket).
        if min(ratios) < MIN_FACTOR:
            ratios = [ratio if ratio >= MIN_FACTOR else MIN_FACTOR for ratio in ratios]
        values[:] = ratios


def _center(values: list[float]) -> None:
    mean = math.fsum(values) / len(values)
    for i in range(len(values)):
        values[i] -= mean
