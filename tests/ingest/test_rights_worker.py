"""The ingest rights worker on the real broker and the fake Mastodon: one status per command,
whatever fails in between."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from contract import RightsEvent, RightsEventKind
from contract.dead_letters import DeadLetterMessage
from contract.settings import KafkaSettings
from database.engine import create_db_engine, create_session_factory
from ingest.rights.pacing import Pacer
from tests.conftest import wait_until
from tests.ingest.fake_mastodon_replies import BRAND_ACCOUNT_ID
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.jobs_fakes import migrated_sqlite_url
from tests.ingest.rights_harness import EventReader, Rig, command


@pytest.fixture
def rig(kafka_settings: KafkaSettings, tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(kafka_settings, tmp_path)
    yield rig
    rig.close()


@pytest.fixture
def events(kafka_settings: KafkaSettings) -> Iterator[EventReader]:
    reader = EventReader(kafka_settings)
    yield reader
    reader.close()


def _of(reader: EventReader, request_id: int) -> list[RightsEvent]:
    return [e for e in reader.read() if e.request_id == request_id]


def test_a_command_posts_one_reply_and_reports_it_sent(rig: Rig, events: EventReader) -> None:
    post = rig.fake.creator_post()
    rig.produce(command(native_id=post["id"], request_id=11))
    with rig.worker():
        [sent] = wait_until(lambda: _of(events, 11), message="the sent event")
    assert sent.kind == RightsEventKind.SENT
    [request] = rig.fake.posts
    reply = rig.fake.statuses[str(sent.reply_id)]
    assert reply["in_reply_to_id"] == post["id"]
    assert reply["account"]["id"] == BRAND_ACCOUNT_ID
    assert sent.permalink == reply["url"]
    assert request.headers["Idempotency-Key"] == "rights-11-request"
    assert [w.sent_id for w in rig.store.all()] == [sent.reply_id]


class _CrashAfterSend:
    """The process dies after the status was posted, before the event reached the broker."""

    def publish(self, _events: Sequence[RightsEvent]) -> None:
        raise SystemExit("killed")

    def dead_letter(self, _message: DeadLetterMessage) -> None:
        raise SystemExit("killed")


def test_a_worker_killed_between_send_and_report_does_not_post_twice(
    rig: Rig, events: EventReader
) -> None:
    post = rig.fake.creator_post()
    rig.produce(command(native_id=post["id"], request_id=12))
    with rig.worker(events=_CrashAfterSend(), crash_ok=True):
        wait_until(lambda: rig.errors, message="the crash")
    assert len(rig.fake.posts) == 1
    rig.fake.idempotency.clear()  # more than an hour later: Mastodon forgot the key
    with rig.worker():
        [sent] = wait_until(lambda: _of(events, 12), message="the sent event")
    assert sent.kind == RightsEventKind.SENT
    assert len(rig.fake.posts) == 1
    assert sent.reply_id == rig.fake.idempotency.get("rights-12-request", sent.reply_id)


def test_a_rate_limited_send_waits_for_the_reset_then_succeeds(
    rig: Rig, events: EventReader
) -> None:
    post = rig.fake.creator_post()
    rig.fake.rate_limited_next(reset_in_s=30)
    rig.fake.fail_next(503)
    rig.produce(command(native_id=post["id"], request_id=13))
    with rig.worker():
        [sent] = wait_until(lambda: _of(events, 13), message="the sent event")
    assert sent.kind == RightsEventKind.SENT
    assert 429 in rig.fake.responses
    assert 503 in rig.fake.responses
    assert len(rig.fake.posted_at) == 1


def test_a_deleted_post_is_reported_deleted(rig: Rig, events: EventReader) -> None:
    post = rig.fake.creator_post()
    rig.fake.delete(post["id"])
    rig.produce(command(native_id=post["id"], request_id=14))
    with rig.worker():
        [event] = wait_until(lambda: _of(events, 14), message="the event")
    assert event.kind == RightsEventKind.POST_DELETED
    assert rig.fake.posts == []


def test_another_network_needs_a_manual_send_with_the_reason(rig: Rig, events: EventReader) -> None:
    rig.produce(command(native_id="1799", network="x", request_id=15))
    with rig.worker():
        [event] = wait_until(lambda: _of(events, 15), message="the event")
    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert "mentioned or quoted" in event.reason
    assert rig.fake.requests == []


def test_a_refused_reply_is_failed_with_the_networks_message(rig: Rig, events: EventReader) -> None:
    post = rig.fake.creator_post()
    rig.produce(command(native_id=post["id"], request_id=16, text="   "))
    with rig.worker():
        [event] = wait_until(lambda: _of(events, 16), message="the event")
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "Text can't be blank" in event.reason


def test_pacing_holds_back_the_21st_send_within_the_hour(rig: Rig) -> None:
    posts = [rig.fake.creator_post() for _ in range(21)]
    rig.produce(*(command(native_id=p["id"], request_id=100 + i) for i, p in enumerate(posts)))
    start = rig.clock.now()
    with rig.worker():
        wait_until(lambda: len(rig.fake.posted_at) == 21, message="21 sends")
    # The clock moves only by the worker's waits: 20 sends at once, the 21st a token later.
    assert all(at == start for at in rig.fake.posted_at[:20])
    assert (rig.fake.posted_at[20] - start).total_seconds() >= 3600 / 20 * 0.99


def test_the_send_budget_is_shared_and_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = create_db_engine(migrated_sqlite_url(tmp_path))
    sessions = create_session_factory(engine)
    pacer = Pacer(sessions, 20, now=clock.now)
    for _ in range(20):
        assert pacer.wait_s("a") == 0
        pacer.take("a")
    assert pacer.wait_s("a") == pytest.approx(180.0)
    # Another worker, or this one restarted, reads the same bucket.
    restarted = Pacer(sessions, 20, now=clock.now)
    assert restarted.wait_s("a") == pytest.approx(180.0)
    assert restarted.wait_s("b") == 0  # each account has its own
    clock.advance(180)
    assert restarted.wait_s("a") == 0
    restarted.take("a")
    assert pacer.wait_s("a") == pytest.approx(180.0)
    engine.dispose()
