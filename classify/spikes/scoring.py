"""Score the alert windows that end at one bucket against the baseline expectations.

Each window (the last 1, 2, 3 and 6 buckets) is tested for negative volume, negative share
and engagement-weighted negativity; the smallest p-value, corrected for the tries, carries the
verdict. Short windows catch a sharp pile-on in its first bucket, long ones a slower build-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from classify.spikes.tails import binomial_sf, gaussian_sf, negbin_sf, nlp

WINDOWS = (1, 2, 3, 6)
# Share a new series is assumed to have before it has shown its own (posts with no history).
PRIOR_SHARE = 0.15
PRIOR_POSTS = 20.0
# An expectation floor (posts per bucket): a series that never had a negative post still has
# a small chance of one, so that 2 posts are not "infinitely" surprising.
MIN_EXPECTED = 0.02
# Fewer negative posts than this in a window: only their volume counts as evidence.
MIN_POSTS_FOR_SHARE = 3
VOLUME = "negative volume"
SHARE = "negative share"
ENGAGEMENT = "engagement-weighted negativity"


@dataclass(frozen=True)
class WindowScore:
    """The best window's evidence: -log10 p (corrected) and what it saw."""

    nlp: float
    nlp_short: float  # the best of the windows of at most 3 buckets, for "back to baseline"
    observed: float
    expected: float
    observed_total: float
    reasons: tuple[str, ...]
    volume_ok: bool  # the window of the best score holds at least min_volume


def baseline_share(level_negative: float, level_total: float, seen: int) -> float:
    """The negative share the baseline expects, shrunk toward PRIOR_SHARE while history is short."""
    posts = level_total * min(seen, 288)
    negatives = level_negative * min(seen, 288)
    return (negatives + PRIOR_SHARE * PRIOR_POSTS) / (posts + PRIOR_POSTS)


def quiet_counts(recent: list[list[float]], min_volume: int) -> WindowScore | None:
    """The score of a bucket whose windows all hold fewer than ``min_volume`` negative posts
    (most buckets): what :func:`score_counts` gives it without a burst on, found without
    scoring the windows; None when it must score them."""
    negative = 0.0
    for row in recent[-WINDOWS[-1] :]:
        negative += row[0]
    if negative >= min_volume:
        return None
    last = recent[-1]
    return WindowScore(
        nlp=0.0,
        nlp_short=0.0,
        observed=0.0 + last[0],
        expected=max(0.0 + last[3], MIN_EXPECTED),
        observed_total=0.0 + last[1],
        reasons=(),
        volume_ok=last[0] >= min_volume,
    )


def score_counts(
    recent: list[list[float]],
    spread: list[float],
    share_spread: list[float],
    share: float,
    mean_weight: float,
    min_volume: int,
    need_short: bool = True,
) -> WindowScore:
    """Score count windows; `recent` ends with the bucket being scored.

    `need_short` asks for the short windows' evidence even below the minimum volume.
    """
    tries = math.log10(3 * len(WINDOWS))
    # Per window: (nlp, nlp_short, observed, expected, observed_total, reasons, volume_ok),
    # tuples rather than WindowScores: this runs on every bucket.
    found: list[_Found] = []
    for index, (width, negative, total, engagement, expected_sum) in enumerate(
        _window_sums(recent)
    ):
        expected = max(expected_sum, MIN_EXPECTED * width)
        dispersion = spread[index]
        below = negative <= expected and engagement <= expected * mean_weight
        if below or (negative < min_volume and not (need_short and width <= 3)):
            # Nothing above the baseline, or too few posts to alert (the common cases): the
            # evidence would be 0 or unused, so the tails are skipped. While a burst is on,
            # the short windows are still scored to tell when it is over.
            found.append((0.0, 0.0, negative, expected, total, (), negative >= min_volume))
            continue
        signals = {
            VOLUME: nlp(negbin_sf(round(negative), expected, dispersion)),
            SHARE: nlp(
                binomial_sf(
                    round(negative / share_spread[index]),
                    max(1, round(total / share_spread[index])),
                    share,
                )
            ),
            ENGAGEMENT: nlp(negbin_sf(math.floor(engagement / mean_weight), expected, dispersion)),
        }
        # Share and engagement are weak evidence on a thin window: 3 of 4 posts, or one post
        # with a huge reach, is not a pile-on.
        if negative < MIN_POSTS_FOR_SHARE:
            signals[SHARE] = 0.0
            signals[ENGAGEMENT] = 0.0
        top = max(signals.values())
        corrected = max(0.0, top - tries)
        volume_ok = negative >= min_volume
        found.append(
            (
                corrected if volume_ok else 0.0,
                corrected if width <= 3 else 0.0,
                negative,
                expected,
                total,
                tuple(name for name, value in signals.items() if value >= top - 1.0),
                volume_ok,
            )
        )
    return _best(found)


_Found = tuple[float, float, float, float, float, tuple[str, ...], bool]


def _window_sums(recent: list[list[float]]) -> list[tuple[int, float, float, float, float]]:
    """(width, negatives, posts, engagement, expected negatives) of each window, in one pass."""
    sums = []
    negative = total = engagement = expected = 0.0
    for width, row in enumerate(reversed(recent[-WINDOWS[-1] :]), start=1):
        negative += row[0]
        total += row[1]
        engagement += row[2]
        expected += row[3]
        if width in WINDOWS:
            sums.append((width, negative, total, engagement, expected))
    while len(sums) < len(WINDOWS):
        # A series younger than the longest window: the longest windows hold all of it.
        sums.append((WINDOWS[len(sums)], negative, total, engagement, expected))
    return sums


def _best(found: list[_Found]) -> WindowScore:
    """The window with the strongest alertable evidence (ties: the shortest)."""
    best = found[0]
    for window in found[1:]:
        if window[0] > best[0]:
            best = window
    nlp_best, _, observed, expected, total, reasons, volume_ok = best
    return WindowScore(
        nlp=nlp_best,
        nlp_short=max(window[1] for window in found),
        observed=observed,
        expected=expected,
        observed_total=total,
        reasons=reasons if nlp_best > 0 else (),
        volume_ok=volume_ok,
    )


def score_values(
    recent: list[list[float]],
    spread: list[float],
    count_like: bool,
    two_sided: bool,
    min_volume: int,
) -> WindowScore:
    """Score value windows: Gaussian on the residual sum, or negative binomial for counts."""
    tries = math.log10(len(WINDOWS) * (2 if two_sided else 1))
    found: list[_Found] = []
    for index, width in enumerate(WINDOWS):
        rows = recent[-width:]
        observed = sum(row[0] for row in rows)
        expected = sum(row[1] for row in rows)
        variance = spread[index]
        if count_like:
            mean = max(expected, MIN_EXPECTED * width)
            up = nlp(negbin_sf(round(observed), mean, max(1.0, variance / mean)))
            down = 0.0
            if observed < expected:
                # A drop of counts: the Gaussian tail of the same spread is close enough.
                down = nlp(gaussian_sf((expected - observed) / math.sqrt(variance)))
            volume_ok = max(observed, expected) >= min_volume
        else:
            z = (observed - expected) / math.sqrt(variance)
            up = nlp(gaussian_sf(z))
            down = nlp(gaussian_sf(-z))
            volume_ok = True
        top = max(up, down) if two_sided else up
        corrected = max(0.0, top - tries)
        found.append(
            (
                corrected if volume_ok else 0.0,
                corrected if width <= 3 else 0.0,
                observed,
                expected,
                observed,
                ("value",),
                volume_ok,
            )
        )
    return _best(found)
