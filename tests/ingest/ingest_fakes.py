"""Test doubles for the ingest tests: a clock that never really sleeps, an in-memory producer,
positions and health kept in memory, and a stop event whose waits pass on the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from contract import Author, DeadLetter, Platform, RawPost
from ingest.connectors.runner import MemoryHealth
from ingest.producer import DeliveryFailed

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def scripted_post(native_id: str, text: str, *, tag: str, at: datetime) -> RawPost:
    """The post a scripted connector makes of ``{"id", "text"}``: by alice, written ``at``."""
    return RawPost(
        platform=Platform.MASTODON,
        native_id=native_id,
        post_id=f"mastodon:{native_id}",
        hashtags=[tag],
        text=text,
        author=Author(id="1", handle="alice"),
        created_at=at,
        collected_at=at,
    )


class FakeClock:
    """Wall clock, monotonic clock and sleep in one: ``sleep`` records and moves time on."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.current = start
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[], None] | None = None

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return (self.current - self.start).total_seconds()

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)
        if self.on_sleep is not None:
            self.on_sleep()


class RecordingProducer:
    """A :class:`~ingest.producer.PostSink` that keeps what was acknowledged by ``flush``.

    With ``fail_flush`` set, ``flush`` loses what was pending and raises, like a broker that
    never acknowledged.
    """

    def __init__(self) -> None:
        self.posts: list[RawPost] = []
        self.dead_letters: list[DeadLetter] = []
        self.flushes = 0
        self.fail_flush = False
        self._pending_posts: list[RawPost] = []
        self._pending_dead_letters: list[DeadLetter] = []

    def send(self, post: RawPost) -> None:
        self._pending_posts.append(post)

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        self._pending_dead_letters.append(dead_letter)

    def flush(self, timeout: float | None = None) -> None:  # noqa: ARG002 (PostSink's signature)
        self.flushes += 1
        posts, self._pending_posts = self._pending_posts, []
        dead_letters, self._pending_dead_letters = self._pending_dead_letters, []
        if self.fail_flush:
            raise DeliveryFailed(f"{len(posts) + len(dead_letters)} messages not acknowledged")
        self.posts.extend(posts)
        self.dead_letters.extend(dead_letters)

    @property
    def native_ids(self) -> list[str]:
        return [post.native_id for post in self.posts]


class ClockedStop(threading.Event):
    """A stop event whose waits pass on the fake clock: the runner waits between polls on it.

    ``stop_after`` sets the event once that many waits happened, so that ``run`` returns.
    """

    def __init__(self, clock: FakeClock, *, stop_after: int | None = None) -> None:
        super().__init__()
        self._clock = clock
        self._stop_after = stop_after
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        if not self.is_set() and timeout:
            self.waits.append(timeout)
            self._clock.sleep(timeout)
            if self._stop_after is not None and len(self.waits) >= self._stop_after:
                self.set()
        return self.is_set()


class MemoryPositions:
    """Positions in a dict; each save records which posts were acknowledged at that moment."""

    def __init__(self, producer: RecordingProducer) -> None:
        self._producer = producer
        self.positions: dict[tuple[str, ...], str] = {}
        self.saves: list[tuple[str, list[str]]] = []

    def load(self, key: Sequence[str]) -> str | None:
        return self.positions.get(tuple(key))

    def save(self, key: Sequence[str], position: str) -> None:
        self.positions[tuple(key)] = position
        self.saves.append((position, list(self._producer.native_ids)))


class RecordingHealth(MemoryHealth):
    def __init__(self) -> None:
        super().__init__()
        self.backoffs: list[float] = []

    def poll_failed(self, *, error: str, backoff_s: float) -> None:
        super().poll_failed(error=error, backoff_s=backoff_s)
        self.backoffs.append(backoff_s)
