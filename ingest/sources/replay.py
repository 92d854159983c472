"""Replaying a JSONL file of posts (one :class:`~contract.RawPost` per line) into the raw topic.

This is the source of the laptop demo: recorded posts arrive at a steady pace, with their dates
moved so that they look fresh. A bad line is never dropped silently; it goes to the dead-letter
topic with its reason and exact bytes, and the replay carries on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from contract import PoisonMessage, RawPost, decode, utcnow
from contract.dead_letters import dead_letter_for
from ingest.producer import PostSink

STAGE = "ingest.replay"


@dataclass
class ReplayStats:
    """What one replay did: posts sent to the raw topic, lines sent to the dead-letter topic."""

    sent: int = 0
    dead_lettered: int = 0


class Pacer:
    """A token bucket: ``rate`` tokens per second, at most ``burst`` saved up; a post takes one.

    After a stall (a slow broker, a paused laptop) the replay resumes at ``rate`` instead of
    firing the whole backlog at once, because no more than ``burst`` tokens accumulate.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._last: float | None = None

    def wait(self) -> None:
        """Return when the next post may go; at once when the rate is 0 (unpaced)."""
        if self._rate <= 0:
            return
        self._refill()
        if self._tokens < 1:
            self._sleep((1 - self._tokens) / self._rate)
            # Measure rather than assume: a sleep may overshoot, or end early on a stop request.
            self._refill()
        self._tokens -= 1

    def _refill(self) -> None:
        now = self._clock()
        if self._last is not None:
            self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now


def replay(
    path: Path,
    producer: PostSink,
    *,
    rate: float,
    retime: bool = True,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ReplayStats:
    """Send every post of ``path`` to the raw topic at ``rate`` posts per second, then flush.

    With ``retime`` every ``created_at`` moves by the same amount so that the newest post is
    dated now (the spacing between posts is kept); ``collected_at`` is always now. Invalid lines
    go to the dead-letter topic. Setting ``stop`` ends the replay early, after a flush.
    """
    stop = stop if stop is not None else threading.Event()
    # Waiting on the stop event rather than sleeping lets a signal end a slow replay at once.
    pacer = Pacer(rate, clock=clock, sleep=sleep if sleep is not None else stop.wait)
    shift = _shift_to_now(path, now()) if retime else timedelta(0)
    stats = ReplayStats()
    for line_no, line in _read_lines(path):
        if stop.is_set():
            break
        try:
            post = decode(RawPost, line)
        except PoisonMessage as exc:
            reason = f"{path.name} line {line_no}: {exc.reason}"
            producer.send_dead_letter(
                dead_letter_for(line, None, reason=reason, stage=STAGE).letter
            )
            stats.dead_lettered += 1
            continue
        pacer.wait()
        if stop.is_set():
            break
        producer.send(
            post.model_copy(update={"created_at": post.created_at + shift, "collected_at": now()})
        )
        stats.sent += 1
    producer.flush()
    return stats


def iter_posts(path: Path) -> Iterator[RawPost]:
    """The posts of a JSONL file in file order; raises :class:`PoisonMessage` at a bad line."""
    for line_no, line in _read_lines(path):
        try:
            yield decode(RawPost, line)
        except PoisonMessage as exc:
            raise PoisonMessage(f"{path} line {line_no}: {exc.reason}") from None


def _read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers, as the exact bytes (without the newline)."""
    with path.open("rb") as lines:
        for line_no, line in enumerate(lines, start=1):
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line_no, line


def _shift_to_now(path: Path, now: datetime) -> timedelta:
    """How far to move every ``created_at`` so that the newest valid post is dated ``now``."""
    newest: datetime | None = None
    for _, line in _read_lines(path):
        try:
            created_at = decode(RawPost, line).created_at
        except PoisonMessage:
            continue
        if newest is None or created_at > newest:
            newest = created_at
    return now - newest if newest is not None else timedelta(0)
