"""Fixtures shared by the ingest tests: a fake clock, a recording producer with positions and
health kept in memory, checkpoints in a directory, and a listening-jobs store on SQLite and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.checkpoint import CheckpointStore
from ingest.jobs.store import JobStore
from tests.ingest.ingest_fakes import FakeClock, MemoryPositions, RecordingHealth, RecordingProducer
from tests.ingest.jobs_fakes import fake_network, jobs_database


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def producer() -> RecordingProducer:
    return RecordingProducer()


@pytest.fixture
def positions(producer: RecordingProducer) -> MemoryPositions:
    return MemoryPositions(producer)


@pytest.fixture
def health() -> RecordingHealth:
    return RecordingHealth()


@pytest.fixture
def checkpoints(tmp_path: Path) -> CheckpointStore:
    return CheckpointStore(tmp_path / "checkpoints")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return jobs_database(request, tmp_path)


@pytest.fixture
def store(database_url: str) -> Iterator[JobStore]:
    """A store of listening jobs whose network ``fakenet`` is registered while it is open."""
    with fake_network():
        store = JobStore.connect(database_url)
        try:
            yield store
        finally:
            store.close()
