"""The reply watcher on the fake Mastodon: each reply once, never the brand's own, slower
as the request ages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from contract import RightsEventKind
from database.engine import create_db_engine, create_session_factory
from ingest.rights.watcher import ReplyWatcher, poll_interval
from ingest.rights.watches import WatchStore
from tests.ingest.fake_mastodon_replies import BRAND_ACCOUNT_ID, FakeMastodonReplies
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.jobs_fakes import migrated_sqlite_url
from tests.ingest.rights_checks import EmittedEvents
from tests.ingest.rights_harness import mastodon


def _setup(tmp_path: Path) -> tuple[FakeClock, FakeMastodonReplies, WatchStore, str, str]:
    clock = FakeClock()
    fake = FakeMastodonReplies(now=clock.now)
    store = WatchStore(create_session_factory(create_db_engine(migrated_sqlite_url(tmp_path))))
    post = fake.creator_post()
    ours = fake.reply(post["id"], account_id=BRAND_ACCOUNT_ID, html="<p>May we?</p>")
    store.add(
        request_id=1,
        post_id=f"mastodon:{post['id']}",
        network="mastodon",
        sent_id=ours["id"],
        sent_at=clock.now(),
        watch_until=clock.now() + timedelta(days=14),
    )
    return clock, fake, store, post["id"], ours["id"]


def test_a_new_reply_is_emitted_once_even_after_a_restart(tmp_path: Path) -> None:
    clock, fake, store, _, ours = _setup(tmp_path)
    events = EmittedEvents()
    watcher = ReplyWatcher(
        store=store, networks={"mastodon": mastodon(fake, clock)}, events=events, now=clock.now
    )
    assert watcher.poll_due() == 0
    answer = fake.reply(
        ours, html="<p>Sure! <a href='https://x/tags/yesbrewnorth'>#YesBrewNorth</a></p>"
    )
    clock.advance(60)
    assert watcher.poll_due() == 1
    [event] = events.events
    assert event.kind == RightsEventKind.REPLY
    assert (event.reply_id, event.author_id) == (answer["id"], "1001")
    assert event.text == "Sure! #YesBrewNorth"
    assert event.permalink == answer["url"]
    assert event.post_id.startswith("mastodon:")
    restarted = ReplyWatcher(
        store=store, networks={"mastodon": mastodon(fake, clock)}, events=events, now=clock.now
    )
    clock.advance(60)
    assert restarted.poll_due() == 0
    assert len(events.events) == 1


def test_the_brands_own_statuses_are_not_replies(tmp_path: Path) -> None:
    clock, fake, store, _, ours = _setup(tmp_path)
    events = EmittedEvents()
    watcher = ReplyWatcher(
        store=store, networks={"mastodon": mastodon(fake, clock)}, events=events, now=clock.now
    )
    fake.reply(ours, account_id=BRAND_ACCOUNT_ID, html="<p>ping</p>")
    assert watcher.poll_due() == 0
    assert events.events == []


def test_polls_slow_down_as_the_request_ages_and_stop_at_expiry(tmp_path: Path) -> None:
    clock, fake, store, _, _ = _setup(tmp_path)
    watcher = ReplyWatcher(
        store=store,
        networks={"mastodon": mastodon(fake, clock)},
        events=EmittedEvents(),
        now=clock.now,
    )
    assert poll_interval(timedelta(minutes=5)) == timedelta(minutes=1)
    assert poll_interval(timedelta(hours=2)) == timedelta(minutes=15)
    assert poll_interval(timedelta(days=3)) == timedelta(hours=1)
    watcher.poll_due()
    assert store.next_due(network="mastodon") == clock.now() + timedelta(minutes=1)
    clock.advance(2 * 3600)
    watcher.poll_due()
    assert store.next_due(network="mastodon") == clock.now() + timedelta(minutes=15)
    clock.advance(30)
    assert store.due(clock.now(), network="mastodon") == []  # not polled before it is due
    clock.advance(15 * 86400)
    watcher.poll_due()
    assert store.all() == []


def test_a_deleted_request_is_no_longer_watched(tmp_path: Path) -> None:
    clock, fake, store, _, ours = _setup(tmp_path)
    fake.delete(ours)
    watcher = ReplyWatcher(
        store=store,
        networks={"mastodon": mastodon(fake, clock)},
        events=EmittedEvents(),
        now=clock.now,
    )
    watcher.poll_due()
    assert store.all() == []
