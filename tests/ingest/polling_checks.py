"""What the polling connectors' tests build and check the same way for every network.

- :func:`job_on`: a job on a network, following ``#brand`` unless told;
- :func:`connect`: a connector from a job, over a fake network's client, on a fake clock;
- :class:`PollingHarness`: a polling runner over it with a recording producer, checkpoints in a
  directory and health in memory;
- :func:`check_a_malformed_body_keeps_the_position`: a body the API never sends fails the poll,
  moves nothing, and the next poll gets what was published meanwhile;
- :func:`capture_every_log` and :func:`assert_secrets_hidden`: credentials appear in no log
  record, message or repr.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar, Unpack

import httpx
import pytest

from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import JobSpec, MalformedResponse, PollingConnector
from ingest.connectors.from_job import Hooks
from ingest.connectors.runner import MemoryHealth, PollingRunner
from tests.ingest.ingest_fakes import FakeClock, RecordingProducer

C_co = TypeVar("C_co", covariant=True)


class ConnectorClass(Protocol[C_co]):
    def from_job(self, job: JobSpec, /, **hooks: Unpack[Hooks]) -> C_co: ...


def job_on(
    network: str,
    *hashtags: str,
    credentials: dict[str, str] | None = None,
    poll_interval_s: float = 60.0,
    job_id: str | None = None,
    **options: Any,
) -> JobSpec:
    """A job on ``network`` following ``hashtags`` (default ``#brand``), with an id of its own
    unless ``job_id`` is given."""
    return JobSpec(
        job_id=job_id or f"{network}-{uuid.uuid4().hex[:8]}",
        network=network,
        hashtags=hashtags or ("brand",),
        poll_interval_s=poll_interval_s,
        options=options,
        credentials=credentials or {},
    )


def connect(
    cls: ConnectorClass[C_co], job: JobSpec, client: httpx.Client, clock: FakeClock
) -> C_co:
    """``cls.from_job(job)`` over ``client`` on ``clock``; jitter=1.0 makes the backoff exact:
    1 s, 2 s, 4 s..."""
    return cls.from_job(job, client=client, now=clock.now, sleep=clock.sleep, jitter=lambda: 1.0)


class PollingHarness:
    """A polling runner over ``connector`` for ``job``, a recording producer, checkpoints under
    ``checkpoint_dir`` and health in memory; :attr:`position` is the saved one of ``tag``."""

    def __init__(
        self,
        job: JobSpec,
        connector: PollingConnector,
        checkpoint_dir: Path,
        clock: FakeClock,
        *,
        tag: str = "brand",
    ) -> None:
        self.producer = RecordingProducer()
        self.positions = CheckpointStore(checkpoint_dir)
        self.health = MemoryHealth()
        # jitter=1.0 makes the runner's backoff exact too.
        self.runner = PollingRunner(
            job,
            connector,
            self.producer,
            self.positions,
            self.health,
            now=clock.now,
            jitter=lambda: 1.0,
        )
        self._tag = tag

    def poll(self) -> int:
        return self.runner.poll_once()

    @property
    def position(self) -> str | None:
        return self.positions.load(self.runner.position_key(self._tag))

    @property
    def decoded_position(self) -> Any:
        """The saved position decoded, for networks whose positions are JSON."""
        saved = self.position
        return json.loads(saved) if saved is not None else None


def check_a_malformed_body_keeps_the_position(
    harness: PollingHarness, *, publish: Callable[[], list[str]], malform_next: Callable[[], None]
) -> list[str]:
    """Poll once; ``publish`` posts; ``malform_next`` breaks the next answer: that poll raises
    :class:`MalformedResponse`, produces nothing and keeps the position, and the next poll
    produces exactly what was published (any order). Returns the published native ids."""
    harness.poll()
    before = harness.position
    produced = list(harness.producer.native_ids)
    new = publish()
    malform_next()

    with pytest.raises(MalformedResponse):
        harness.poll()
    assert harness.position == before
    assert harness.producer.native_ids == produced

    assert harness.poll() == len(new)
    assert sorted(harness.producer.native_ids[len(produced) :]) == sorted(new)
    return new


def capture_every_log(caplog: pytest.LogCaptureFixture) -> None:
    """Capture DEBUG and up from every logger, httpx's included: ``ugc``'s CLI quiets httpx
    for the rest of the process, so a test run after one in-process ``ugc`` command would
    otherwise see none of the request lines where a key in a query string would show."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")


def assert_secrets_hidden(
    caplog: pytest.LogCaptureFixture, secrets: Iterable[str], *shown: str
) -> None:
    """httpx did log its requests (so the log really was looked at), and none of ``secrets`` is
    in any log record nor in ``shown`` (messages, reprs, health)."""
    messages = [record.getMessage() for record in caplog.records]
    assert any("HTTP Request" in message for message in messages)
    texts = [caplog.text, *messages, *shown]
    for secret in secrets:
        assert all(secret not in text for text in texts), "a secret was shown"
