"""The spike detector on the labelled anomaly series (NAB), scored as NAB scores, with a baseline.

Reads every CSV under ``--data`` (default ``../shared/data/anomaly`` next to the repository, read
in place) and its windows from ``windows.json``, runs the detector causally over each series
(``classify.spikes.backtest``: value mode, bucket = the median step, default settings) and
scores its alerts with NAB's method:

- the first ``min(15 % of rows, 750)`` rows are the probationary period: detections there are
  ignored;
- the earliest detection inside a window scores ``tp * (2 * sigmoid(-5 * p) - 1)`` where ``p``
  is its position relative to the window's right end (-1 at the left edge, 0 at the right);
  later detections in the same window count for nothing; a window without one costs ``fn``;
- a detection outside every window costs ``fp`` times the same scaled sigmoid of its distance
  after the previous window (in window widths, -1 beyond 3 widths or before any window);
- raw scores are summed over all files, then normalised to 0 (no detections) ... 100 (each
  window caught at its left edge, nothing else), under three profiles: standard (TP 1, FN 1,
  FP 0.11), reward_low_FP (FP 0.22) and reward_low_FN (FN 2).

The baseline is NAB's windowed Gaussian (a simple reimplementation): the z-score of each value
against the mean and standard deviation of the last 6400 values, refreshed every 100 rows;
every row whose score ``1 - tail(|z|)`` reaches the threshold is a detection. As in NAB, its
threshold is optimised per profile on the whole corpus (our detector's default is not: it is
scored as shipped, and also at its best sensitivity for reference).

Published figures (whole NAB, including the social-media series that are held out here):
ARTime 74.9, Numenta HTM 70.5, CAD OSE 69.9, KNN CAD 58.0, Twitter ADVec 47.1, windowed
Gaussian 39.6 (standard profile).

Usage: .venv/bin/python bench/alerts_nab.py [--data DIR] [--sensitivity balanced]
       [--cooldown-minutes 60]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from classify.spikes.backtest import configure, in_time_order, parse_timestamp, run_backtest
from classify.spikes.model import BucketCounts, DetectorConfig, Direction, Sensitivity

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "anomaly"
PUBLISHED = {
    "ARTime": 74.9,
    "Numenta HTM": 70.5,
    "CAD OSE": 69.9,
    "KNN CAD": 58.0,
    "Twitter ADVec": 47.1,
    "windowed Gaussian": 39.6,
}


@dataclass(frozen=True)
class Profile:
    """NAB's weights of a true positive, a false positive and a missed window."""

    name: str
    tp: float
    fp: float
    fn: float


PROFILES = (
    Profile("standard", 1.0, 0.11, 1.0),
    Profile("reward_low_FP", 1.0, 0.22, 1.0),
    Profile("reward_low_FN", 1.0, 0.11, 2.0),
)


@dataclass(frozen=True)
class LabelledSeries:
    """One benchmark file: its name, timestamps, values and windows as row index ranges."""

    name: str
    timestamps: list[datetime]
    values: list[float]
    windows: list[tuple[int, int]]  # first and last row inside each window

    @property
    def probation(self) -> int:
        """Rows of the probationary period (NAB: 15 % of the file, at most 750)."""
        return min(math.floor(0.15 * len(self.values)), 750)


