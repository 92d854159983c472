"""One hashtag's spike stream, free of any broker: buckets in stream time, the detector, and the
alert messages of a burst (:mod:`classify.spikes.worker` moves the bytes and the tables).

Stream time is the largest ``created_at`` seen for the hashtag. The open bucket closes (and is
``observe``d) once stream time passes its end by the lateness allowance; a post inside that
allowance but past the open bucket's end is counted in the next bucket.

Late posts. A post older than the open bucket belongs to a bucket the detector has already
observed. Counting it into the open bucket (as this stream once did) is wrong when many come
at once: a backlog whose partitions are read at different paces, or a replay after a restart,
piles hours of posts into one bucket, which is a spike by construction. Counting it into its own
bucket is impossible (the detector's state moved on, and is causal by design). So such a post
is not counted: it only adds to the hashtag's ``late`` tally (in its state, and logged by the
worker), nor kept as evidence. Records are sorted by ``created_at``, so the disorder left is
between records (partitions read at different paces: :mod:`.worker`); the allowance
(``UGC_SPIKES_LATENESS_S``) absorbs small skews. A dropped late post weighs less than a phantom
spike: at worst a burst's stragglers are not counted, and a backlog read out of order lowers
the baseline a little (its late half is missing) instead of piling into one bucket.

Posts come in records: a hashtag's posts of one batch summed per bucket, in bucket order
(:class:`.BucketRow`, :meth:`HashtagStream.on_rows`; :meth:`HashtagStream.on_posts` makes them
from posts). Applying a row is applying its posts one by one: it moves stream time to its first
post, is counted, then moves stream time to its last post. The buckets that a record closes are
``observe``d as it goes; the open bucket is ``peek``ed once at the end of the record when
negative posts reached it, so that a burst fires before its bucket closes (one peek per record,
not per post: the cost of a peek is the detector's tails).

Messages of one burst: ``fired`` once; ``updated`` at most once per bucket, when the negative
count grew by a quarter since the last message or the peak score rose by 0.05; ``resolved``
when the detector says the burst ended. While a hashtag is snoozed the detector still learns
and a burst is still tracked, but nothing is sent, except the ``resolved`` of an incident that
was announced before the snooze (it must not stay open forever). When the snooze ends while
the burst is still on, ``fired`` is sent then, with the evidence gathered so far. Every message
carries ``as_of``, the hashtag's stream time when it was made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from classify.spikes.detector import SpikeDetector
from classify.spikes.evidence import Evidence, EvidencePost
from classify.spikes.model import Verdict
from classify.spikes.stream_state import (
    BucketRow,
    Burst,
    Counts,
    HashtagState,
    PostSeen,
    Step,
    bucket_rows,
    floor_to,
    moment,
)
from contract import Alert, AlertKind, utcnow

GROWTH = 1.25
PEAK_STEP = 0.05
# A gap longer than this many buckets is left to the detector to fill in one observe.
MAX_STEPPED_BUCKETS = 48


@dataclass(frozen=True)
class StreamConfig:
    bucket_s: int = 300
    lateness_s: float = 30.0
    evidence_buckets: int = 3
    quiet_after_s: float = 60.0
    quiet_rate: float = 1.0


class HashtagStream:
    """Applies posts and quiet ticks to one hashtag's state and its detector."""

    def __init__(
        self,
        config: StreamConfig,
        state: HashtagState,
        detector: SpikeDetector,
        *,
        snoozed: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.config = config
        self.state = state
        self.detector = detector
        self.snoozed = snoozed
        self.now = now or utcnow()
        self.step = Step()

    def on_post(self, seen: PostSeen, *, wall: float) -> Step:
        """One post (a record of one)."""
        return self.on_posts((seen,), wall=wall)

    def on_posts(self, posts: Sequence[PostSeen], *, wall: float) -> Step:
        """A record's posts, in ``created_at`` order (the order matters only for late posts)."""
        return self.on_rows(bucket_rows(posts, self.config.bucket_s), wall=wall)

    def on_rows(self, rows: Sequence[BucketRow], *, wall: float) -> Step:
        """A record's posts as bucket rows, in bucket order: each row moves stream time to its
        first post (closing the buckets that passed), is counted, then moves stream time to
        its last post, which is what its posts one by one would do."""
        state = self.state
        got_negatives: list[Counts] = []
        for row in rows:
            if state.open is None:
                state.open = Counts(row.start)
            self._advance(row.first)
            target = self._add(row)
            if target is not None and row.negative:
                got_negatives.append(target)
            self._advance(row.last)
            state.posts += row.total
        state.last_wall = wall
        # The open bucket is peeked once, if negative posts reached it (a closed bucket was
        # observed with its negatives already).
        open_ = state.open
        if open_ is not None and any(counts is open_ for counts in got_negatives):
            verdict = self._score(open_, peek=True)
            if verdict is not None:
                self._judge(verdict, peeked=True)
        return self.step

    def _advance(self, moment: float) -> None:
        state = self.state
        if moment <= state.stream_time:
            return
        state.stream_time = moment
        open_ = state.open
        if (
            open_ is not None
            and moment >= open_.start + self.config.bucket_s + self.config.lateness_s
        ):
            self._close_due(moment)

    def _add(self, row: BucketRow) -> Counts | None:
        """Count a row in the open bucket or the next one; None if it is late."""
        state, size = self.state, self.config.bucket_s
        open_ = state.open
        assert open_ is not None
        if row.start < open_.start:
            state.late += row.total
            self.step.late += row.total
            return None
        target = open_
        if row.start >= open_.start + size:
            state.next = state.next or Counts(open_.start + size)
            target = state.next
        target.total += row.total
        if row.negative:
            target.negative += row.negative
            target.engagement += row.engagement
            for post in row.evidence:
                self._add_evidence(target.start, post)
        return target

    def on_tick(self, *, wall: float) -> Step:
        """Advance a quiet hashtag's stream time by the wall-clock time since its last post
        (times ``quiet_rate``), closing the buckets that passed."""
        state = self.state
        idle = wall - state.last_wall
        if state.open is None or idle < self.config.quiet_after_s:
            return self.step
        state.stream_time += idle * self.config.quiet_rate
        state.last_wall = wall
        self._close_due(state.stream_time)
        return self.step

    def _close_due(self, upto: float) -> None:
        state, size = self.state, self.config.bucket_s
        stepped = 0
        while state.open is not None and upto >= state.open.start + size + self.config.lateness_s:
            closed = state.open
            verdict = self._score(closed, peek=False)
            if verdict is not None:
                self._judge(verdict, peeked=False)
                self.step.detector_changed = True
            if state.burst is not None:
                state.burst.closed_total += closed.total
                state.burst.closed_negative += closed.negative
            else:
                state.recent.append(closed)
            stepped += 1
            following = closed.start + size
            if state.next is None and stepped >= MAX_STEPPED_BUCKETS:
                following = max(following, floor_to(upto, size))
            state.open, state.next = state.next or Counts(following), None
            self._forget_old_evidence()

    def _score(self, counts: Counts, *, peek: bool) -> Verdict | None:
        try:
            if peek:
                return self.detector.peek(counts.bucket())
            return self.detector.observe(counts.bucket())
        except ValueError:
            # The detector already observed this bucket: its state was saved just before a
            # crash that lost the buckets' (at-least-once replay). Counting it twice is worse.
            return None

    def _forget_old_evidence(self) -> None:
        state = self.state
        if state.burst is not None or state.open is None:
            return
        oldest = state.open.start - self.config.evidence_buckets * self.config.bucket_s
        if state.recent and state.recent[0].start < oldest:
            state.recent = [c for c in state.recent if c.start >= oldest]
        if any(start < oldest for start in state.evidence):
            state.evidence = {s: ev for s, ev in state.evidence.items() if s >= oldest}
            self.step.evidence_changed = True

    def _add_evidence(self, start: float, post: EvidencePost) -> None:
        state = self.state
        target = (
            state.burst.evidence if state.burst else state.evidence.setdefault(start, Evidence())
        )
        target.add(post)
        self.step.evidence_changed = True

    def _judge(self, verdict: Verdict, *, peeked: bool) -> None:
        state = self.state
        burst = state.burst
        if verdict.alert and burst is None:
            if peeked:
                self.detector.fired_early(verdict.start)
                self.step.detector_changed = True
            burst = state.burst = self._open_burst(verdict)
        if burst is None:
            return
        self.step.evidence_changed = True
        # Only a closed bucket can end a burst: a peek sees a bucket that is still filling.
        if not peeked and (verdict.ended or not verdict.firing):
            if burst.announced:
                self._send(AlertKind.RESOLVED, verdict)
            state.burst = None
            state.recent, state.evidence = [], {}
            return
        burst.score = verdict.score
        burst.peak_score = max(burst.peak_score, verdict.score)
        burst.reasons = list(verdict.reasons) or burst.reasons
        burst.baseline_share = verdict.baseline_share
        if not peeked:
            burst.expected_per_bucket = _expected_per_bucket(self.detector, verdict)
        if self.snoozed:
            return
        if not burst.announced:
            burst.announced = True
            self._send(AlertKind.FIRED, verdict)
        elif self._grew(burst):
            self._send(AlertKind.UPDATED, verdict)

    def _open_burst(self, verdict: Verdict) -> Burst:
        """A new burst, taking the evidence of the last few buckets with it."""
        state = self.state
        fired_at = verdict.start.timestamp()
        with_negatives = [c.start for c in state.recent if c.negative > 0]
        burst = Burst(
            alert_id=f"{state.hashtag}:{verdict.start.isoformat()}",
            window_start=min([*with_negatives, fired_at]),
        )
        for counts in state.recent:
            if counts.start >= burst.window_start:
                burst.closed_total += counts.total
                burst.closed_negative += counts.negative
        for start in sorted(state.evidence):
            burst.evidence.merge(state.evidence[start])
        burst.expected_per_bucket = _expected_per_bucket(self.detector, verdict)
        state.recent, state.evidence = [], {}
        return burst

    def _counts(self) -> tuple[int, int, float]:
        """(negative, total, window end) of the burst so far."""
        state, burst = self.state, self.state.burst
        assert burst is not None
        live = [c for c in (state.open, state.next) if c is not None]
        negative = burst.closed_negative + sum(c.negative for c in live)
        total = burst.closed_total + sum(c.total for c in live)
        end = max(c.start for c in live) + self.config.bucket_s if live else state.stream_time
        return negative, total, end

    def _grew(self, burst: Burst) -> bool:
        open_ = self.state.open
        if open_ is not None and burst.sent_bucket == open_.start:
            return False
        negative, _, _ = self._counts()
        return (
            negative >= math.ceil(burst.sent_negative * GROWTH)
            or burst.peak_score >= burst.sent_peak + PEAK_STEP
        )

    def _send(self, kind: AlertKind, verdict: Verdict) -> None:
        burst = self.state.burst
        assert burst is not None
        negative, total, end = self._counts()
        buckets = max(1.0, (end - burst.window_start) / self.config.bucket_s)
        burst.sequence += 1
        burst.sent_negative, burst.sent_peak = negative, burst.peak_score
        burst.sent_bucket = self.state.open.start if self.state.open else None
        self.step.alerts.append(
            Alert(
                kind=kind,
                alert_id=burst.alert_id,
                hashtag=self.state.hashtag,
                window_start=moment(burst.window_start),
                window_end=moment(end),
                negative_count=negative,
                expected_negative=round(burst.expected_per_bucket * buckets, 3),
                total_count=total,
                negative_share=round(negative / total, 4) if total else 0.0,
                baseline_share=round(min(1.0, max(0.0, burst.baseline_share)), 4),
                score=min(1.0, max(0.0, verdict.score)),
                peak_score=min(1.0, max(0.0, burst.peak_score)),
                reasons=burst.reasons,
                top_posts=[p.to_alert_post() for p in burst.evidence.top],
                top_terms=burst.evidence.top_terms(hashtag=self.state.hashtag),
                networks=dict(burst.evidence.networks),
                post_ids=list(burst.evidence.post_ids),
                sequence=burst.sequence,
                detected_at=self.now,
                as_of=moment(self.state.stream_time),
            )
        )


def _expected_per_bucket(detector: SpikeDetector, verdict: Verdict) -> float:
    """The baseline's negative posts per bucket now: the expectation the detector recorded for
    its last bucket (its verdicts give the baseline of their alert window, whose length they
    do not say)."""
    recent = detector.state().get("recent") or []
    if recent and len(recent[-1]) >= 4:
        return max(0.0, float(recent[-1][3]))
    return max(0.0, verdict.expected_negative)
