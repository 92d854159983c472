"""The state of one hashtag's spike stream as its faust table holds it (:mod:`.tables`): the
open buckets and stream time, and the evidence of the last buckets or of the burst in
progress, with their JSON forms; and the bucket rows records carry. The rules are in
:mod:`.stream`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from classify.spikes.evidence import Evidence, EvidencePost
from classify.spikes.model import BucketCounts
from contract import Alert


@dataclass
class Counts:
    start: float
    total: int = 0
    negative: int = 0
    engagement: float = 0.0

    def bucket(self) -> BucketCounts:
        return BucketCounts(
            start=moment(self.start),
            total=self.total,
            negative=self.negative,
            negative_engagement=self.engagement,
        )


@dataclass
class Burst:
    alert_id: str
    window_start: float
    announced: bool = False  # a `fired` went out
    sequence: int = 0
    closed_total: int = 0  # posts of the burst's closed buckets
    closed_negative: int = 0
    score: float = 0.0
    peak_score: float = 0.0
    expected_per_bucket: float = 0.0
    baseline_share: float = 0.0
    reasons: list[str] = field(default_factory=list)
    sent_negative: int = 0
    sent_peak: float = 0.0
    sent_bucket: float | None = None
    evidence: Evidence = field(default_factory=Evidence)


@dataclass
class HashtagState:
    """What the tables hold for one hashtag (buckets, evidence); the detector is separate."""

    hashtag: str
    open: Counts | None = None
    next: Counts | None = None
    recent: list[Counts] = field(default_factory=list)  # closed buckets kept as evidence
    stream_time: float = 0.0
    last_wall: float = 0.0
    evidence: dict[float, Evidence] = field(default_factory=dict)  # per bucket, before a burst
    burst: Burst | None = None
    posts: int = 0  # posts applied, late ones included
    late: int = 0  # posts older than the open bucket, not counted (see :mod:`.stream`)

    def buckets_json(self) -> dict[str, Any]:
        return {
            "open": vars(self.open) if self.open else None,
            "next": vars(self.next) if self.next else None,
            "recent": [vars(c) for c in self.recent],
            "stream_time": self.stream_time,
            "last_wall": self.last_wall,
            "posts": self.posts,
            "late": self.late,
        }

    def evidence_json(self) -> dict[str, Any]:
        burst = None
        if self.burst is not None:
            burst = {**vars(self.burst), "evidence": self.burst.evidence.to_json()}
        return {
            "buckets": [[start, ev.to_json()] for start, ev in self.evidence.items()],
            "burst": burst,
        }

    @classmethod
    def from_json(
        cls, hashtag: str, buckets: dict[str, Any] | None, evidence: dict[str, Any] | None
    ) -> HashtagState:
        state = cls(hashtag)
        if buckets:
            state.open = Counts(**buckets["open"]) if buckets.get("open") else None
            state.next = Counts(**buckets["next"]) if buckets.get("next") else None
            state.recent = [Counts(**c) for c in buckets.get("recent", [])]
            state.stream_time = float(buckets.get("stream_time", 0.0))
            state.last_wall = float(buckets.get("last_wall", 0.0))
            state.posts = int(buckets.get("posts", 0))
            state.late = int(buckets.get("late", 0))
        if evidence:
            state.evidence = {
                float(start): Evidence.from_json(ev) for start, ev in evidence.get("buckets", [])
            }
            if evidence.get("burst"):
                fields = dict(evidence["burst"])
                fields["evidence"] = Evidence.from_json(fields["evidence"])
                state.burst = Burst(**fields)
        return state


@dataclass(frozen=True, slots=True)
class PostSeen:
    """What the stream needs of one scored post, for one of its hashtags: its time, whether it
    is negative, its engagement weight (:func:`.model.post_weight`) and, for a negative post,
    what the evidence keeps of it."""

    created_at: float
    negative: bool
    weight: float = 1.0
    post: EvidencePost | None = None


@dataclass(slots=True)
class BucketRow:
    """The posts of one record that fall in one bucket, summed: what the stream counts of them
    (their number, the negative ones and the engagement weights of those), the first and last
    ``created_at`` (when the bucket's posts move stream time) and the negative posts' evidence.
    A record's rows come in bucket order; applying them is applying their posts in time order."""

    start: float
    total: int = 0
    negative: int = 0
    engagement: float = 0.0
    first: float = 0.0
    last: float = 0.0
    evidence: list[EvidencePost] = field(default_factory=list)

    def add(self, seen: PostSeen) -> None:
        self.count(seen.created_at, seen.weight if seen.negative else None, seen.post)

    def count(self, created_at: float, weight: float | None, post: EvidencePost | None) -> None:
        """One post; ``weight`` (its engagement weight) only for a negative one."""
        if self.total == 0 or created_at < self.first:
            self.first = created_at
        if created_at > self.last:
            self.last = created_at
        self.total += 1
        if weight is not None:
            self.negative += 1
            self.engagement += weight
            if post is not None:
                self.evidence.append(post)


def bucket_rows(posts: Iterable[PostSeen], bucket_s: int) -> list[BucketRow]:
    """Posts (in ``created_at`` order within a bucket, for the evidence) as bucket rows."""
    rows: dict[float, BucketRow] = {}
    for seen in posts:
        start = floor_to(seen.created_at, bucket_s)
        row = rows.get(start)
        if row is None:
            row = rows[start] = BucketRow(start)
        row.add(seen)
    return [rows[start] for start in sorted(rows)]


def floor_to(moment: float, size: int) -> float:
    """The start of the bucket of ``size`` seconds that holds ``moment``."""
    return float(math.floor(moment / size) * size)


@dataclass
class Step:
    """The outcome of one record (posts) or tick: messages to send, and which tables changed."""

    alerts: list[Alert] = field(default_factory=list)
    detector_changed: bool = False
    evidence_changed: bool = False
    late: int = 0  # posts of this step too old to count


def moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
