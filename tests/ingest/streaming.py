"""Helpers for tests that run a :class:`~ingest.connectors.stream_runner.StreamRunner` for real."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.connectors.stream_runner import StreamRunner


@contextmanager
def running(runner: StreamRunner) -> Iterator[threading.Event]:
    """Run ``runner`` in a thread for the block; stop it after, and check that it stopped."""
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the runner did not stop"
