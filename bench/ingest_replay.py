"""Record a connector's HTTP exchanges with a fake server once, then replay them, timed.

Recording runs the real connector under :class:`~ingest.connectors.runner.PollingRunner` against
a fake from ``tests/ingest`` on a fake clock: the fake publishes a batch of posts, the runner
polls, and every request/response pair is kept (method, URL, status, headers, body bytes).
Replaying builds a fresh connector on an ``httpx.MockTransport`` that answers each request with
the recorded response, after checking that the connector asked for exactly the recorded URL: the
fake's own work (filtering, sorting, encoding) is out of the timing, while the HTTP client, the
paging, the envelope checks, ``normalize``, the checkpoint files and the sink are all in it.
Each round starts at the recorded clock, so time-dependent requests match.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.ingest_corpus import FOLLOWED
from contract import DeadLetter, RawPost
from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import JobSpec
from ingest.connectors.bluesky import BlueskyStreamConnector
from ingest.connectors.registry import polling_connector
from ingest.connectors.runner import PollingRunner
from ingest.connectors.stream_runner import StreamRunner
from ingest.producer import PostSink
from tests.ingest.ingest_fakes import FakeClock

Handler = Callable[[httpx.Request], httpx.Response]
#: Seconds the clock moves per published post while recording.
SPACING_S = 2.0


class ReplayDiverged(RuntimeError):
    """The connector asked for something else than it did while recording."""


@dataclass(frozen=True)
class Exchange:
    method: str
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Round:
    """One poll: the clock when it started and what was said on the wire."""

    at: datetime
    exchanges: list[Exchange]


@dataclass(frozen=True)
class PollingRecording:
    name: str
    job: JobSpec
    rounds: list[Round]
    posts: int  # produced while recording: what every replay must produce too

    @property
    def bodies(self) -> list[bytes]:
        return [e.body for r in self.rounds for e in r.exchanges]


@dataclass(frozen=True)
class StreamRecording:
    name: str
    job: JobSpec
    frames: list[str]  # Jetstream text frames, as the websocket hands them over
    posts: int

    @property
    def bodies(self) -> list[str]:
        return self.frames


Recording = PollingRecording | StreamRecording


class NullSink:
    """A :class:`~ingest.producer.PostSink` that drops everything: the broker left out."""

    def send(self, post: RawPost) -> None:
        pass

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        raise AssertionError(f"recorded item dead-lettered: {dead_letter.reason}")

    def flush(self, timeout: float | None = None) -> None:
        pass


def bench_job(network: str, credentials: dict[str, str], **options: Any) -> JobSpec:
    """A job following the corpus's tag on ``network``."""
    return JobSpec(
        job_id=f"bench-{network}",
        network=network,
        hashtags=(FOLLOWED,),
        options=options,
        credentials=credentials,
    )


def publisher(clock: FakeClock, publish_one: Callable[[], object]) -> Callable[[int], None]:
    """``publish(count)``: ``count`` posts, :data:`SPACING_S` apart on ``clock``."""

    def publish(count: int) -> None:
        for _ in range(count):
            clock.advance(SPACING_S)
            publish_one()

    return publish


def record_polling(
    name: str,
    job: JobSpec,
    handler: Handler,
    clock: FakeClock,
    publish: Callable[[int], None],
    *,
    posts: int,
    batch: int,
) -> PollingRecording:
    """Publish ``posts`` in batches of ``batch``, polling after each; keep every exchange."""
    exchanges: list[Exchange] = []

    def recorder(request: httpx.Request) -> httpx.Response:
        response = handler(request)
        exchanges.append(
            Exchange(
                request.method,
                str(request.url),
                response.status_code,
                response.headers.multi_items(),
                response.content,
            )
        )
        return response

    rounds: list[Round] = []
    produced = published = 0
    with (
        tempfile.TemporaryDirectory(prefix="ugc-bench-record-") as tmp,
        _client(recorder) as client,
    ):
        runner = _runner(job, client, clock, NullSink(), Path(tmp))
        while published < posts:
            count = min(batch, posts - published)
            publish(count)
            published += count
            at = clock.now()
            produced += runner.poll_once()
            rounds.append(Round(at, list(exchanges)))
            exchanges.clear()
        runner.connector.close()
    if produced != posts:
        raise RuntimeError(f"{name}: published {posts} posts but the connector produced {produced}")
    return PollingRecording(name, job, rounds, produced)


