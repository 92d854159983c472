"""One hashtag's spike stream without a broker: buckets in stream time, the burst's messages."""

from __future__ import annotations

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import DetectorConfig
from classify.spikes.stream import HashtagStream, StreamConfig
from classify.spikes.stream_state import HashtagState
from contract import Alert, AlertKind
from tests.classify.spikes.stream_factories import (
    BUCKET_S,
    T0,
    SyntheticPost,
    background,
    burst,
    seen,
)

CONFIG = DetectorConfig(warmup_s=3600.0)
STREAM = StreamConfig(bucket_s=BUCKET_S, lateness_s=30.0, quiet_after_s=60.0, quiet_rate=1.0)


class Runner:
    """Feeds posts to one hashtag's state the way the worker does, reloading it from its JSON
    after every post (as a restart would)."""

    def __init__(self, *, snoozed: bool = False) -> None:
        self.state = HashtagState("trailpeak")
        self.detector = SpikeDetector(CONFIG)
        self.snoozed = snoozed
        self.alerts: list[Alert] = []

    def feed(self, posts: list[SyntheticPost], *, reload: bool = False) -> list[Alert]:
        sent: list[Alert] = []
        for post in posts:
            stream = HashtagStream(STREAM, self.state, self.detector, snoozed=self.snoozed)
            sent += stream.on_post(seen(post), wall=0.0).alerts
            if reload:
                self.reload()
        self.alerts += sent
        return sent

    def reload(self) -> None:
        self.state = HashtagState.from_json(
            "trailpeak", self.state.buckets_json(), self.state.evidence_json()
        )
        self.detector = SpikeDetector(CONFIG, self.detector.state())


def kinds(alerts: list[Alert]) -> list[AlertKind]:
    return [a.kind for a in alerts]


def test_a_burst_on_a_warm_hashtag_fires_once_updates_a_little_and_resolves() -> None:
    runner = Runner()
    assert runner.feed(background(T0, 36)) == []

    during = runner.feed(burst(T0 + 36 * BUCKET_S, 60, minutes=12))
    after = runner.feed(background(T0 + 40 * BUCKET_S, 12))

    assert kinds(during)[0] is AlertKind.FIRED
    assert kinds(during + after).count(AlertKind.FIRED) == 1
    assert kinds(during + after)[-1] is AlertKind.RESOLVED
    assert kinds(during + after).count(AlertKind.UPDATED) <= 4
    ids = {a.alert_id for a in during + after}
    assert len(ids) == 1
    assert [a.sequence for a in during + after] == list(range(1, len(during + after) + 1))
    fired = during[0]
    # It fired before the burst's bucket closed: within the first bucket of the burst.
    assert fired.window_end.timestamp() <= T0 + 38 * BUCKET_S
    assert fired.negative_count >= 10
    assert fired.expected_negative < fired.negative_count
    assert fired.top_posts
    assert len(fired.top_posts) <= 5
    assert fired.top_posts[0].engagement >= fired.top_posts[-1].engagement
    assert "recall" in fired.top_terms
    assert "trailpeak" not in fired.top_terms
    assert fired.networks["mastodon"] == fired.negative_count - _background_negatives(fired)
    assert set(fired.post_ids) >= {p.post_id for p in fired.top_posts}


def _background_negatives(alert: Alert) -> int:
    # Background negatives of the evidence buckets also count: they are in the networks too.
    return alert.negative_count - alert.networks["mastodon"]


def test_the_state_survives_a_round_trip_through_its_json_after_every_post() -> None:
    straight, reloaded = Runner(), Runner()
    posts = [
        *background(T0, 36),
        *burst(T0 + 36 * BUCKET_S, 60, minutes=12),
        *background(T0 + 40 * BUCKET_S, 12),
    ]

    straight.feed(posts)
    reloaded.feed(posts, reload=True)

    assert kinds(reloaded.alerts) == kinds(straight.alerts)
    assert [a.negative_count for a in reloaded.alerts] == [
        a.negative_count for a in straight.alerts
    ]


def test_a_snoozed_hashtag_learns_but_sends_nothing() -> None:
    runner = Runner(snoozed=True)
    runner.feed(background(T0, 36))

    runner.feed(burst(T0 + 36 * BUCKET_S, 60, minutes=12))
    runner.feed(background(T0 + 40 * BUCKET_S, 12))

    assert runner.alerts == []
    assert runner.detector.state()["seen"] >= 50


def test_a_snooze_ending_during_the_burst_fires_it_then() -> None:
    runner = Runner(snoozed=True)
    runner.feed(background(T0, 36))
    runner.feed(burst(T0 + 36 * BUCKET_S, 40, minutes=6))
    assert runner.alerts == []

    runner.snoozed = False
    later = runner.feed(burst(T0 + 38 * BUCKET_S, 20, minutes=4))

    assert kinds(later)[:1] == [AlertKind.FIRED]
    assert later[0].negative_count > 40  # the posts of the snoozed part count


def test_a_quiet_hashtag_closes_its_buckets_by_the_clock_and_resolves() -> None:
    runner = Runner()
    runner.feed(background(T0, 36))
    fired = runner.feed(burst(T0 + 36 * BUCKET_S, 60, minutes=12))
    assert kinds(fired)[0] is AlertKind.FIRED

    resolved: list[Alert] = []
    wall = 0.0
    for _ in range(20):  # 20 ticks of five minutes each, nobody posting
        wall += 300.0
        step = HashtagStream(STREAM, runner.state, runner.detector).on_tick(wall=wall)
        resolved += step.alerts

    assert kinds(resolved)[-1:] == [AlertKind.RESOLVED]


def test_a_tick_before_the_quiet_period_changes_nothing() -> None:
    runner = Runner()
    runner.feed(background(T0, 3))
    before = runner.state.buckets_json()

    HashtagStream(STREAM, runner.state, runner.detector).on_tick(wall=30.0)

    assert runner.state.buckets_json() == before


def test_a_backlog_whose_halves_arrive_hours_apart_makes_no_alert() -> None:
    # A day of posts from two partitions, the second read after the first (as a broker may
    # serve a backlog): its posts are hours behind the hashtag's stream time.
    day = background(T0, 288)
    first, second = day[0::2], day[1::2]
    runner = Runner()

    sent = runner.feed([*first, *second])

    assert sent == []
    assert runner.state.late >= len(second) - 2
    assert runner.state.posts == len(day)


def test_a_record_of_many_posts_alerts_as_the_posts_one_by_one() -> None:
    posts = [
        *background(T0, 36),
        *burst(T0 + 36 * BUCKET_S, 60, minutes=12),
        *background(T0 + 40 * BUCKET_S, 12),
    ]
    one_by_one, in_records = Runner(), Runner()
    one_by_one.feed(posts)

    for index in range(0, len(posts), 8):
        stream = HashtagStream(STREAM, in_records.state, in_records.detector)
        records = [seen(post) for post in posts[index : index + 8]]
        in_records.alerts += stream.on_posts(records, wall=0.0).alerts

    assert kinds(in_records.alerts)[0] is AlertKind.FIRED
    assert kinds(in_records.alerts)[-1] is AlertKind.RESOLVED
    assert kinds(in_records.alerts).count(AlertKind.FIRED) == 1
    fired_alone, fired_in_records = one_by_one.alerts[0], in_records.alerts[0]
    assert fired_alone.as_of is not None
    assert fired_in_records.as_of is not None
    delay = fired_in_records.as_of - fired_alone.as_of
    assert delay.total_seconds() <= BUCKET_S
    assert in_records.detector.state() == one_by_one.detector.state()
