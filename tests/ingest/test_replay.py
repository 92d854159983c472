"""Replaying a JSONL file: pacing, retiming, and bad lines to the dead-letter topic."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import PoisonMessage, RawPost, encode
from ingest.sources.replay import Pacer, iter_posts, replay
from tests.ingest.ingest_fakes import FakeClock, RecordingProducer


def make_post(
    *, native_id: str = "1", created_at: datetime | None = None, **fields: Any
) -> RawPost:
    return RawPost(
        platform="mastodon",
        native_id=native_id,
        hashtags=["brand"],
        text=f"post {native_id}",
        author={"id": "a1", "handle": "alice"},
        created_at=created_at or datetime(2024, 6, 1, 9, 0, tzinfo=UTC),
        collected_at=datetime(2024, 6, 1, 9, 5, tzinfo=UTC),
        **fields,
    )


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def test_pacer_spaces_posts_at_the_rate_and_lets_the_first_go_at_once(clock: FakeClock) -> None:
    pacer = Pacer(4.0, clock=clock.monotonic, sleep=clock.sleep)

    for _ in range(5):
        pacer.wait()

    assert clock.sleeps == pytest.approx([0.25, 0.25, 0.25, 0.25])
    assert clock.monotonic() == pytest.approx(1.0)


def test_pacer_counts_time_spent_between_posts(clock: FakeClock) -> None:
    pacer = Pacer(2.0, clock=clock.monotonic, sleep=clock.sleep)
    pacer.wait()
    clock.advance(0.4)  # sending took 0.4 s of the 0.5 s budget

    pacer.wait()

    assert clock.sleeps == pytest.approx([0.1])


def test_pacer_does_not_burst_to_catch_up_after_a_stall(clock: FakeClock) -> None:
    pacer = Pacer(10.0, clock=clock.monotonic, sleep=clock.sleep)
    pacer.wait()
    clock.advance(60)

    for _ in range(3):
        pacer.wait()

    assert clock.sleeps == pytest.approx([0.1, 0.1])


def test_rate_zero_sends_without_waiting(clock: FakeClock) -> None:
    pacer = Pacer(0, clock=clock.monotonic, sleep=clock.sleep)

    for _ in range(100):
        pacer.wait()

    assert clock.sleeps == []


def test_replay_sends_every_post_in_order_at_the_rate_then_flushes(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl", [encode(make_post(native_id=str(i))) for i in range(5)]
    )
    producer = RecordingProducer()

    stats = replay(
        path,
        producer,
        rate=2.0,
        retime=False,
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=clock.now,
    )

    assert (stats.sent, stats.dead_lettered) == (5, 0)
    assert producer.native_ids == ["0", "1", "2", "3", "4"]
    assert sum(clock.sleeps) == pytest.approx(2.0)  # 5 posts at 2/s: 4 gaps of 0.5 s
    assert producer.flushes == 1


def test_retime_moves_every_date_by_one_amount_so_the_newest_is_now(
    tmp_path: Path, clock: FakeClock
) -> None:
    base = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
    offsets = [timedelta(minutes=0), timedelta(minutes=30), timedelta(minutes=5)]
    posts = [make_post(native_id=str(i), created_at=base + o) for i, o in enumerate(offsets)]
    path = write_lines(tmp_path / "posts.jsonl", [encode(p) for p in posts])
    producer = RecordingProducer()

    replay(path, producer, rate=0, clock=clock.monotonic, sleep=clock.sleep, now=clock.now)

    sent = producer.posts
    assert max(p.created_at for p in sent) == clock.now()
    assert [p.created_at - sent[0].created_at for p in sent] == [o - offsets[0] for o in offsets]
    assert all(p.collected_at == clock.now() for p in sent)


def test_without_retime_dates_are_kept_but_collected_at_is_now(
    tmp_path: Path, clock: FakeClock
) -> None:
    post = make_post()
    path = write_lines(tmp_path / "posts.jsonl", [encode(post)])
    producer = RecordingProducer()

    replay(path, producer, rate=0, retime=False, now=clock.now)

    assert producer.posts[0].created_at == post.created_at
    assert producer.posts[0].collected_at == clock.now()


def test_invalid_lines_go_to_the_dead_letter_topic_and_the_replay_continues(
    tmp_path: Path, clock: FakeClock
) -> None:
    not_json = b"{this is not json"
    not_a_post = b'{"platform": "mastodon", "native_id": "9"}'
    lines = [
        encode(make_post(native_id="1")),
        not_json,
        b"",
        not_a_post,
        encode(make_post(native_id="2")),
    ]
    path = write_lines(tmp_path / "posts.jsonl", lines)
    producer = RecordingProducer()

    stats = replay(path, producer, rate=0, now=clock.now)

    assert (stats.sent, stats.dead_lettered) == (2, 2)
    assert producer.native_ids == ["1", "2"]
    first, second = producer.dead_letters
    assert (first.original, second.original) == (not_json, not_a_post)
    assert first.stage == second.stage == "ingest.replay"
    assert "line 2" in first.reason
    assert "JSON" in first.reason
    assert "line 4" in second.reason
    assert "author" in second.reason


def test_stop_event_ends_the_replay_early_and_still_flushes(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = write_lines(
        tmp_path / "posts.jsonl", [encode(make_post(native_id=str(i))) for i in range(10)]
    )
    producer = RecordingProducer()
    stop = threading.Event()
    clock.on_sleep = lambda: stop.set() if len(clock.sleeps) == 3 else None

    stats = replay(
        path,
        producer,
        rate=1.0,
        stop=stop,
        clock=clock.monotonic,
        sleep=clock.sleep,
        now=clock.now,
    )

    assert stats.sent == 3
    assert producer.native_ids == ["0", "1", "2"]
    assert producer.flushes == 1


def test_iter_posts_reads_the_file_and_names_the_first_bad_line(tmp_path: Path) -> None:
    good = write_lines(
        tmp_path / "good.jsonl", [encode(make_post(native_id=str(i))) for i in range(3)]
    )
    assert [p.native_id for p in iter_posts(good)] == ["0", "1", "2"]

    bad = write_lines(tmp_path / "bad.jsonl", [encode(make_post()), b"[]"])
    with pytest.raises(PoisonMessage, match="line 2"):
        list(iter_posts(bad))
