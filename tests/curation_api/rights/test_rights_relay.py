"""The outbox relay on the real broker and database: each row once on its topic, and a row
that outlives a broker outage."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from contract import RIGHTS_COMMANDS_TOPIC, RightsCommand, RightsCommandKind, decode, encode
from contract.settings import KafkaSettings
from curation_api.rights.relay import OutboxRelay, producer_factory
from database.models import OutboxMessage
from database.outbox import enqueue
from tests.conftest import wait_until
from tests.curation_api.curation_factories import T0
from tests.curation_api.rights.rights_setup import TopicReader

pytestmark = pytest.mark.broker


@pytest.fixture
def commands(broker: str, topics: KafkaSettings) -> Iterator[TopicReader]:  # noqa: ARG001
    reader = TopicReader(broker, RIGHTS_COMMANDS_TOPIC)
    yield reader
    reader.close()


def write_commands(sessions: sessionmaker[Session], count: int) -> list[str]:
    """``count`` commands in one transaction; returns their idempotency keys."""
    keys = [f"test:{uuid.uuid4().hex}" for _ in range(count)]
    with sessions.begin() as session:
        for number, key in enumerate(keys):
            command = RightsCommand(
                kind=RightsCommandKind.SEND_REQUEST,
                request_id=number,
                post_id=f"mastodon:{key}",
                network="mastodon",
                native_id=key,
                author_id="acct-1",
                text="May we share it?",
                idempotency_key=key,
                created_at=T0,
            )
            enqueue(session, topic=RIGHTS_COMMANDS_TOPIC, key=key, value=encode(command), now=T0)
    return keys


def published_keys(reader: TopicReader, keys: list[str]) -> list[str]:
    found = [decode(RightsCommand, value).idempotency_key for value in reader.read()]
    return [key for key in found if key in keys]


def rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_rows_written_in_a_transaction_are_published_once_each(
    broker: str, committed: sessionmaker[Session], commands: TopicReader
) -> None:
    keys = write_commands(committed, 5)
    relay = OutboxRelay(committed, producer_factory([broker]), batch_size=2)
    try:
        rounds = [relay.publish_round(T0).published for _ in range(4)]
    finally:
        relay.close()

    assert rounds == [2, 2, 1, 0]
    wait_until(lambda: len(published_keys(commands, keys)) >= 5, message="the commands")
    assert sorted(published_keys(commands, keys)) == sorted(keys)
    assert all(r.published_at is not None and r.attempts == 1 for r in rows(committed))


def test_a_row_survives_a_broker_outage_and_is_published_once_it_answers(
    broker: str, committed: sessionmaker[Session], commands: TopicReader
) -> None:
    (key,) = write_commands(committed, 1)
    unreachable = producer_factory([f"127.0.0.1:{dead_port()}"], max_block_ms=1000)
    down = OutboxRelay(committed, unreachable, batch_size=10, produce_timeout_s=2)
    outage = down.publish_round(T0)

    assert (outage.published, outage.failed) == (0, 1)
    assert down.backoff_s > 0
    (row,) = rows(committed)
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error

    relay = OutboxRelay(committed, producer_factory([broker]), batch_size=10)
    try:
        assert relay.publish_round(T0).published == 1
    finally:
        relay.close()
    (row,) = rows(committed)
    assert (row.attempts, row.last_error) == (2, None)
    assert row.published_at is not None
    wait_until(lambda: published_keys(commands, [key]), message="the command")
    assert published_keys(commands, [key]) == [key]
