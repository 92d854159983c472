"""How the detector's baselines learn from each bucket: levels, profiles and spreads."""

from __future__ import annotations

import math
from dataclasses import replace

from classify.spikes.baseline import Profile
from classify.spikes.model import DetectorState
from classify.spikes.scoring import WINDOWS, baseline_share

DAY_S = 86400.0
# Level memory: about a day for counts (growth), two hours for generic values (drift; tuned
# on the labelled anomaly series).
COUNT_LEVEL_MEMORY_S = DAY_S
VALUE_LEVEL_MEMORY_S = 2 * 3600.0
# Profile memories: an hour cell is seen 12 times a day (5-minute buckets), a weekday 288.
DAILY_MEMORY_S = 7 * DAY_S
WEEKLY_MEMORY_S = 28 * DAY_S
SPREAD_MEMORY_S = 3 * DAY_S
# While firing, the baseline learns at this fraction of its rate, for at most this long.
FIRING_WEIGHT = 0.1
FIRING_DAMPED_S = 3600.0


def learn_bucket(
    state: DetectorState,
    bucket_s: int,
    row: list[float],
    hour: int,
    weekday: int,
    recent: list[list[float]],
) -> None:
    """Move the baselines toward one observed bucket (`row`, as kept in `state.recent`).

    While a burst is on, for its first hour, the update is damped and clipped, so that the
    burst itself does not become the baseline; afterwards it is not, so that a lasting
    level shift is absorbed and the burst can end.
    """
    damped = state.firing and state.firing_buckets * bucket_s < FIRING_DAMPED_S
    weight = FIRING_WEIGHT if damped else 1.0
    n = state.seen + 1
    counts = state.mode == "counts"
    memory = COUNT_LEVEL_MEMORY_S if counts else VALUE_LEVEL_MEMORY_S
    rate = weight * max(bucket_s / memory, 1.0 / n)
    spread_rate = weight * max(bucket_s / SPREAD_MEMORY_S, 1.0 / n)
    daily_rate = 3600.0 / DAILY_MEMORY_S
    weekly_rate = bucket_s / WEEKLY_MEMORY_S
    hour_factor = state.profile.factor(hour, weekday)
    _learn_spread(recent, state, spread_rate)
    if counts:
        factor = max(hour_factor, 1e-3)
        negative = _clip_count(row[0], row[3], state.spread[0])
        total = row[1] - row[0] + negative
        engagement = row[2] * (negative / row[0]) if row[0] > 0 else row[2]
        state.level_negative += rate * (negative / factor - state.level_negative)
        state.level_total += rate * (total / factor - state.level_total)
        state.level_engagement += rate * (engagement / factor - state.level_engagement)
        state.profile.update(
            hour,
            weekday,
            total,
            state.level_total,
            daily_rate * bucket_s / 3600.0,
            weekly_rate,
            weight,
        )
    else:
        sigma = math.sqrt(state.spread[0]) if state.spread[0] > 0 else math.inf
        residual = max(-4 * sigma, min(4 * sigma, row[0] - row[1]))
        value = row[1] + residual
        state.level_total += rate * (value - hour_factor - state.level_total)
        state.profile.update(
            hour,
            weekday,
            value,
            state.level_total,
            daily_rate * bucket_s / 3600.0,
            weekly_rate,
            weight,
        )


def _learn_spread(recent: list[list[float]], state: DetectorState, rate: float) -> None:
    if state.mode == "counts":
        _learn_count_spread(recent, state, rate)
        return
    for index, width in enumerate(WINDOWS):
        deviation = sum(r[0] - r[1] for r in recent[-width:])
        contribution = deviation**2
        if state.spread[index] > 0:
            contribution = min(contribution, 16.0 * state.spread[index])
        state.spread[index] += rate * (contribution - state.spread[index])


def _learn_count_spread(recent: list[list[float]], state: DetectorState, rate: float) -> None:
    # Written out (loops and conditionals for sum, min and max, with their results to the
    # bit): this runs on every bucket of every hashtag.
    share = baseline_share(state.level_negative, state.level_total, state.seen)
    kept = 1 - share
    spread, share_spread = state.spread, state.share_spread
    for index, width in enumerate(WINDOWS):
        observed = expected = total = 0.0
        for r in recent[-width:]:  # oldest first, as sum() adds them
            observed += r[0]
            expected += r[3]
            total += r[1]
        contribution = (observed - expected) ** 2 / (expected if expected >= 0.5 else 0.5)
        if contribution >= 30.0:
            contribution = 30.0
        # The share varies less than the volume (a busy hour brings both kinds of posts), so
        # its own dispersion, not the volume's, widens the share test.
        if total > 0:
            spread_share = (observed - share * total) ** 2 / (total * share * kept)
            if spread_share >= 30.0:
                spread_share = 30.0
            share_spread[index] += rate * (spread_share - share_spread[index])
        spread[index] += rate * (contribution - spread[index])


def _clip_count(observed: float, expected: float, dispersion: float) -> float:
    # A bucket far above its expectation teaches the baseline only a few standard deviations.
    ceiling = expected + 3.0 * math.sqrt(max(expected, 0.5) * max(1.0, dispersion)) + 1.0
    return min(observed, ceiling)


def copy_state(state: DetectorState) -> DetectorState:
    """A copy of the state that learning can change without touching the original."""
    # What learning mutates, copied (cheaper than a deepcopy).
    profile = state.profile
    return replace(
        state,
        profile=Profile(
            multiplicative=profile.multiplicative,
            daily=profile.daily[:],
            weekly=profile.weekly[:],
            daily_seen=profile.daily_seen[:],
            weekly_seen=profile.weekly_seen[:],
        ),
        spread=state.spread[:],
        share_spread=state.share_spread[:],
        recent=[row[:] for row in state.recent],
    )
