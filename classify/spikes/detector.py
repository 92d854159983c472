"""The spike detector: causal, streaming, one instance per series (hashtag).

Method. Each bucket's expected counts are a level (smoothed over about a day, so it follows a
brand's slow growth) times an hour-of-day and a weekday profile (the daily and weekly rhythm).
The last 1, 2, 3 and 6 buckets are tested against the expectation with exact tail
probabilities: a negative binomial for the negative volume (Poisson when the series shows no
overdispersion; the dispersion is measured per window length, which also absorbs the
correlation between neighbouring buckets), a binomial for the negative share, and the same
count tail for the engagement-weighted negativity (bounded weights, so one huge-reach post
weighs at most three ordinary ones). The smallest p-value, corrected for the 12 tries, is the
evidence; a burst fires when it passes the sensitivity's threshold with at least `min_volume`
negative posts in the window. While a burst is on, the baseline learns at a tenth of its rate
from clipped observations so that the burst does not become the new normal; after an hour
on, it learns at full rate again so that a real level shift is absorbed and the burst ends.

Generic series (`value` set, e.g. the labelled anomaly benchmark) use the same windows on
the residual from an additive seasonal baseline, with a Gaussian tail of the empirical
variance of each window sum, or the negative binomial while the values look like small counts.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from classify.spikes.baseline import Profile, slots
from classify.spikes.learning import DAY_S, copy_state, learn_bucket
from classify.spikes.model import (
    SCORE_SCALE,
    BucketCounts,
    DetectorConfig,
    DetectorState,
    Verdict,
)
from classify.spikes.scoring import (
    WINDOWS,
    WindowScore,
    baseline_share,
    quiet_counts,
    score_counts,
    score_values,
)

# "Back to baseline": the short windows show no evidence (p > 0.1) for this long.
QUIET_NLP = 1.0
QUIET_S = 1800.0
# Gaps longer than this are not filled bucket by bucket: the baseline just resumes.
MAX_FILL_S = 7 * DAY_S
MIN_WARMUP_BUCKETS = 12


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class SpikeDetector:
    """Scores one series bucket by bucket and tells when a negative burst fires and ends."""

    def __init__(self, config: DetectorConfig, state: dict[str, Any] | None = None) -> None:
        self._config = config
        self._state = _restore(state) if state else _fresh()
        # A peek's shadow copy scores the open bucket but need not learn from it.
        self._peeking = False

    @property
    def config(self) -> DetectorConfig:
        """The current settings."""
        return self._config

    def reconfigure(self, config: DetectorConfig) -> None:
        """New settings (sensitivity, minimum volume, cooldown), keeping the baselines."""
        if config.bucket_s != self._config.bucket_s and self._state.seen:
            raise ValueError("the bucket size of a series with a baseline cannot change")
        self._config = config

    def state(self) -> dict[str, Any]:
        """JSON-serializable, bounded in size (a seasonal profile, not the history)."""
        # What `asdict` gives, built by hand: the stream saves it on every closed bucket, and
        # asdict's recursive deep copy cost more than observing the bucket.
        state = self._state
        saved = dict(vars(state))
        saved["profile"] = {
            name: value[:] if isinstance(value, list) else value
            for name, value in vars(state.profile).items()
        }
        saved["spread"] = state.spread[:]
        saved["share_spread"] = state.share_spread[:]
        saved["recent"] = [row[:] for row in state.recent]
        return saved

    def observe(self, bucket: BucketCounts) -> Verdict:
        """One closed bucket, in time order; gaps (missing buckets) count as empty buckets,
        the detector fills them itself from the start times (count series only: a generic
        value series just resumes after a gap)."""
        start = _epoch(bucket.start)
        state = self._state
        if state.last_start is not None:
            if start <= state.last_start:
                raise ValueError(f"bucket {bucket.start.isoformat()} is not after the last one")
            if bucket.value is None and state.mode == "counts":
                missing = round((start - state.last_start) / self._config.bucket_s) - 1
                if missing * self._config.bucket_s > MAX_FILL_S:
                    missing = 0
                for step in range(missing):
                    moment = state.last_start + (step + 1) * self._config.bucket_s
                    filler = BucketCounts(start=datetime.fromtimestamp(moment, UTC))
                    self._step(filler, _epoch(filler.start), learn=True)
        return self._step(bucket, start, learn=not self._peeking)

    def peek(self, partial: BucketCounts) -> Verdict:
        """Score the still-open bucket with what it holds so far, without changing the state:
        the stream calls it as posts arrive, so that a burst fires before its bucket closes.
        A peek that fires marks the burst as fired inside the state-less verdict only; the
        stream records it with `fired_early(start)` so that `observe` of that bucket does not
        fire it again."""
        quiet = self._below_min_volume(partial)
        if quiet is not None:
            return quiet
        shadow = SpikeDetector.__new__(SpikeDetector)
        shadow._config = self._config
        last = self._state.last_start
        gap = last is not None and _epoch(partial.start) - last > 1.5 * self._config.bucket_s
        # The shadow learns only from the empty buckets of a gap, never from the open one, so a
        # shallow copy is enough unless there is a gap (peeks run once per negative post).
        shadow._state = copy_state(self._state) if gap else copy.copy(self._state)
        shadow._peeking = True
        return shadow.observe(partial)

    def _below_min_volume(self, partial: BucketCounts) -> Verdict | None:
        """The verdict of a peek that cannot fire, found cheaply; None if it needs scoring.

        Below the minimum volume in every window, no window's evidence counts (score 0), so
        on background traffic a peek costs a sum of six numbers instead of the tails.
        """
        state = self._state
        if state.mode != "counts" or state.firing or state.last_start is None:
            return None
        if _epoch(partial.start) - state.last_start > 1.5 * self._config.bucket_s:
            return None
        earlier = state.recent[-(max(WINDOWS) - 1) :]
        negative = partial.negative + sum(row[0] for row in earlier)
        if negative >= self._config.min_volume:
            return None
        hour, weekday = slots(_epoch(partial.start))
        return Verdict(
            start=partial.start,
            score=0.0,
            alert=False,
            firing=False,
            ended=False,
            observed_negative=float(partial.negative),
            expected_negative=state.level_negative * state.profile.factor(hour, weekday),
            negative_share=partial.negative / partial.total if partial.total else 0.0,
            baseline_share=baseline_share(state.level_negative, state.level_total, state.seen),
            reasons=(),
        )

    def fired_early(self, start: datetime) -> None:
        """A peek of the open bucket `start` fired: its `observe` continues the burst."""
        self._state.fired_early = _epoch(start)

    def _step(self, bucket: BucketCounts, start: float, *, learn: bool) -> Verdict:
        """One bucket; ``start`` is its start in epoch seconds."""
        state = self._state
        if not state.mode:
            state.mode = "value" if bucket.value is not None else "counts"
            state.profile = Profile(multiplicative=state.mode == "counts")
            state.spread = [0.0] * len(WINDOWS)
            state.share_spread = [1.0] * len(WINDOWS)
            state.first_start = start
        hour, weekday = slots(start)
        factor = state.profile.factor(hour, weekday)
        if state.mode == "counts":
            row = [
                float(bucket.negative),
                float(max(bucket.total, bucket.negative)),
                float(bucket.negative_engagement),
                state.level_negative * factor,
                state.level_total * factor,
                state.level_engagement * factor,
            ]
        else:
            value = float(bucket.value if bucket.value is not None else 0.0)
            row = [value, state.level_total + factor]
            if state.count_like and (value < 0 or value != int(value) or value > 1000):
                state.count_like = False
        recent = [*state.recent[-(max(WINDOWS) - 1) :], row]
        warm = self._warm(start)
        window = self._score(recent, state) if warm else None
        verdict = self._decide(bucket.start, start, window, state)
        state.recent = recent
        if learn:
            learn_bucket(state, self._config.bucket_s, row, hour, weekday, recent)
        state.last_start = start
        state.seen += 1
        return verdict

    def _warm(self, start: float) -> bool:
        state = self._state
        needed = max(MIN_WARMUP_BUCKETS, max(WINDOWS))
        elapsed = start - (state.first_start if state.first_start is not None else start)
        return state.seen >= needed and elapsed >= self._config.warmup_s

    def _score(self, recent: list[list[float]], state: DetectorState) -> WindowScore:
        config = self._config
        if state.mode == "counts":
            quiet = None if state.firing else quiet_counts(recent, config.min_volume)
            if quiet is not None:
                return quiet
            share = baseline_share(state.level_negative, state.level_total, state.seen)
            weight = (
                state.level_engagement / state.level_negative
                if state.level_negative > 1e-6
                else 1.0
            )
            return score_counts(
                recent,
                [max(1.0, value) for value in state.spread],
                [max(1.0, value) for value in state.share_spread],
                share,
                max(1.0, weight),
                config.min_volume,
                need_short=state.firing,
            )
        floor = (1e-3 * (abs(state.level_total) + 1e-3)) ** 2
        spread = [
            max(floor * width, value) for width, value in zip(WINDOWS, state.spread, strict=True)
        ]
        return score_values(
            recent,
            spread,
            state.count_like and state.level_total < 30,
            config.direction == "both",
            config.min_volume,
        )

    def _decide(
        self, moment: datetime, start: float, window: WindowScore | None, state: DetectorState
    ) -> Verdict:
        config = self._config
        alert = ended = False
        nlp = window.nlp if window else 0.0
        if state.firing:
            state.firing_buckets += 1
            quiet = window is None or window.nlp_short < QUIET_NLP
            state.quiet_buckets = state.quiet_buckets + 1 if quiet else 0
            if state.quiet_buckets * config.bucket_s >= QUIET_S:
                ended = True
                state.firing = False
                state.cooldown_until = start + config.cooldown_s
        elif state.fired_early == start or (
            window is not None
            and nlp >= config.threshold
            and (state.cooldown_until is None or start >= state.cooldown_until)
        ):
            alert = state.fired_early != start
            state.firing = True
            state.firing_since = start
            state.firing_buckets = 0
            state.quiet_buckets = 0
        if state.fired_early is not None and state.fired_early <= start:
            state.fired_early = None
        share = (
            baseline_share(state.level_negative, state.level_total, state.seen)
            if state.mode == "counts"
            else 0.0
        )
        observed = window.observed if window else 0.0
        total = window.observed_total if window else 0.0
        return Verdict(
            start=moment,
            score=round(min(1.0, nlp / SCORE_SCALE), 6),
            alert=alert,
            firing=state.firing,
            ended=ended,
            observed_negative=observed,
            expected_negative=window.expected if window else 0.0,
            negative_share=observed / total if state.mode == "counts" and total > 0 else 0.0,
            baseline_share=share,
            reasons=window.reasons if window and nlp > 0 else (),
        )


def _fresh() -> DetectorState:
    return DetectorState()


def _restore(state: dict[str, Any]) -> DetectorState:
    fields = dict(state)
    profile = fields.pop("profile")
    restored = DetectorState(**fields)
    restored.profile = Profile(**profile)
    restored.recent = [list(row) for row in restored.recent]
    if restored.mode and len(restored.share_spread) != len(WINDOWS):
        # A state saved before the share had its own dispersion: start it neutral.
        restored.share_spread = [1.0] * len(WINDOWS)
    return restored
