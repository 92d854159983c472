"""The polling runner with a scripted connector: what is produced, when positions move, and
what a job does on each kind of trouble."""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Any

import pytest

from contract import PoisonMessage, RawPost
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    BudgetExhausted,
    FetchResult,
    JobSpec,
    Unavailable,
)
from ingest.connectors.runner import (
    MAX_CATCH_UP_FETCHES,
    MemoryHealth,
    PollingRunner,
    stoppable_sleep,
)
from ingest.producer import DeliveryFailed
from tests.conftest import wait_until
from tests.ingest.ingest_fakes import (
    ClockedStop,
    FakeClock,
    MemoryPositions,
    RecordingHealth,
    RecordingProducer,
    scripted_post,
)

Step = FetchResult | Exception


class ScriptedConnector:
    """Answers each fetch with the next scripted step (a result or an error to raise); items
    are ``{"id": ..., "text": ...}``, one without ``text`` is malformed, one with ``boost``
    is skipped."""

    network = "fake"

    def __init__(self, *steps: Step) -> None:
        self.steps: deque[Step] = deque(steps)
        self.calls: list[tuple[str, str | None]] = []

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        self.calls.append((tag, position))
        step = self.steps.popleft() if self.steps else FetchResult(items=[], position=None)
        if isinstance(step, Exception):
            raise step
        return step

    def normalize(self, item: Any, tag: str, collected_at: datetime) -> RawPost | None:
        if item.get("boost"):
            return None
        if "text" not in item:
            raise PoisonMessage("item has no text")
        return scripted_post(item["id"], item["text"], tag=tag, at=collected_at)

    def item_key(self, item: Any) -> str | None:
        return str(item["id"]) if "id" in item else None

    def budget(self) -> Budget | None:
        return Budget(remaining=7, limit=10)

    def close(self) -> None:
        pass


def item(native_id: str, text: str = "hi #brand", **extra: Any) -> dict[str, Any]:
    return {"id": native_id, "text": text, **extra}


def result(*items: dict[str, Any], position: str | None = None, more: bool = False) -> FetchResult:
    last = items[-1]["id"] if items else None
    return FetchResult(items=list(items), position=position or last, more=more)


def make_runner(
    connector: ScriptedConnector,
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: MemoryHealth,
    clock: FakeClock,
    *,
    hashtags: tuple[str, ...] = ("brand",),
    poll_interval_s: float = 10.0,
) -> PollingRunner:
    job = JobSpec(
        job_id="job-1", network="fake", hashtags=hashtags, poll_interval_s=poll_interval_s
    )
    # jitter=1.0 makes the backoff exact: the poll interval, then twice it...
    return PollingRunner(
        job, connector, producer, positions, health, now=clock.now, jitter=lambda: 1.0
    )