def scaled_sigmoid(position: float) -> float:
    """NAB's scaled sigmoid: 0.987 at -1 (left edge), 0 at the right end, -1 from 3 on."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


MAX_TP = scaled_sigmoid(-1.0)


def scored_windows(series: LabelledSeries) -> list[int]:
    """The windows NAB scores: those with at least one row after the probationary period."""
    return [n for n, (_, last) in enumerate(series.windows) if last >= series.probation]


def score_detections(series: LabelledSeries, detections: list[int], profile: Profile) -> float:
    """NAB's raw score of detections (row indices) on one series.

    As NAB's sweeper: a true positive is weighted by tp / sigmoid(-1), so that a detection at a
    window's left edge scores exactly tp.
    """
    counted = scored_windows(series)
    hits: dict[int, float] = {}
    false_cost = 0.0
    for index in sorted(set(detections)):
        if index < series.probation:
            continue
        window = next(
            (n for n, (first, last) in enumerate(series.windows) if first <= index <= last), None
        )
        if window is not None:
            first, last = series.windows[window]
            width = last - first + 1
            position = -(last - index + 1) / width
            score = profile.tp * scaled_sigmoid(position) / MAX_TP
            hits[window] = max(hits.get(window, -math.inf), score)
            continue
        before = [(first, last) for first, last in series.windows if last < index]
        if before:
            first, last = before[-1]
            past = abs(last - index) / max(1.0, float(last - first))
        else:
            past = 3.0
        false_cost += profile.fp * scaled_sigmoid(past)
    missed = sum(1 for window in counted if window not in hits)
    return sum(hits.values()) + false_cost - profile.fn * missed


def null_and_perfect(series: LabelledSeries, profile: Profile) -> tuple[float, float]:
    """The raw scores of no detections and of a detection at every window's left edge."""
    counted = scored_windows(series)
    return -profile.fn * len(counted), profile.tp * len(counted)


def normalised(raw: float, null: float, perfect: float) -> float:
    """NAB's 0 (null detector) ... 100 (perfect detector) scale."""
    return 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0


def load(data: Path) -> list[LabelledSeries]:
    """Every labelled CSV under `data`, in name order."""
    windows = json.loads((data / "windows.json").read_text())
    found = []
    for path in sorted(data.glob("*/*.csv")):
        name = f"{path.parent.name}/{path.name}"
        with path.open(newline="") as source:
            rows = list(csv.DictReader(source))
        timestamps = [parse_timestamp(row["timestamp"]) for row in rows]
        index = []
        for start, end in windows.get(name, []):
            low, high = parse_timestamp(start), parse_timestamp(end)
            inside = [i for i, moment in enumerate(timestamps) if low <= moment <= high]
            if inside:
                index.append((inside[0], inside[-1]))
        found.append(LabelledSeries(name, timestamps, [float(row["value"]) for row in rows], index))
    return found


def detect_spikes(
    series: LabelledSeries, sensitivity: Sensitivity, direction: Direction, cooldown_s: float
) -> list[int]:
    """Rows where our detector fires."""
    buckets = in_time_order(
        [
            BucketCounts(start=t, value=v)
            for t, v in zip(series.timestamps, series.values, strict=True)
        ]
    )
    config = configure(
        buckets,
        DetectorConfig(sensitivity=sensitivity, direction=direction, cooldown_s=cooldown_s),
    )
    return [i for i, verdict in enumerate(run_backtest(buckets, config)) if verdict.alert]


def windowed_gaussian_scores(values: list[float], window: int = 1000) -> list[float]:
    """NAB's windowed Gaussian: 1 - tail(|z|) against the mean and std of the last 1000 values."""
    data = np.asarray(values, dtype=np.float64)
    scores = np.zeros(len(data))
    for index in range(1, len(data)):
        recent = data[max(0, index - window) : index]
        std = float(recent.std()) or 1e-6
        z = abs(float(data[index]) - float(recent.mean())) / std
        scores[index] = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
    return [float(score) for score in scores]


def corpus_score(
    corpus: list[LabelledSeries],
    detections: dict[str, list[int]],
    profile: Profile,
    only: str | None = None,
) -> float:
    """Normalised score summed over the files (of one folder when `only` is set)."""
    raw = null = perfect = 0.0
    for series in corpus:
        if only and not series.name.startswith(only + "/"):
            continue
        file_null, file_perfect = null_and_perfect(series, profile)
        raw += score_detections(series, detections[series.name], profile)
        null += file_null
        perfect += file_perfect
    return normalised(raw, null, perfect)


