"""Producing rights events (keyed by ``post_id``) and dead letters, each acknowledged before
the worker goes on: an offset is committed only after its outcome is on the broker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kafka import KafkaProducer

from contract import DLQ_TOPIC, RIGHTS_EVENTS_TOPIC, RightsEvent, encode
from contract.dead_letters import DeadLetterMessage
from contract.settings import KafkaSettings

PRODUCE_TIMEOUT_S = 30.0


class EventSink(Protocol):
    def publish(self, events: Sequence[RightsEvent]) -> None: ...

    def dead_letter(self, message: DeadLetterMessage) -> None: ...


class RightsEventProducer:
    def __init__(self, settings: KafkaSettings, *, client_id: str = "ugc-ingest-rights") -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap_list,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
        )

    def publish(self, events: Sequence[RightsEvent]) -> None:
        """Send ``events`` and wait for the broker's acknowledgement of each (raises if not)."""
        futures = [
            self._producer.send(
                RIGHTS_EVENTS_TOPIC, key=event.post_id.encode(), value=encode(event)
            )
            for event in events
        ]
        self._producer.flush(timeout=PRODUCE_TIMEOUT_S)
        for future in futures:
            future.get(timeout=PRODUCE_TIMEOUT_S)

    def dead_letter(self, message: DeadLetterMessage) -> None:
        future = self._producer.send(DLQ_TOPIC, key=message.key, value=message.value)
        self._producer.flush(timeout=PRODUCE_TIMEOUT_S)
        future.get(timeout=PRODUCE_TIMEOUT_S)

    def close(self) -> None:
        self._producer.close()