def test_position_is_saved_only_after_the_flush_succeeded(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(result(item("1"), item("2")), result(item("1"), item("2")))
    runner = make_runner(connector, producer, positions, health, clock)
    producer.fail_flush = True

    with pytest.raises(DeliveryFailed):
        runner.poll_once()
    assert positions.positions == {}

    producer.fail_flush = False
    assert runner.poll_once() == 2

    assert positions.saves == [("2", ["1", "2"])]  # saved when both were acknowledged
    assert connector.calls == [("brand", None), ("brand", None)]


def test_malformed_item_is_dead_lettered_and_the_rest_produced(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    broken = {"id": "2", "oops": True}
    connector = ScriptedConnector(result(item("1"), broken, item("3")))
    runner = make_runner(connector, producer, positions, health, clock)

    assert runner.poll_once() == 2

    assert producer.native_ids == ["1", "3"]
    [dead] = producer.dead_letters
    assert dead.stage == "ingest.fake"
    assert dead.reason == "item has no text"
    assert json.loads(dead.original) == broken
    assert dead.key_b64 is not None
    assert positions.positions == {("fake", "job-1", "brand"): "3"}


def test_skipped_items_are_not_produced_but_the_position_passes_them(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(result(item("1"), item("2", boost=True)))
    runner = make_runner(connector, producer, positions, health, clock)

    assert runner.poll_once() == 1

    assert producer.native_ids == ["1"]
    assert producer.dead_letters == []
    assert positions.positions == {("fake", "job-1", "brand"): "2"}


def test_duplicates_within_a_poll_are_dropped_across_fetches_and_hashtags(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(
        result(item("1"), item("1"), item("2")),  # #brand
        result(item("2"), item("3")),  # #brandsale: "2" carries both tags
    )
    runner = make_runner(
        connector, producer, positions, health, clock, hashtags=("brand", "brandsale")
    )

    assert runner.poll_once() == 3

    assert producer.native_ids == ["1", "2", "3"]
    assert positions.positions == {
        ("fake", "job-1", "brand"): "2",
        ("fake", "job-1", "brandsale"): "3",
    }


def test_more_fetches_again_at_once_from_the_saved_position(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(
        result(item("1"), item("2"), more=True), result(item("3")), result(item("9"))
    )
    runner = make_runner(connector, producer, positions, health, clock)

    assert runner.poll_once() == 3

    assert connector.calls == [("brand", None), ("brand", "2")]
    assert [position for position, _ in positions.saves] == ["2", "3"]
    assert producer.flushes == 2  # each fetch is acknowledged before its position is saved


def test_a_backlog_that_never_ends_is_left_for_the_next_poll(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    steps = [result(item(str(n)), more=True) for n in range(MAX_CATCH_UP_FETCHES + 5)]
    connector = ScriptedConnector(*steps)
    runner = make_runner(connector, producer, positions, health, clock)

    assert runner.poll_once() == MAX_CATCH_UP_FETCHES
    assert len(connector.calls) == MAX_CATCH_UP_FETCHES


def test_auth_failed_marks_the_job_failing_and_run_returns(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    refused = AuthFailed("fake answered 401 to GET /search: Invalid token", status=401)
    connector = ScriptedConnector(refused, result(item("1")))
    runner = make_runner(connector, producer, positions, health, clock)
    stop = ClockedStop(clock)

    runner.run(stop)

    assert health.failing
    assert health.last_error == "fake answered 401 to GET /search: Invalid token"
    assert health.last_error_at is not None
    assert len(connector.calls) == 1  # not polled again until somebody fixes the job
    assert stop.waits == []
    assert producer.posts == []


def test_unavailable_is_recorded_with_a_growing_backoff_and_retried(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(
        Unavailable("fake: HTTP 503"), Unavailable("fake: HTTP 502"), result(item("1"))
    )
    runner = make_runner(connector, producer, positions, health, clock, poll_interval_s=10)
    stop = ClockedStop(clock, stop_after=3)

    runner.run(stop)

    assert health.errors == ["fake: HTTP 503", "fake: HTTP 502"]
    assert health.backoffs == [10.0, 20.0]
    assert stop.waits == [10.0, 20.0, 10.0]  # back to the poll interval once it worked
    assert producer.native_ids == ["1"]
    assert health.collected == 1
    assert health.backoff_s == 0.0
    assert health.last_success_at is not None
    assert health.budget == Budget(remaining=7, limit=10)
    assert not health.failing


def test_budget_exhausted_waits_until_it_resets(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    resets_at = clock.now() + timedelta(hours=5)
    connector = ScriptedConnector(
        BudgetExhausted("fake: daily quota spent", resets_at=resets_at), result(item("1"))
    )
    runner = make_runner(connector, producer, positions, health, clock, poll_interval_s=10)
    stop = ClockedStop(clock, stop_after=2)

    runner.run(stop)

    assert stop.waits == [5 * 3600.0, 10.0]
    assert health.errors == ["fake: daily quota spent"]
    assert health.backoffs == [5 * 3600.0]
    assert producer.native_ids == ["1"]
    assert not health.failing


def test_budget_exhausted_without_a_reset_time_waits_one_interval(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(BudgetExhausted("fake: quota spent"))
    runner = make_runner(connector, producer, positions, health, clock, poll_interval_s=10)
    stop = ClockedStop(clock, stop_after=1)

    runner.run(stop)

    assert stop.waits == [10.0]


def test_a_stop_during_a_connector_wait_ends_run_without_failing_the_job(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    stop = threading.Event()
    sleep = stoppable_sleep(stop)

    class RateLimitedConnector(ScriptedConnector):
        def fetch(self, tag: str, position: str | None) -> FetchResult:
            self.calls.append((tag, position))
            stop.set()  # as SIGTERM would, while the connector waits for a rate-limit reset
            sleep(600)  # returns at once, raising JobStopped
            raise AssertionError("stoppable_sleep went on after a stop")

    connector = RateLimitedConnector()
    runner = make_runner(connector, producer, positions, health, clock)

    runner.run(stop)

    assert len(connector.calls) == 1
    assert not health.failing
    assert health.errors == []
    assert positions.positions == {}


def test_the_stop_event_ends_run_between_polls(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(result(item("1")))
    runner = make_runner(connector, producer, positions, health, clock, poll_interval_s=3600)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    wait_until(lambda: health.collected == 1, timeout=10, message="the first poll")

    stop.set()
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert len(connector.calls) == 1
    assert producer.native_ids == ["1"]


def test_run_does_not_poll_when_already_stopped(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(result(item("1")))
    stop = threading.Event()
    stop.set()

    make_runner(connector, producer, positions, health, clock).run(stop)

    assert connector.calls == []


def test_a_hashtag_the_network_cannot_serve_does_not_hold_back_the_others(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedConnector(
        Unavailable("HTTP 503 for #brand"),
        result(item("7"), position="7"),  # #brandsale
    )
    runner = make_runner(
        connector, producer, positions, health, clock, hashtags=("brand", "brandsale")
    )

    with pytest.raises(Unavailable, match="#brand"):
        runner.poll_once()

    assert producer.native_ids == ["7"]
    assert positions.positions == {("fake", "job-1", "brandsale"): "7"}
    assert runner.produced_total == 1
