"""The spike detector's behaviour on hand-made and synthetic count series."""

from __future__ import annotations

import json
from dataclasses import replace

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import BucketCounts, DetectorConfig, Sensitivity, Verdict, post_weight
from classify.spikes.synthetic import bucket_posts, generate_stream
from tests.classify.spikes.factories import START, STEP, after, extend, steady

SENSITIVITIES: tuple[Sensitivity, ...] = ("fewer", "balanced", "more")


def run(detector: SpikeDetector, buckets: list[BucketCounts]) -> list[Verdict]:
    return [detector.observe(bucket) for bucket in buckets]


def alerts(verdicts: list[Verdict]) -> list[int]:
    return [index for index, verdict in enumerate(verdicts) if verdict.alert]


def test_a_pile_on_fires_in_its_first_bucket() -> None:
    stream = generate_stream(
        5, days=4, bursts=1, burst_posts=(40, 40), burst_minutes=(15, 15), outliers_per_day=0
    )
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    verdicts = run(SpikeDetector(DetectorConfig()), buckets)
    fired = [verdicts[i].start for i in alerts(verdicts)]
    burst = stream.bursts[0]
    assert len(fired) == 1
    assert burst.start - STEP <= fired[0] <= burst.start + 2 * STEP
    assert verdicts[alerts(verdicts)[0]].reasons


def test_no_alert_on_a_quiet_seasonal_week() -> None:
    stream = generate_stream(11, days=7, bursts=0, outliers_per_day=0)
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    assert alerts(run(SpikeDetector(DetectorConfig()), buckets)) == []


def test_one_post_with_huge_reach_does_not_alert() -> None:
    series = steady(total=10, negative=0)
    weight = post_weight(5_000_000, 100_000_000)
    viral = BucketCounts(
        start=series[-1].start + STEP, total=11, negative=1, negative_engagement=weight
    )
    for sensitivity in SENSITIVITIES:
        detector = SpikeDetector(DetectorConfig(sensitivity=sensitivity, min_volume=1))
        run(detector, series)
        assert not detector.observe(viral).alert


def test_post_weight_is_bounded() -> None:
    assert post_weight(0, None) == 1.0
    assert post_weight(10**12, 10**12) == 3.0
    assert 1.0 < post_weight(50, 1_000) < 2.0


def test_min_volume_holds_even_when_the_rise_is_significant() -> None:
    series = steady(negative=0)
    burst = extend(series, [(10, 8)])
    assert not run(SpikeDetector(DetectorConfig(min_volume=10)), burst)[-1].alert
    assert run(SpikeDetector(DetectorConfig(min_volume=5)), burst)[-1].alert


def test_no_alert_during_the_warm_up_day() -> None:
    series = extend(steady(buckets=100), [(40, 30)])
    assert alerts(run(SpikeDetector(DetectorConfig()), series)) == []


def test_a_burst_ends_once_back_at_baseline_and_fires_once() -> None:
    series = extend(steady(), [(30, 20), (30, 20), (30, 20)] + [(10, 1)] * 12)
    verdicts = run(SpikeDetector(DetectorConfig()), series)
    burst = verdicts[-15:]
    assert [v.alert for v in burst].count(True) == 1
    assert burst[0].alert
    assert burst[0].firing
    ended = [i for i, v in enumerate(burst) if v.ended]
    assert len(ended) == 1
    # Three burst buckets, then half an hour (six buckets) back at baseline.
    assert ended[0] <= 3 + 6 + 3
    assert not burst[ended[0]].firing
    assert all(v.firing for v in burst[: ended[0]])


def test_cooldown_suppresses_a_second_burst_soon_after_the_first_ended() -> None:
    bursts = [(30, 20)] + [(10, 1)] * 10 + [(30, 20)]
    series = extend(steady(), bursts)
    held = run(SpikeDetector(DetectorConfig(cooldown_s=3600)), series)
    assert [v.alert for v in held[-12:]] == [True] + [False] * 11
    free = run(SpikeDetector(DetectorConfig(cooldown_s=0)), series)
    assert free[-12].alert
    assert free[-1].alert


