"""``ugc rights worker`` end to end: events produced to the real broker, applied to the real
database; the thank-you relayed to the commands topic; a replay changes nothing; poison goes
to the dead-letter topic."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from types import TracebackType
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contract import (
    DLQ_TOPIC,
    RIGHTS_COMMANDS_TOPIC,
    RIGHTS_EVENTS_TOPIC,
    DeadLetter,
    RightsCommand,
    RightsCommandKind,
    RightsEvent,
    RightsEventKind,
    decode,
    encode,
)
from contract.settings import KafkaSettings
from curation_api.rights.settings import RightsWorkerSettings
from curation_api.rights.worker import run_rights_worker
from database.enums import RightsState
from database.models import OutboxMessage, RightsProof, RightsRequest, RightsTransition
from tests.conftest import wait_until
from tests.curation_api.curation_factories import T0
from tests.curation_api.rights.rights_setup import APPROVAL, TopicReader, queued_request

pytestmark = pytest.mark.broker


class WorkerThread:
    """``run_rights_worker`` in a thread for a ``with`` block; re-raises its error."""

    def __init__(self, settings: RightsWorkerSettings) -> None:
        self.settings = settings
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="rights-worker", daemon=True)

    def _run(self) -> None:
        try:
            run_rights_worker(self.settings, self.stop)
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> WorkerThread:
        self.thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the rights worker did not stop within 30 s"
        if self.error is not None:
            raise self.error


def worker_settings(database_url: str, broker: str) -> RightsWorkerSettings:
    return RightsWorkerSettings(
        database_url=database_url,
        kafka_bootstrap_servers=broker,
        rights_group_id=f"test-rights-{uuid.uuid4().hex[:8]}",
        rights_session_timeout_ms=6000,
        rights_heartbeat_interval_ms=1000,
        rights_poll_timeout_ms=200,
        rights_outbox_interval_s=0.2,
        rights_timers_interval_s=0.5,
        # Other tests share the topic and leave events for posts of other databases.
        rights_dlq_max_ratio=1.0,
    )


def produce(broker: str, messages: list[tuple[bytes, bytes]]) -> dict[TopicPartition, int]:
    """Send to the events topic; per partition, the offset just past our messages."""
    producer = KafkaProducer(bootstrap_servers=broker, acks="all")
    try:
        futures = [producer.send(RIGHTS_EVENTS_TOPIC, key=k, value=v) for k, v in messages]
        producer.flush(timeout=30)
        ends: dict[TopicPartition, int] = {}
        for future in futures:
            sent = future.get(timeout=30)
            partition = TopicPartition(RIGHTS_EVENTS_TOPIC, sent.partition)
            ends[partition] = max(ends.get(partition, 0), sent.offset + 1)
        return ends
    finally:
        producer.close()


def committed_past(broker: str, group_id: str, ends: dict[TopicPartition, int]) -> bool:
    probe = KafkaConsumer(bootstrap_servers=broker, group_id=group_id, enable_auto_commit=False)
    try:
        return all((probe.committed(tp) or 0) >= end for tp, end in ends.items())
    finally:
        probe.close(autocommit=False)


def event(post_id: str, kind: RightsEventKind, seconds: int, **fields: Any) -> tuple[bytes, bytes]:
    message = RightsEvent(kind=kind, post_id=post_id, at=T0 + timedelta(seconds=seconds), **fields)
    return post_id.encode(), encode(message)


def history(sessions: sessionmaker[Session], post_id: str) -> dict[str, Any]:
    with sessions() as session:
        request = session.scalars(
            select(RightsRequest).where(RightsRequest.post_id == post_id)
        ).one()
        transitions = session.scalars(
            select(RightsTransition)
            .where(RightsTransition.request_id == request.id)
            .order_by(RightsTransition.id)
        ).all()
        proofs = session.scalars(
            select(RightsProof).where(RightsProof.request_id == request.id)
        ).all()
        outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return {
            "state": request.state,
            "sent_reply_id": request.sent_reply_id,
            "transitions": [
                (t.from_state, t.to_state, t.actor_kind.value, t.reply_id) for t in transitions
            ],
            "notes": [t.note for t in transitions],
            "proofs": [p.record for p in proofs],
            "outbox": [
                (decode(RightsCommand, m.value).kind, m.published_at is not None) for m in outbox
            ],
        }


def test_events_move_the_request_to_a_grant_once_and_poison_is_dead_lettered(
    broker: str,
    database_url: str,
    committed: sessionmaker[Session],
    topics: KafkaSettings,  # noqa: ARG001 (the topics must exist before the readers)
) -> None:
    with committed() as session:
        post_id = queued_request(session)
    author = "acct-alice@example.social"  # the factory's author
    garbage = f"not json {uuid.uuid4()}".encode()
    incomplete = event(post_id, RightsEventKind.REPLY, 9, reply_id=f"r-{uuid.uuid4().hex}")
    sent, no_consent, consent = (f"{kind}-{uuid.uuid4().hex}" for kind in ("s", "x", "c"))
    ends = produce(
        broker,
        [
            event(post_id, RightsEventKind.SENT, 1, reply_id=sent, permalink="https://e.test/1"),
            event(
                post_id,
                RightsEventKind.REPLY,
                2,
                reply_id=no_consent,
                author_id="acct-someone-else",
                text=APPROVAL,
            ),
            (b"garbage", garbage),
            incomplete,
            event(
                post_id,
                RightsEventKind.REPLY,
                3,
                reply_id=consent,
                author_id=author,
                text=f"{APPROVAL} thank you!",
                permalink="https://e.test/2",
            ),
        ],
    )
    commands = TopicReader(broker, RIGHTS_COMMANDS_TOPIC)
    dlq = TopicReader(broker, DLQ_TOPIC)
    try:
        first = worker_settings(database_url, broker)
        with WorkerThread(first):
            wait_until(
                lambda: committed_past(broker, first.rights_group_id, ends), message="commit"
            )
            wait_until(
                lambda: all(done for _, done in history(committed, post_id)["outbox"]),
                message="the outbox relayed",
            )
        done = history(committed, post_id)

        S = RightsState
        assert done["state"] is S.GRANTED
        assert done["sent_reply_id"] == sent
        assert done["transitions"] == [
            (None, S.QUEUED, "rule", None),
            (S.QUEUED, S.AWAITING_REPLY, "network", sent),
            (S.AWAITING_REPLY, S.AWAITING_REPLY, "network", no_consent),
            (S.AWAITING_REPLY, S.GRANTED, "creator", consent),
        ]
        assert done["notes"][2].startswith("not_author: ")
        (proof,) = done["proofs"]
        assert proof["consent"]["reply"]["id"] == consent
        assert proof["consent"]["reply"]["text"] == f"{APPROVAL} thank you!"
        assert proof["request"]["sent_reply_id"] == sent
        assert done["outbox"] == [
            (RightsCommandKind.SEND_REQUEST, True),
            (RightsCommandKind.SEND_THANK_YOU, True),
        ]
        thanks = wait_until(
            lambda: [
                c
                for c in (decode(RightsCommand, v) for v in commands.read())
                if c.post_id == post_id and c.kind is RightsCommandKind.SEND_THANK_YOU
            ],
            message="the thank-you on the commands topic",
        )
        assert [c.text for c in thanks] == ["Thank you @alice@example.social!"]

        originals = (garbage, incomplete[1])
        wait_until(lambda: dead_letters_of(dlq, originals), message="the dead letters")
        letters = dead_letters_of(dlq, originals)
        reasons = {letter.original: letter for letter in letters}
        assert {letter.stage for letter in letters} == {"rights"}
        assert reasons[garbage].reason.startswith("not valid UTF-8 JSON")
        assert reasons[incomplete[1]].reason == "a reply event needs author_id, text"
        assert reasons[garbage].source_topic == RIGHTS_EVENTS_TOPIC

        replay = worker_settings(database_url, broker)
        with WorkerThread(replay):
            wait_until(
                lambda: committed_past(broker, replay.rights_group_id, ends), message="replay"
            )
        assert history(committed, post_id) == done
    finally:
        commands.close()
        dlq.close()


def dead_letters_of(reader: TopicReader, originals: tuple[bytes, ...]) -> list[DeadLetter]:
    """The dead letters of ``originals`` once there is one of each, else nothing."""
    letters = [d for d in map(_letter, reader.read()) if d.original in originals]
    return letters if {d.original for d in letters} == set(originals) else []


def _letter(value: bytes) -> DeadLetter:
    return decode(DeadLetter, value)
