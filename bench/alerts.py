"""Spike alerts through the real pipeline: detection delay, false alerts, and the detector's cost.

A synthetic, time-compressed stream of scored posts for many hashtags (background traffic with
daily rhythm, low counts, slow growth and huge-reach outliers; negative bursts injected at
known times into some hashtags: ``classify/spikes/synthetic.py``) goes to ``ugc.posts.scored``
on the embedded broker. The spike stream (``ugc alerts worker``), the alerts sink and the
webhook delivery worker run as processes, and a local receiver takes the signed webhooks.
Warm-up days are produced at once; the measured day is paced at ``--speed`` stream seconds per
wall second.

Printed:

- per burst: whether an ``alert.fired`` webhook arrived for it, and how long after the burst's
  first post, in stream time. Two figures: *decision* (the hashtag's stream time when the
  detector fired: the incident's ``as_of``, its newest post's date then) plus the real seconds
  from ``detected_at`` to the receiver; and the
  *compressed* delay, where those real seconds count ``--speed`` times over (a pessimistic
  upper bound);
- false alerts: ``alert.fired`` for a hashtag outside its burst, per hashtag per simulated week;
- the detector's cost: CPU seconds per post of the spike stream process against a baseline
  process in the same run that consumes the same topic with the same consumer settings and
  only decodes the posts (``bench/alerts_consume.py``), idle CPU subtracted from both.

Usage: python bench/alerts.py [--hashtags 50] [--bursts 12] [--speed 144] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.alerts_run import Pipeline, scored_posts
from classify.spikes.synthetic import Burst, SyntheticStream, generate_stream
from curation_api.webhooks.receiver import WebhookReceiver


class TimedReceiver(WebhookReceiver):
    """Keeps each delivery's arrival time (monotonic and wall) beside its body."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        self._times = threading.Lock()

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        arrived = time.time()
        status = super().handle(headers, body)
        with self._times:
            self.arrivals.append((arrived, json.loads(body)))
        return status