def test_state_round_trips_through_json_and_continues_identically() -> None:
    stream = generate_stream(
        3, days=4, bursts=1, burst_posts=(40, 40), burst_minutes=(20, 20), outliers_per_day=1
    )
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    half = len(buckets) // 2
    original = SpikeDetector(DetectorConfig())
    run(original, buckets[:half])
    restored = SpikeDetector(DetectorConfig(), json.loads(json.dumps(original.state())))
    assert run(restored, buckets[half:]) == run(original, buckets[half:])
    assert restored.state() == original.state()


def test_no_alert_storm_after_a_restore() -> None:
    stream = generate_stream(8, days=3, bursts=0, outliers_per_day=0)
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    first = SpikeDetector(DetectorConfig())
    run(first, buckets[:600])
    restored = SpikeDetector(DetectorConfig(), json.loads(json.dumps(first.state())))
    assert alerts(run(restored, buckets[600:])) == []


def test_state_is_bounded() -> None:
    detector = SpikeDetector(DetectorConfig())
    run(detector, steady(buckets=3 * 288))
    size = len(json.dumps(detector.state()))
    run(detector, steady(start=START + 3 * 288 * STEP, buckets=4 * 288))
    assert len(json.dumps(detector.state())) < size * 1.2


def test_appending_future_buckets_does_not_change_past_verdicts() -> None:
    stream = generate_stream(4, days=3, bursts=1, burst_posts=(40, 40))
    buckets = bucket_posts(stream.posts, stream.start, stream.days)
    cut = len(buckets) * 2 // 3
    past = run(SpikeDetector(DetectorConfig()), buckets[:cut])
    assert run(SpikeDetector(DetectorConfig()), buckets)[:cut] == past


def test_peek_does_not_change_the_state() -> None:
    detector = SpikeDetector(DetectorConfig())
    series = steady()
    run(detector, series)
    before = detector.state()
    peeked = detector.peek(after(series, total=25, negative=15))
    assert peeked.alert
    assert detector.state() == before
    later = replace(after(series, total=25, negative=15), start=series[-1].start + 4 * STEP)
    assert detector.peek(later).alert
    assert detector.state() == before
    assert detector.observe(after(series)).start == series[-1].start + STEP


def test_a_burst_fired_by_a_peek_is_not_fired_again_when_its_bucket_closes() -> None:
    detector = SpikeDetector(DetectorConfig())
    series = steady()
    run(detector, series)
    partial = after(series, total=20, negative=12)
    assert detector.peek(partial).alert
    detector.fired_early(partial.start)
    closed = detector.observe(replace(partial, total=30, negative=20))
    assert not closed.alert
    assert closed.firing


def test_missing_buckets_count_as_empty() -> None:
    detector = SpikeDetector(DetectorConfig())
    series = steady(buckets=10)
    run(detector, series)
    detector.observe(BucketCounts(start=series[-1].start + 5 * STEP, total=1))
    assert detector.state()["seen"] == 10 + 5


def test_reconfigure_keeps_the_baseline() -> None:
    detector = SpikeDetector(DetectorConfig(sensitivity="fewer"))
    run(detector, steady())
    before = detector.state()
    detector.reconfigure(DetectorConfig(sensitivity="more", min_volume=3))
    assert detector.state() == before
    assert detector.config.sensitivity == "more"


def test_a_generic_value_series_flags_a_spike_and_a_drop_when_asked() -> None:
    values = [100.0 + (index % 7) for index in range(600)]
    spike = [*values, 400.0]
    drop = [*values, -200.0]

    def last(series: list[float], config: DetectorConfig) -> Verdict:
        detector = SpikeDetector(config)
        buckets = [
            BucketCounts(start=START + index * STEP, value=value)
            for index, value in enumerate(series)
        ]
        return run(detector, buckets)[-1]

    assert last(spike, DetectorConfig()).alert
    assert not last(drop, DetectorConfig()).alert
    assert last(drop, DetectorConfig(direction="both")).alert
