"""Upper-tail probabilities for counts and values, in pure Python.

Counts in 5-minute buckets are small (0-3 posts), so a z-score is meaningless there; these
tails are exact sums of the probability mass, taken from the observed count upwards so that
very small p-values keep their precision (1 - lower sum would round them to 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

# -log10 of a p-value is capped here: beyond it every signal is simply "certain".
MAX_NLP = 50.0
_TERMS = 4000
_TINY = 1e-16


def nlp(p_value: float) -> float:
    """-log10 of a p-value, capped at MAX_NLP."""
    if p_value <= 10.0**-MAX_NLP:
        return MAX_NLP
    return min(MAX_NLP, max(0.0, -math.log10(p_value)))


def poisson_sf(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean)."""
    if count <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    if count <= mean:
        return 1.0
    log_term = count * math.log(mean) - mean - math.lgamma(count + 1)
    return _upper_sum(log_term, count, lambda k: mean / (k + 1))


def negbin_sf(count: int, mean: float, dispersion: float) -> float:
    """P(X >= count) for a negative binomial with this mean and variance mean * dispersion.

    A dispersion of 1 (or less) is the Poisson case.
    """
    if dispersion <= 1.0 + 1e-6:
        return poisson_sf(count, mean)
    if count <= 0:
        return 1.0
    mean = max(mean, 1e-9)
    if count <= mean:
        return 1.0
    size = mean / (dispersion - 1.0)
    q = mean / (size + mean)
    log_term = (
        math.lgamma(count + size)
        - math.lgamma(size)
        - math.lgamma(count + 1)
        + size * math.log1p(-q)
        + count * math.log(q)
    )
    return _upper_sum(log_term, count, lambda k: (k + size) / (k + 1) * q)


def binomial_sf(count: int, trials: int, share: float) -> float:
    """P(X >= count) for X ~ Binomial(trials, share)."""
    if count <= 0:
        return 1.0
    if count > trials:
        return 0.0
    share = min(max(share, 1e-9), 1.0 - 1e-9)
    if count <= trials * share:
        return 1.0
    log_term = (
        math.lgamma(trials + 1)
        - math.lgamma(count + 1)
        - math.lgamma(trials - count + 1)
        + count * math.log(share)
        + (trials - count) * math.log1p(-share)
    )
    odds = share / (1.0 - share)
    return _upper_sum(log_term, count, lambda k: (trials - k) / (k + 1) * odds, last=trials)


def _upper_sum(
    log_first: float, first: int, ratio: Callable[[int], float], last: int | None = None
) -> float:
    """Sum the terms from the observed count `first` upwards.

    `ratio(k)` is term(k + 1) / term(k). The first term is above the mode, so the terms fall
    and the sum stops once they no longer matter; `last` bounds the count (binomial).
    """
    if log_first < -745.0:
        return 0.0
    term = 1.0
    total = 1.0
    steps = _TERMS if last is None else min(_TERMS, last - first)
    for k in range(first, first + steps):
        term *= ratio(k)
        total += term
        if term < _TINY * total:
            break
    return min(1.0, math.exp(log_first) * total)


def gaussian_sf(z: float) -> float:
    """P(Z >= z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))
