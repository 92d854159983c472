"""Negative-burst detection on seeded synthetic hashtag streams, against a k-sigma baseline.

For ``--hashtags`` streams of ``--days`` simulated days (5-minute buckets, daily and weekly
rhythm, overdispersed low counts, slow growth, one-post huge-reach outliers, 10-20 % negative
background) with ``--bursts`` negative pile-ons each (20-80 extra negative posts over 15-40
minutes, ``classify.spikes.synthetic``), it prints per sensitivity:

- bursts detected (an alert between the burst's first post and 30 minutes after its last);
- detection delay, median and max, in stream minutes from the burst's first post. The
  detector is fed as the stream processor feeds it: it peeks at the open bucket after each
  negative post (so a burst can fire before its bucket closes), then observes the closed one;
- the share detected within 10 minutes, overall and among the bursts whose first 10 minutes
  hold at least ``--min-volume`` negative posts (no detector with that minimum volume can
  fire earlier on the others);
- false alerts per hashtag per simulated week (every other alert);
- the detector's cost per observed bucket and per post (peeks included), in microseconds.

The baseline is the rule Vista Social and Socialmetrix describe: the bucket's negative count
above the mean + k standard deviations of the last 7 days of buckets (k = 3 / 2.5 / 2 for
fewer / balanced / more), with the same minimum volume, warm-up (one day) and cooldown, scored
on closed buckets (it has no notion of an open one).

Usage: .venv/bin/python bench/alerts_synthetic.py [--hashtags 50] [--days 7] [--bursts 2]
       [--seed 1] [--min-volume 10]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import deque
from dataclasses import dataclass, replace

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import DetectorConfig, Sensitivity, post_weight
from classify.spikes.synthetic import SyntheticStream, bucket_posts, generate_stream

SENSITIVITIES: tuple[Sensitivity, ...] = ("fewer", "balanced", "more")
BASELINE_K = {"fewer": 3.0, "balanced": 2.5, "more": 2.0}
MATCH_AFTER_S = 1800.0
WITHIN_S = 600.0


@dataclass
class Tally:
    """What one detector did on all streams."""

    bursts: int = 0
    detected: int = 0
    within: int = 0
    detectable: int = 0
    detectable_within: int = 0
    false_alerts: int = 0
    delays: list[float] | None = None
    seconds: float = 0.0
    buckets: int = 0
    posts: int = 0

    def __post_init__(self) -> None:
        self.delays = []


def run_detector(stream: SyntheticStream, config: DetectorConfig) -> tuple[list[float], float]:
    """Alert times (epoch seconds) of the detector fed bucket by bucket with peeks."""
    buckets = bucket_posts(stream.posts, stream.start, stream.days, config.bucket_s)
    by_bucket: dict[int, list[tuple[float, bool, float]]] = {}
    origin = stream.start.timestamp()
    for post in stream.posts:
        index = int((post.at - origin) // config.bucket_s)
        weight = post_weight(post.engagement, post.followers) if post.negative else 0.0
        by_bucket.setdefault(index, []).append((post.at, post.negative, weight))
    detector = SpikeDetector(config)
    alerts: list[float] = []
    began = time.perf_counter()
    for index, bucket in enumerate(buckets):
        total, negative, weight = 0, 0, 0.0
        for at, is_negative, post_weight_ in by_bucket.get(index, []):
            total += 1
            if not is_negative:
                continue
            negative += 1
            weight += post_weight_
            # As the stream does: a peek at the open bucket each time a negative post lands.
            partial = replace(bucket, total=total, negative=negative, negative_engagement=weight)
            if detector.peek(partial).alert:
                detector.fired_early(bucket.start)
                alerts.append(at)
        if detector.observe(bucket).alert:
            alerts.append(bucket.start.timestamp() + config.bucket_s)
    return alerts, time.perf_counter() - began


def run_baseline(stream: SyntheticStream, config: DetectorConfig, k: float) -> list[float]:
    """Alert times of the k-sigma rule over the last 7 days of closed buckets."""
    buckets = bucket_posts(stream.posts, stream.start, stream.days, config.bucket_s)
    history: deque[int] = deque(maxlen=int(7 * 86400 / config.bucket_s))
    alerts: list[float] = []
    quiet_until = -math.inf
    warmup = int(86400 / config.bucket_s)
    for bucket in buckets:
        end = bucket.start.timestamp() + config.bucket_s
        if len(history) >= warmup and end >= quiet_until:
            mean = statistics.fmean(history)
            sigma = statistics.pstdev(history)
            if bucket.negative >= config.min_volume and bucket.negative > mean + k * sigma:
                alerts.append(end)
                quiet_until = end + config.cooldown_s
        history.append(bucket.negative)
    return alerts


def tally(tally_: Tally, stream: SyntheticStream, alerts: list[float], min_volume: int) -> None:
    """Match alerts to bursts: the first alert inside a burst's span counts, the rest are false."""
    used: set[int] = set()
    assert tally_.delays is not None
    for number, burst in enumerate(stream.bursts):
        first, last = burst.start.timestamp(), burst.end.timestamp() + MATCH_AFTER_S
        early = sum(
            1 for post in stream.posts if post.burst == number and post.at < first + WITHIN_S
        )
        tally_.bursts += 1
        tally_.detectable += early >= min_volume
        hits = [i for i, at in enumerate(alerts) if first <= at <= last and i not in used]
        if hits:
            used.update(hits)
            delay = alerts[hits[0]] - first
            tally_.detected += 1
            tally_.delays.append(delay / 60.0)
            tally_.within += delay <= WITHIN_S
            tally_.detectable_within += delay <= WITHIN_S and early >= min_volume
    tally_.false_alerts += len(alerts) - len(used)


