"""Run the spike detector over a CSV series, one row per bucket, and score every row.

The input is ``timestamp,value`` with optional ``negative``, ``total`` and ``engagement``
columns. When ``negative`` is there the row is a count bucket (negative posts, all posts, the
negative engagement weight); otherwise ``value`` is a generic series. The bucket size is the
median step between timestamps. Every input row is written back, columns and order kept, with
``score`` (0-1) and ``alert`` (1 on the row where a burst fires).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TextIO

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import BucketCounts, DetectorConfig, Verdict


class BacktestInputError(ValueError):
    """The input file cannot be read as a series; the message names the line."""


@dataclass(frozen=True)
class Series:
    """A parsed input file: its header, its raw rows and one bucket per row."""

    header: list[str]
    rows: list[list[str]]
    buckets: list[BucketCounts]


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 timestamp; naive ones are taken as UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _number(text: str, column: str, line: int) -> float:
    try:
        number = float(text)
    except ValueError:
        raise BacktestInputError(f"line {line}: {column} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise BacktestInputError(f"line {line}: {column} {text!r} is not a finite number")
    return number


def _count(text: str, column: str, line: int) -> int:
    number = _number(text, column, line)
    if number < 0 or number != int(number):
        raise BacktestInputError(f"line {line}: {column} {text!r} is not a count")
    return int(number)


def read_series(source: TextIO) -> Series:
    """Parse a CSV series; raises BacktestInputError with the line number of the first fault."""
    reader = csv.reader(source)
    header = next(reader, None)
    if not header:
        raise BacktestInputError("line 1: the file is empty (expected a header timestamp,value)")
    names = [name.strip() for name in header]
    if "timestamp" not in names or not {"value", "negative"} & set(names):
        raise BacktestInputError(
            f"line 1: the header needs the columns timestamp and value (or negative), "
            f"found {','.join(names)}"
        )
    where = {name: names.index(name) for name in names}
    rows: list[list[str]] = []
    buckets: list[BucketCounts] = []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) < len(names):
            raise BacktestInputError(f"line {line}: {len(row)} fields, the header has {len(names)}")
        stamp = row[where["timestamp"]]
        try:
            start = parse_timestamp(stamp)
        except ValueError:
            raise BacktestInputError(f"line {line}: timestamp {stamp!r} is not a date") from None
        rows.append(row)
        buckets.append(_bucket(start, row, where, line))
    if not buckets:
        raise BacktestInputError("line 2: the file has a header but no rows")
    return Series(header=header, rows=rows, buckets=in_time_order(buckets))


def in_time_order(buckets: list[BucketCounts]) -> list[BucketCounts]:
    """The buckets with each start moved just after the one before when it is not after it.

    Real files repeat a timestamp or step back (a daylight-saving hour, a clock fix); every
    row must still get its verdict, in file order, so such a row is scored as the next one.
    """
    ordered: list[BucketCounts] = []
    for bucket in buckets:
        if ordered and bucket.start <= ordered[-1].start:
            bucket = replace(bucket, start=ordered[-1].start + timedelta(seconds=1))
        ordered.append(bucket)
    return ordered


def _bucket(start: datetime, row: list[str], where: dict[str, int], line: int) -> BucketCounts:
    if "negative" in where:
        negative = _count(row[where["negative"]], "negative", line)
        total = _count(row[where["total"]], "total", line) if "total" in where else negative
        engagement = (
            _number(row[where["engagement"]], "engagement", line)
            if "engagement" in where
            else float(negative)
        )
        return BucketCounts(
            start=start,
            total=max(total, negative),
            negative=negative,
            negative_engagement=engagement,
        )
    return BucketCounts(start=start, value=_number(row[where["value"]], "value", line))


def bucket_seconds(buckets: list[BucketCounts]) -> int:
    """The bucket size: the median step between consecutive rows (300 s for a single row)."""
    steps = [(later.start - earlier.start).total_seconds() for earlier, later in pairwise(buckets)]
    return max(1, round(statistics.median(steps))) if steps else 300


def run_backtest(buckets: list[BucketCounts], config: DetectorConfig) -> list[Verdict]:
    """One verdict per bucket, from a fresh detector, in order."""
    detector = SpikeDetector(config)
    return [detector.observe(bucket) for bucket in buckets]


def configure(buckets: list[BucketCounts], config: DetectorConfig) -> DetectorConfig:
    """The config with the bucket size inferred from the series."""
    return replace(config, bucket_s=bucket_seconds(buckets))


def write_scored(series: Series, verdicts: Iterable[Verdict], target: TextIO) -> None:
    """Every input row, as it came, plus score (4 decimals) and alert (0/1)."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow([*series.header, "score", "alert"])
    for row, verdict in zip(series.rows, verdicts, strict=True):
        writer.writerow([*row, f"{verdict.score:.4f}", int(verdict.alert)])
