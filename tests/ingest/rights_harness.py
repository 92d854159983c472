"""What the rights worker tests share: commands on the real broker, a worker on the fake
Mastodon with a fake clock, and reading the events back."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition

from contract import (
    RIGHTS_COMMANDS_TOPIC,
    RIGHTS_EVENTS_TOPIC,
    PoisonMessage,
    RightsCommand,
    RightsCommandKind,
    RightsEvent,
    decode,
    encode,
    utcnow,
)
from contract.dead_letters import DeadLetterBudget
from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.engine import create_db_engine, create_session_factory
from ingest.rights.events import RightsEventProducer
from ingest.rights.mastodon import MastodonRights, mastodon_api
from ingest.rights.network import RightsNetwork
from ingest.rights.pacing import Pacer
from ingest.rights.watches import WatchStore
from ingest.rights.worker import RightsWorker
from tests.ingest.fake_mastodon_replies import TOKEN, FakeMastodonReplies
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.jobs_fakes import migrated_sqlite_url
from tests.ingest.rights_checks import fake_wiring


def command(
    *, native_id: str, network: str = "mastodon", request_id: int = 1, text: str | None = None
) -> RightsCommand:
    return RightsCommand(
        kind=RightsCommandKind.SEND_REQUEST,
        request_id=request_id,
        post_id=f"{network}:{native_id}",
        network=network,
        native_id=native_id,
        author_id="1001",
        text=text or f"May we share your photo? Reply #YesBrewNorth (request {request_id})",
        idempotency_key=f"rights-{request_id}-request",
        created_at=utcnow(),
    )


def produce(settings: KafkaSettings, topic: str, *values: bytes) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_list, acks="all")
    for value in values:
        producer.send(topic, key=b"k", value=value).get(timeout=30)
    producer.close()


def mastodon(fake: FakeMastodonReplies, clock: FakeClock) -> MastodonRights:
    return MastodonRights(
        mastodon_api(fake.base_url, TOKEN, fake_wiring(fake.client(), clock)),
        visibility="public",
        account="brand",
    )


class EventReader:
    """Every rights event produced since it was made (its own group, from the end)."""

    def __init__(self, settings: KafkaSettings) -> None:
        # Assigned, not subscribed, and moved to the end now: other tests on the session's
        # broker write to the same topic (some of it poison on purpose), none of it this test's.
        self._consumer = KafkaConsumer(
            bootstrap_servers=settings.bootstrap_list,
            enable_auto_commit=False,
        )
        partitions = self._consumer.partitions_for_topic(RIGHTS_EVENTS_TOPIC) or set()
        assigned = [TopicPartition(RIGHTS_EVENTS_TOPIC, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        self._consumer.seek_to_end()
        for partition in assigned:  # resolve the end offsets before anything is produced
            self._consumer.position(partition)
        self.events: list[RightsEvent] = []

    def read(self) -> list[RightsEvent]:
        for records in self._consumer.poll(timeout_ms=200).values():
            for record in records:
                try:
                    self.events.append(decode(RightsEvent, record.value))
                except PoisonMessage:
                    continue  # another test's deliberate poison on the shared topic
        return self.events

    def close(self) -> None:
        self._consumer.close()


class Rig:
    """A worker's dependencies; :meth:`worker` runs one in a thread until the block ends.

    The worker reads a commands topic of the rig's own (the worker takes whatever topic its
    consumer reads): other tests on the session's broker write commands to the real one, and a
    test here counts every request its fake network receives."""

    def __init__(self, settings: KafkaSettings, tmp_path: Path) -> None:
        self.settings = settings
        self.group = f"test-rights-{uuid.uuid4().hex}"
        self.commands_topic = f"{RIGHTS_COMMANDS_TOPIC}.{self.group}"
        create_topics(settings)
        create_topics(settings, [self.commands_topic])
        self.clock = FakeClock(utcnow())
        self.fake = FakeMastodonReplies(now=self.clock.now)
        self.engine = create_db_engine(migrated_sqlite_url(tmp_path))
        self.store = WatchStore(create_session_factory(self.engine))
        self.pacer = Pacer(create_session_factory(self.engine), 20, now=self.clock.now)
        self._start_at_the_end()

    def produce(self, *commands: RightsCommand) -> None:
        produce(self.settings, self.commands_topic, *(encode(c) for c in commands))

    def _start_at_the_end(self) -> None:
        """Commit the group at the topic's end: nothing before the test is the test's."""
        consumer = KafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_list,
            group_id=self.group,
            enable_auto_commit=False,
        )
        partitions = [
            TopicPartition(self.commands_topic, p)
            for p in consumer.partitions_for_topic(self.commands_topic) or ()
        ]
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in ends.items()})
        consumer.close(autocommit=False)

    def wait(self, seconds: float) -> bool:
        self.clock.advance(seconds)
        return False

    @contextmanager
    def worker(
        self, *, events: object | None = None, crash_ok: bool = False
    ) -> Iterator[RightsWorker]:
        stop = threading.Event()
        consumer = KafkaConsumer(
            self.commands_topic,
            bootstrap_servers=self.settings.bootstrap_list,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        )
        producer = RightsEventProducer(self.settings)
        senders: dict[str, RightsNetwork] = {"mastodon": mastodon(self.fake, self.clock)}
        worker = RightsWorker(
            consumer=consumer,
            events=events or producer,  # type: ignore[arg-type]
            senders=senders,
            pacer=self.pacer,
            watches=self.store,
            watch_for=timedelta(days=14),
            stop=stop,
            budget=DeadLetterBudget(0.5, window=100),
            now=self.clock.now,
            wait=self.wait,
            poll_timeout_ms=100,
        )
        self.errors: list[BaseException] = []

        def run() -> None:
            try:
                worker.run()
            except BaseException as exc:
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield worker
        finally:
            stop.set()
            thread.join(timeout=30)
            consumer.close(autocommit=False)
            producer.close()
        if not crash_ok:
            assert not self.errors, self.errors

    def close(self) -> None:
        self.engine.dispose()