def optimised(
    corpus: list[LabelledSeries], scores: dict[str, list[float]], profile: Profile
) -> dict[str, list[int]]:
    """Detections at the threshold that maximises the corpus score, as NAB's optimiser does."""
    thresholds = [0.5, 0.8, 0.9, *(1.0 - 10.0 ** -(k / 4) for k in range(5, 41))]
    candidates = [
        {name: [i for i, score in enumerate(row) if score >= t] for name, row in scores.items()}
        for t in thresholds
    ]
    return max(candidates, key=lambda found: corpus_score(corpus, found, profile))


def false_alarms(
    corpus: list[LabelledSeries], detections: dict[str, list[int]], folder: str
) -> int:
    """Detections after the probationary period outside every window, in one folder."""
    count = 0
    for series in corpus:
        if series.name.startswith(folder + "/"):
            count += sum(
                1
                for i in set(detections[series.name])
                if i >= series.probation
                and not any(first <= i <= last for first, last in series.windows)
            )
    return count


def main() -> None:
    """Score both detectors and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sensitivity", default="balanced", choices=["fewer", "balanced", "more"])
    parser.add_argument(
        "--cooldown-minutes", type=float, default=60.0, help="the detector's cooldown (default 60)"
    )
    args = parser.parse_args()
    corpus = load(args.data)
    rows = sum(len(s.values) for s in corpus)
    print(
        f"{len(corpus)} series, {sum(len(s.windows) for s in corpus)} windows, {rows} rows "
        f"from {args.data}"
    )
    results: dict[str, dict[str, list[int]]] = {}
    began = time.perf_counter()
    directions: tuple[Direction, ...] = ("up", "both")
    sensitivities: tuple[Sensitivity, ...] = ("fewer", "balanced", "more")
    for direction in directions:
        for sensitivity in sensitivities:
            results[f"spikes {direction} {sensitivity}"] = {
                s.name: detect_spikes(s, sensitivity, direction, 60.0 * args.cooldown_minutes)
                for s in corpus
            }
    ours_cost = (time.perf_counter() - began) / (len(results) * rows)
    began = time.perf_counter()
    gaussian = {s.name: windowed_gaussian_scores(s.values) for s in corpus}
    base_cost = (time.perf_counter() - began) / rows
    base = {profile.name: optimised(corpus, gaussian, profile) for profile in PROFILES}
    print(
        f"cost per row: spikes {1e6 * ours_cost:.1f} us, windowed Gaussian (numpy) "
        f"{1e6 * base_cost:.1f} us"
    )
    print(f"\n{'detector':<34}" + "".join(f"{p.name:>15}" for p in PROFILES))
    for name, detections in results.items():
        figures = "".join(f"{corpus_score(corpus, detections, p):>15.1f}" for p in PROFILES)
        print(f"{name:<34}{figures}")
    figures = "".join(f"{corpus_score(corpus, base[p.name], p):>15.1f}" for p in PROFILES)
    print(f"{'windowed Gaussian (optimised)':<34}{figures}")
    ours = f"spikes both {args.sensitivity}"
    standard = PROFILES[0]
    ratio = corpus_score(corpus, results[ours], standard) / corpus_score(
        corpus, base["standard"], standard
    )
    print(f"ratio {ours} / windowed Gaussian (standard): {ratio:.2f}")
    print(
        "published (standard, whole NAB with its social-media series): "
        + ", ".join(f"{name} {score}" for name, score in PUBLISHED.items())
    )
    up = f"spikes up {args.sensitivity}"
    print(
        f"\nper folder, standard profile (false alarms){'':<2}{ours:>26}{up:>26}"
        f"{'windowed Gaussian':>26}"
    )
    for folder in sorted({series.name.split("/")[0] for series in corpus}):
        cells = []
        for detections in (results[ours], results[up], base["standard"]):
            score = corpus_score(corpus, detections, standard, folder)
            cells.append(f"{score:>18.1f} ({false_alarms(corpus, detections, folder):>4})")
        print(f"{folder:<44}" + "".join(cells))


if __name__ == "__main__":
    main()