def replay(recording: Recording, sink: PostSink) -> tuple[float, int]:
    """Seconds spent taking the recorded bytes to ``sink`` (flushes included), posts produced."""
    with tempfile.TemporaryDirectory(prefix="ugc-bench-replay-") as tmp:
        if isinstance(recording, StreamRecording):
            return _replay_stream(recording, sink, Path(tmp))
        return _replay_polling(recording, sink, Path(tmp))


def parse_seconds(bodies: Sequence[bytes | str]) -> float:
    """The baseline: ``json.loads`` of every recorded page or frame, nothing else."""
    started = time.perf_counter()
    for body in bodies:
        json.loads(body)
    return time.perf_counter() - started


def _replay_polling(recording: PollingRecording, sink: PostSink, tmp: Path) -> tuple[float, int]:
    script: deque[Exchange] = deque()

    def answer(request: httpx.Request) -> httpx.Response:
        if not script:
            raise ReplayDiverged(f"{recording.name}: unexpected {request.method} {request.url}")
        expected = script.popleft()
        if (request.method, str(request.url)) != (expected.method, expected.url):
            raise ReplayDiverged(
                f"{recording.name}: asked {request.method} {request.url}, "
                f"recorded {expected.method} {expected.url}"
            )
        return httpx.Response(expected.status, headers=expected.headers, content=expected.body)

    clock = FakeClock(recording.rounds[0].at)
    elapsed, produced = 0.0, 0
    with _client(answer) as client:
        runner = _runner(recording.job, client, clock, sink, tmp)
        for poll in recording.rounds:
            script.extend(poll.exchanges)
            clock.current = poll.at
            started = time.perf_counter()
            produced += runner.poll_once()
            elapsed += time.perf_counter() - started
        runner.connector.close()
    if script or produced != recording.posts:
        raise ReplayDiverged(f"{recording.name}: {produced} posts, {len(script)} answers unused")
    return elapsed, produced


class _FrameConnection:
    """What ``websockets``' client connection gives the stream connector: frames, then a stop."""

    def __init__(self, frames: list[str], stop: threading.Event) -> None:
        self._frames = iter(frames)
        self._stop = stop

    def recv(self, timeout: float | None = None) -> str:  # noqa: ARG002 (websockets' signature)
        frame = next(self._frames, None)
        if frame is None:
            self._stop.set()  # everything recorded was consumed: the runner drains and returns
            raise TimeoutError
        return frame

    def __enter__(self) -> _FrameConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _replay_stream(recording: StreamRecording, sink: PostSink, tmp: Path) -> tuple[float, int]:
    stop = threading.Event()
    connection = _FrameConnection(recording.frames, stop)
    connector = BlueskyStreamConnector.from_job(recording.job, connect=lambda _url: connection)  # type: ignore[arg-type,return-value]
    runner = StreamRunner(recording.job, connector, sink, CheckpointStore(tmp / "checkpoints"))
    started = time.perf_counter()
    runner.run(stop)
    elapsed = time.perf_counter() - started
    if runner.produced_total != recording.posts:
        raise ReplayDiverged(f"{recording.name}: {runner.produced_total}/{recording.posts} posts")
    return elapsed, runner.produced_total


def _client(handler: Handler) -> httpx.Client:
    """A client whose requests ``handler`` answers; the caller closes it (connectors close only
    clients they made)."""
    return httpx.Client(transport=httpx.MockTransport(handler))


def _runner(
    job: JobSpec, client: httpx.Client, clock: FakeClock, sink: PostSink, tmp: Path
) -> PollingRunner:
    """The production runner and connector for ``job``, over ``client`` and ``clock``."""
    if "state_dir" in job.options:  # quota ledgers and hashtag budgets start fresh every run
        job = dataclasses.replace(job, options={**job.options, "state_dir": str(tmp / "state")})
    connector = polling_connector(
        job, client=client, now=clock.now, sleep=clock.sleep, jitter=lambda: 1.0
    )
    positions = CheckpointStore(tmp / "checkpoints")
    return PollingRunner(job, connector, sink, positions, now=clock.now)


def stream_job(hashtags: tuple[str, ...]) -> JobSpec:
    """A Jetstream job (the URL is never dialled: frames are handed over in memory)."""
    options: dict[str, Any] = {"jetstream_url": "wss://jetstream.example/subscribe"}
    return JobSpec(job_id="bench-jetstream", network="bluesky", hashtags=hashtags, options=options)
