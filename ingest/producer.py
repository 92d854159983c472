"""Producing posts and dead letters to the broker, with delivery that is checked, not hoped for.

A source calls :meth:`PostProducer.send` for each post, then :meth:`PostProducer.flush` before it
advances its checkpoint: ``flush`` returns only when the broker acknowledged every message sent so
far, and raises if any of them failed, so a checkpoint never runs ahead of the data.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from contract import DLQ_TOPIC, RAW_TOPIC, DeadLetter, RawPost, encode
from contract.dead_letters import DeadLetterMessage
from contract.settings import KafkaSettings

log = logging.getLogger(__name__)

# Above this many unflushed sends, acknowledged futures are dropped so that a long replay
# without a flush does not hold every future in memory; failed ones are kept for flush().
_PRUNE_PENDING_AT = 10_000


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge some messages; nothing after the last flush is safe."""


class PostSink(Protocol):
    """What a source needs from a producer; tests substitute an in-memory recorder."""

    def send(self, post: RawPost) -> None: ...

    def send_dead_letter(self, dead_letter: DeadLetter) -> None: ...

    def flush(self, timeout: float | None = None) -> None: ...


class PostProducer:
    """Sends raw posts to :data:`RAW_TOPIC` keyed by ``post_id``, dead letters to the DLQ."""

    def __init__(self, settings: KafkaSettings, *, client_id: str = "ugc-ingest") -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_list,
            client_id=client_id,
            acks="all",
            # Idempotence lets the client retry a batch without writing it twice; Tansu supports
            # InitProducerId. Explicit so that a conflicting option fails loudly, not silently.
            enable_idempotence=True,
            linger_ms=5,
        )
        self._pending: list[Any] = []

    def send(self, post: RawPost) -> None:
        """Queue one post; delivery is confirmed (or reported failed) by :meth:`flush`."""
        self._enqueue(RAW_TOPIC, post.post_id.encode(), encode(post))

    def send_dead_letter(self, dead_letter: DeadLetter) -> None:
        """Queue a dead letter, keyed like the message it replaces so it lands beside it."""
        message = DeadLetterMessage.of(dead_letter)
        self._enqueue(DLQ_TOPIC, message.key, message.value)

    def flush(self, timeout: float | None = None) -> None:
        """Block until every message sent so far is acknowledged; raise :class:`DeliveryFailed`
        if any was not. Either way the next flush only answers for later sends."""
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=timeout)
        except KafkaTimeoutError as exc:
            raise DeliveryFailed(
                f"{len(pending)} messages not acknowledged within {timeout}s"
            ) from exc
        failed = [future for future in pending if not future.succeeded()]
        if failed:
            first = failed[0].exception or "not completed"
            raise DeliveryFailed(
                f"{len(failed)} of {len(pending)} messages were not acknowledged: {first!r}"
            )

    def close(self, timeout: float | None = None) -> None:
        """Send what is buffered and release the connections."""
        self._producer.close(timeout=timeout)

    def _enqueue(self, topic: str, key: bytes | None, value: bytes) -> None:
        if len(self._pending) >= _PRUNE_PENDING_AT:
            self._pending = [future for future in self._pending if not future.succeeded()]
        self._pending.append(self._producer.send(topic, key=key, value=value))

    def __enter__(self) -> PostProducer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
