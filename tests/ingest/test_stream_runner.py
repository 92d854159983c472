"""The stream runner with a scripted streaming connector: when positions move, and what a job
does on a dropped connection, a refused one, a broker failure and a stop."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from contract import PoisonMessage, RawPost
from ingest.connectors.base import AuthFailed, ConfigError, JobSpec, StreamEvent, Unavailable
from ingest.connectors.runner import MemoryHealth
from ingest.connectors.stream_runner import STREAM_POSITION, StreamRunner
from tests.ingest.ingest_fakes import (
    FakeClock,
    MemoryPositions,
    RecordingHealth,
    RecordingProducer,
    scripted_post,
)

STOP = object()  # a script step: the job is asked to stop
Step = StreamEvent | Exception | Callable[[], None] | object


class ScriptedStream:
    """Each :meth:`stream` call plays the next connection's script: events to yield, callables
    to run (moving the clock), an error to raise, or :data:`STOP`. Without a script left, the
    connection asks the job to stop. Items are ``{"id", "text"}``; one without text is poison."""

    network = "fake"

    def __init__(self, *connections: Sequence[Step]) -> None:
        self.connections: deque[Sequence[Step]] = deque(connections)
        self.positions: list[str | None] = []
        self.closed = 0

    def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
        self.positions.append(position)
        script = self.connections.popleft() if self.connections else [STOP]
        try:
            for step in script:
                if step is STOP:
                    stop.set()
                    return
                if isinstance(step, Exception):
                    raise step
                if isinstance(step, StreamEvent):
                    yield step
                elif callable(step):
                    step()
        finally:
            self.closed += 1

    def normalize(self, item: Any, collected_at: datetime) -> RawPost | None:
        if "text" not in item:
            raise PoisonMessage("item has no text")
        if not item["text"]:
            return None
        return scripted_post(item["id"], item["text"], tag="brand", at=collected_at)

    def item_key(self, item: Any) -> str | None:
        return str(item["id"]) if "id" in item else None

    def close(self) -> None:
        pass


def post(native_id: str, text: str = "hi #brand") -> StreamEvent:
    return StreamEvent(item={"id": native_id, "text": text}, position=native_id)


def moved(position: str) -> StreamEvent:
    """An event that carries nothing for the job (a post without its tag) but moves the cursor."""
    return StreamEvent(item=None, position=position)


TICK = StreamEvent(item=None, position=None)


def make_runner(
    connector: ScriptedStream,
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: MemoryHealth,
    clock: FakeClock,
    **kwargs: Any,
) -> StreamRunner:
    job = JobSpec(job_id="job-1", network="fake", hashtags=("brand",))
    # jitter=1.0 makes the backoff exact: 1 s, 2 s, 4 s...
    kwargs.setdefault("flush_every", 100)
    return StreamRunner(
        job,
        connector,
        producer,
        positions,
        health,
        now=clock.now,
        jitter=lambda: 1.0,
        sleep=clock.sleep,
        **kwargs,
    )


def run(runner: StreamRunner) -> threading.Event:
    stop = threading.Event()
    runner.run(stop)
    return stop


def test_position_is_saved_every_n_posts_once_the_broker_acknowledged_them(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedStream([post("1"), post("2"), moved("3"), post("4"), post("5"), STOP])
    runner = make_runner(connector, producer, positions, health, clock, flush_every=2)

    run(runner)

    assert positions.saves == [("2", ["1", "2"]), ("5", ["1", "2", "4", "5"])]
    assert runner.produced_total == 4
    assert health.collected == 4
    assert connector.closed == 1


def test_an_idle_stream_is_checkpointed_on_time(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    later = lambda: clock.advance(3)  # noqa: E731
    script = [moved("1"), later, TICK, moved("2"), later, TICK, later, TICK, STOP]
    runner = make_runner(
        ScriptedStream(script), producer, positions, health, clock, flush_interval_s=5
    )

    run(runner)

    # Six seconds after the start, the cursor (moved by events without posts) is saved.
    assert positions.saves == [("2", [])]
    assert health.last_success_at is not None


def test_a_malformed_item_is_dead_lettered_and_the_stream_goes_on(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    broken = StreamEvent(item={"id": "2"}, position="2")
    skipped = StreamEvent(item={"id": "3", "text": ""}, position="3")
    connector = ScriptedStream([post("1"), broken, skipped, post("4"), STOP])
    runner = make_runner(connector, producer, positions, health, clock)

    run(runner)

    assert producer.native_ids == ["1", "4"]
    [dead] = producer.dead_letters
    assert dead.reason == "item has no text"
    assert dead.stage == "ingest.fake"
    assert positions.saves == [("4", ["1", "4"])]


def test_a_dropped_connection_reconnects_from_the_saved_position_with_capped_backoff(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    drop = Unavailable("fake: connection reset")
    connector = ScriptedStream(
        [post("1"), post("2"), drop], [drop], [drop], [drop], [post("3"), STOP]
    )
    runner = make_runner(connector, producer, positions, health, clock, backoff_cap_s=3)

    run(runner)

    assert connector.positions == [None, "2", "2", "2", "2"]
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]
    assert health.backoffs == [1.0, 2.0, 3.0, 3.0]
    assert positions.saves == [("2", ["1", "2"]), ("3", ["1", "2", "3"])]
    assert not health.failing


def test_events_after_a_drop_reset_the_backoff(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    drop = Unavailable("fake: connection reset")
    connector = ScriptedStream([drop], [post("1"), drop], [drop], [STOP])
    runner = make_runner(connector, producer, positions, health, clock)

    run(runner)

    assert clock.sleeps == [1.0, 1.0, 2.0]


def test_a_broker_failure_resumes_from_the_last_saved_position(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    def broker_down() -> None:
        producer.fail_flush = True

    def broker_back() -> None:
        producer.fail_flush = False

    connector = ScriptedStream(
        [post("1"), post("2"), broker_down, post("3"), post("4")],
        [broker_back, post("3"), post("4"), STOP],
    )
    runner = make_runner(connector, producer, positions, health, clock, flush_every=2)

    run(runner)

    assert connector.positions == [None, "2"]
    assert positions.saves == [("2", ["1", "2"]), ("4", ["1", "2", "3", "4"])]
    assert "DeliveryFailed" in health.errors[0]


def test_a_refused_connection_marks_the_job_failing(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    refused = AuthFailed("fake answered 401: invalid token", status=401)
    connector = ScriptedStream([post("1"), refused], [post("2")])
    runner = make_runner(connector, producer, positions, health, clock)

    stop = run(runner)

    assert not stop.is_set()  # it returned by itself
    assert health.failing
    assert health.last_error == "fake answered 401: invalid token"
    assert positions.saves == [("1", ["1"])]  # what was consumed before is kept
    assert connector.positions == [None]


def test_a_config_error_hands_the_job_over_to_the_fallback(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    handed: list[threading.Event] = []
    connector = ScriptedStream([ConfigError("fake: streaming needs a token")])
    runner = make_runner(connector, producer, positions, health, clock, fallback=handed.append)

    stop = run(runner)

    assert handed == [stop]
    assert runner.handed_over
    assert not health.failing
    assert health.last_error == "streaming stopped, polling instead: fake: streaming needs a token"


def test_repeated_drops_hand_the_job_over_to_a_polling_runner(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    class Poller:
        def __init__(self) -> None:
            self.runs = 0

        def run(self, stop: threading.Event) -> None:  # noqa: ARG002 (Fallback's signature)
            self.runs += 1

    poller = Poller()
    drop = Unavailable("fake: 502")
    connector = ScriptedStream([drop], [drop], [drop], [post("1")])
    runner = make_runner(
        connector, producer, positions, health, clock, fallback=poller, fallback_after=3
    )

    run(runner)

    assert poller.runs == 1
    assert clock.sleeps == [1.0, 2.0]  # two waits, then the third drop hands over
    assert "3 times in a row" in (health.last_error or "")


def test_a_stop_flushes_and_saves_before_returning(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    stop = threading.Event()
    events = [post("1"), post("2"), post("3")]

    class StopsAfterTwo(ScriptedStream):
        def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
            self.positions.append(position)
            try:
                for n, event in enumerate(events, start=1):
                    if n == 2:
                        stop.set()  # arrives with the second post: the third is never read
                    yield event
            finally:
                self.closed += 1

    connector = StopsAfterTwo()
    runner = make_runner(connector, producer, positions, health, clock)

    runner.run(stop)

    assert positions.saves == [("2", ["1", "2"])]
    assert connector.closed == 1  # the connection was closed when the runner left it


def test_a_stream_that_ends_by_itself_counts_as_a_drop(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    connector = ScriptedStream([post("1")], [STOP])
    runner = make_runner(connector, producer, positions, health, clock)

    run(runner)

    assert connector.positions == [None, "1"]
    assert health.errors == ["fake: the stream ended"]


def test_the_stream_position_never_collides_with_a_hashtag(
    producer: RecordingProducer,
    positions: MemoryPositions,
    health: RecordingHealth,
    clock: FakeClock,
) -> None:
    runner = make_runner(ScriptedStream(), producer, positions, health, clock)
    assert runner.position_key == ("fake", "job-1", STREAM_POSITION)
    assert STREAM_POSITION.startswith("#")  # hashtags are normalized without `#`