def main() -> None:
    """Run both detectors at each sensitivity and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hashtags", type=int, default=50)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--bursts", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-volume", type=int, default=10)
    args = parser.parse_args()
    streams = [
        generate_stream(args.seed * 10_000 + i, days=args.days, bursts=args.bursts)
        for i in range(args.hashtags)
    ]
    posts = sum(len(stream.posts) for stream in streams)
    weeks = args.hashtags * args.days / 7.0
    print(
        f"{args.hashtags} hashtags x {args.days} days, {posts} posts, "
        f"{sum(len(s.bursts) for s in streams)} bursts, min volume {args.min_volume}"
    )
    header = (
        f"{'detector':<22}{'detected':>10}{'<=10 min':>10}{'detectable<=10':>16}"
        f"{'delay med':>11}{'delay max':>11}{'false/wk':>10}{'us/bucket':>11}{'us/post':>9}"
    )
    print(header)
    for sensitivity in SENSITIVITIES:
        config = DetectorConfig(sensitivity=sensitivity, min_volume=args.min_volume)
        ours, base = Tally(), Tally()
        for stream in streams:
            alerts, seconds = run_detector(stream, config)
            ours.seconds += seconds
            ours.buckets += int(stream.days * 86400 / config.bucket_s)
            ours.posts += len(stream.posts)
            tally(ours, stream, alerts, args.min_volume)
            tally(
                base, stream, run_baseline(stream, config, BASELINE_K[sensitivity]), args.min_volume
            )
        for name, result in (
            (f"spikes {sensitivity}", ours),
            (f"k-sigma {BASELINE_K[sensitivity]} {sensitivity}", base),
        ):
            print(_row(name, result, weeks))
        print("  ratio spikes / k-sigma: " + _ratios(ours, base))


def _ratios(ours: Tally, base: Tally) -> str:
    """Detected, median delay and false alerts of ours over the baseline's, same streams."""
    parts = [f"detected {ours.detected / max(1, base.detected):.2f}"]
    if ours.delays and base.delays:
        ratio = statistics.median(ours.delays) / statistics.median(base.delays)
        parts.append(f"median delay {ratio:.2f}")
    if base.false_alerts:
        parts.append(f"false alerts {ours.false_alerts / base.false_alerts:.2f}")
    else:
        parts.append(f"false alerts {ours.false_alerts} vs 0")
    return ", ".join(parts)


def _row(name: str, result: Tally, weeks: float) -> str:
    delays = result.delays or []
    median = f"{statistics.median(delays):.1f}" if delays else "-"
    longest = f"{max(delays):.1f}" if delays else "-"
    cost_bucket = f"{1e6 * result.seconds / result.buckets:.1f}" if result.buckets else "-"
    cost_post = f"{1e6 * result.seconds / result.posts:.1f}" if result.posts else "-"
    return (
        f"{name:<22}{result.detected:>5}/{result.bursts:<4}{result.within:>10}"
        f"{result.detectable_within:>10}/{result.detectable:<5}{median:>11}{longest:>11}"
        f"{result.false_alerts / weeks:>10.2f}{cost_bucket:>11}{cost_post:>9}"
    )


if __name__ == "__main__":
    main()
