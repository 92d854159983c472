"""What the rights tests of every network share: the worker's wiring on a fake with the fake
clock, the events a watcher emits, the watch of a sent request, and the reply watcher's promise
(the creator's reply once, and not again after a restart)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from contract import RightsEvent, RightsEventKind
from contract.dead_letters import DeadLetterMessage
from database.engine import create_db_engine, create_session_factory
from ingest.connectors.from_job import Wiring
from ingest.rights.network import RightsNetwork
from ingest.rights.watcher import ReplyWatcher
from ingest.rights.watches import Watch, WatchStore
from tests.ingest.ingest_fakes import START, FakeClock
from tests.ingest.jobs_fakes import migrated_sqlite_url


def fake_wiring(client: httpx.Client, clock: FakeClock) -> Wiring:
    """A worker's wiring over a fake network's ``client``, on ``clock``, retrying without
    jitter (so that the waits tests count are the ones the network asked for)."""
    return Wiring(client=client, now=clock.now, sleep=clock.sleep, jitter=lambda: 0.0)


class EmittedEvents:
    """The event sink of a watcher under test: keeps what it publishes; no dead letters."""

    def __init__(self) -> None:
        self.events: list[RightsEvent] = []

    def publish(self, events: Sequence[RightsEvent]) -> None:
        self.events += events

    def dead_letter(self, _message: DeadLetterMessage) -> None:
        raise AssertionError("no dead letters here")


def watch(
    network: str, native_id: str, sent_id: str, *, request_id: int = 1, sent_at: datetime = START
) -> Watch:
    """The watch of our message ``sent_id`` under the post ``native_id``, nothing seen yet."""
    return Watch(
        request_id=request_id,
        post_id=f"{network}:{native_id}",
        network=network,
        sent_id=sent_id,
        sent_at=sent_at,
        watch_until=sent_at + timedelta(days=14),
        seen_reply_ids=frozenset(),
    )


def check_reply_emitted_once(
    rights: RightsNetwork,
    *,
    native_id: str,
    sent_id: str,
    clock: FakeClock,
    tmp_path: Path,
    reply_id: str,
    author_id: str,
    request_id: int = 1,
) -> RightsEvent:
    """Watch our message ``sent_id`` under the post ``native_id`` from now, in a database of its
    own, and check that the reply watcher emits the creator's reply ``reply_id`` by
    ``author_id`` at its first poll, then neither at its next poll nor after a restart.

    Returns the reply event, for the network's own checks (its text, its permalink)."""
    network, post_id = rights.network, f"{rights.network}:{native_id}"
    store = WatchStore(create_session_factory(create_db_engine(migrated_sqlite_url(tmp_path))))
    store.add(
        request_id=request_id,
        post_id=post_id,
        network=network,
        sent_id=sent_id,
        sent_at=clock.now(),
        watch_until=clock.now() + timedelta(days=14),
    )
    events = EmittedEvents()

    def started() -> ReplyWatcher:
        return ReplyWatcher(store=store, networks={network: rights}, events=events, now=clock.now)

    watcher = started()
    assert watcher.poll_due() == 1
    for poller in (watcher, started()):  # the next poll, then a restart: nothing in memory
        clock.advance(60)
        assert store.due(clock.now(), network=network)  # the replies are read again
        assert poller.poll_due() == 0
    [event] = events.events
    assert event.kind == RightsEventKind.REPLY
    assert (event.reply_id, event.author_id) == (reply_id, author_id)
    assert (event.post_id, event.request_id) == (post_id, request_id)
    return event
