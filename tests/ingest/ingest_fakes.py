"""Test doubles for the ingest tests: a clock that never really sleeps, an in-memory producer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ingest.producer import DeliveryFailed
from ugc.contract import DeadLetter, RawPost

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


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

    def flush(self, timeout: float | None = None) -> None:
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