@dataclass
class Found:
    hashtag: str
    burst: Burst
    decision_delay_s: float | None
    delivery_s: float | None
    compressed_delay_s: float | None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hashtags", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=12, help="hashtags with one burst")
    parser.add_argument("--warmup-days", type=int, default=2)
    parser.add_argument("--speed", type=float, default=144.0, help="stream s per wall s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    if args.warmup_days < 2:
        parser.error("--warmup-days: the synthetic bursts start after two days")
    days = args.warmup_days + 1
    streams = {
        f"tag{index:02d}": generate_stream(
            args.seed * 1000 + index, days=days, bursts=1 if index < args.bursts else 0
        )
        for index in range(args.hashtags)
    }
    first = next(iter(streams.values()))
    day_start = first.start + timedelta(days=args.warmup_days)
    warmup, measured = scored_posts(streams, day_start)
    print(
        f"{args.hashtags} hashtags, {args.bursts} with a burst; {len(warmup)} warm-up posts "
        f"({args.warmup_days} days), {len(measured)} posts in the measured day at "
        f"{args.speed:.0f}x ({86400 / args.speed / 60:.1f} wall minutes)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        receiver = TimedReceiver()
        receiver.start()
        try:
            with Pipeline(Path(tmp), args.partitions, args.database_url, receiver) as pipe:
                pipe.settle()
                idle = pipe.idle_cpu(3.0)
                backlog_before, backlog_start = pipe.cpu(), time.time()
                pipe.produce(warmup)
                pipe.wait_caught_up(len(warmup))
                backlog_after = pipe.cpu()
                backlog_elapsed = time.time() - backlog_start
                before = pipe.cpu()
                wall_start = time.time()
                pipe.produce_paced(measured, day_start.timestamp(), wall_start, args.speed)
                pipe.wait_caught_up(len(warmup) + len(measured))
                # The last bursts' webhooks may still be on their way.
                pipe.wait_deliveries(timeout=30.0)
                after, elapsed = pipe.cpu(), time.time() - wall_start
        finally:
            receiver.stop()
    found = match_bursts(streams, receiver.arrivals, day_start, wall_start, args.speed)
    report(found, streams, receiver.arrivals, len(measured))
    print("\ncost per post, warm-up backlog (all at once: full batches; CPU, idle subtracted):")
    report_cost(backlog_before, backlog_after, idle, backlog_elapsed, len(warmup))
    print("\ncost per post, the measured day (paced: small batches; CPU, idle subtracted):")
    report_cost(before, after, idle, elapsed, len(measured))
    return 0


def stream_time(wall: float, day_start: datetime, wall_start: float, speed: float) -> float:
    return day_start.timestamp() + (wall - wall_start) * speed


def match_bursts(
    streams: dict[str, SyntheticStream],
    arrivals: list[tuple[float, dict[str, Any]]],
    day_start: datetime,
    wall_start: float,
    speed: float,
) -> list[Found]:
    fired = [
        (wall, payload["data"])
        for wall, payload in arrivals
        if payload.get("type") == "alert.fired" and isinstance(payload.get("data"), dict)
    ]
    found = []
    for tag, stream in streams.items():
        for burst in stream.bursts:
            hits = [
                (wall, data)
                for wall, data in fired
                if data["hashtag"] == tag and in_burst(data, burst)
            ]
            if not hits:
                found.append(Found(tag, burst, None, None, None))
                continue
            wall, data = min(hits, key=lambda hit: hit[0])
            detected = datetime.fromisoformat(str(data["detected_at"])).timestamp()
            start = burst.start.timestamp()
            # The hashtag's own stream time at the decision; older incidents lack it, then the
            # compressed clock at the decision stands in.
            decided = (
                datetime.fromisoformat(str(data["as_of"])).timestamp()
                if data.get("as_of")
                else stream_time(detected, day_start, wall_start, speed)
            )
            found.append(
                Found(
                    tag,
                    burst,
                    decision_delay_s=decided - start,
                    delivery_s=wall - detected,
                    compressed_delay_s=stream_time(wall, day_start, wall_start, speed) - start,
                )
            )
    return found


def in_burst(data: object, burst: Burst) -> bool:
    """An alert is about a burst when its window overlaps the burst (give or take an hour)."""
    assert isinstance(data, dict)
    window_start = datetime.fromisoformat(str(data["window_start"]))
    window_end = datetime.fromisoformat(str(data["window_end"]))
    slack = timedelta(hours=1)
    return window_start <= burst.end + slack and window_end >= burst.start - slack


def report(
    found: list[Found],
    streams: dict[str, SyntheticStream],
    arrivals: list[tuple[float, dict[str, Any]]],
    posts: int,
) -> None:
    print("\nbursts (negative posts added, first post → alert.fired webhook):")
    for item in found:
        burst = item.burst
        if item.decision_delay_s is None:
            print(f"  {item.hashtag} {burst.start:%H:%M} +{burst.posts:3d} posts: MISSED")
            continue
        print(
            f"  {item.hashtag} {burst.start:%H:%M} +{burst.posts:3d} posts: decision "
            f"{item.decision_delay_s / 60:5.1f} stream-min + {item.delivery_s:.2f} s to the "
            f"receiver; compressed {(item.compressed_delay_s or 0.0) / 60:5.1f} stream-min"
        )
    hits = [f for f in found if f.decision_delay_s is not None]
    real = [(f.decision_delay_s or 0) + (f.delivery_s or 0) for f in hits]
    within = sum(1 for delay in real if delay <= 600)
    print(f"  detected {len(hits)}/{len(found)}; within 10 stream-minutes: {within}/{len(found)}")
    if real:
        print(
            f"  delay median {statistics.median(real) / 60:.1f} min, max {max(real) / 60:.1f} min "
            "(decision + real delivery)"
        )
    false = 0
    for _wall, payload in arrivals:
        data = payload.get("data")
        if payload.get("type") != "alert.fired" or not isinstance(data, dict):
            continue
        bursts = streams[str(data["hashtag"])].bursts if data["hashtag"] in streams else []
        if not any(in_burst(data, burst) for burst in bursts):
            false += 1
            print(
                f"  false: #{data['hashtag']} {data['window_start']} → {data['window_end']}: "
                f"{data['negative_count']} negative (baseline {data['expected_negative']}) "
                f"of {data['total_count']}, score {data['score']}, {data['reasons']}"
            )
    per_week = false / len(streams) * 7
    print(
        f"false alerts: {false} in one simulated day over {len(streams)} hashtags = "
        f"{per_week:.2f} per hashtag per simulated week (target ≤ 1)"
    )
    print(f"webhooks received: {len(arrivals)} for {posts} measured posts")


def report_cost(
    before: dict[str, float],
    after: dict[str, float],
    idle: dict[str, float],
    elapsed: float,
    posts: int,
) -> None:
    cost = {
        name: max(0.0, after[name] - before[name] - idle[name] * elapsed) / posts for name in before
    }
    detector, baseline = cost["spikes"], cost["baseline"]
    print(f"  spike stream (repartition + detector): {detector * 1e6:8.1f} µs")
    print(f"  baseline (consume and decode only):   {baseline * 1e6:8.1f} µs")
    if baseline > 0:
        print(f"  ratio spike stream / baseline:        {detector / baseline:8.2f}")
        print(f"  the detector adds {100 * (detector - baseline) / baseline:.0f} % (target < 10 %)")


if __name__ == "__main__":
    sys.exit(main())
