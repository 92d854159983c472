"""Rights requests on the fake X: one reply per command where X allows it, a manual send where
it does not, and the creator's replies by numeric user id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract import RightsCommand, RightsEvent, RightsEventKind
from ingest.connectors.base import Unavailable
from ingest.connectors.from_job import Wiring
from ingest.rights import x
from ingest.rights.network import PostGone, RightsConfigError
from ingest.rights.watches import Watch
from ingest.rights.x import XRights, x_api
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver
from tests.ingest.fake_x_replies import BRAND, CREATOR, OTHER, TOKEN, FakeXReplies
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.rights_checks import check_reply_emitted_once, fake_wiring, watch
from tests.ingest.rights_harness import command

TEXT = "May we share your photo? Reply #YesBrewNorth. Terms: https://brewnorth.example/terms"


@pytest.fixture
def fake(clock: FakeClock) -> FakeXReplies:
    return FakeXReplies(now=clock.now)


def _rights(fake: FakeXReplies, clock: FakeClock) -> XRights:
    wiring = fake_wiring(fake.client(), clock)
    return XRights(x_api(wiring), token=TOKEN, base_url=fake.base_url, account="x brand")


def _send(fake: FakeXReplies, clock: FakeClock, post: dict[str, Any]) -> RightsEvent:
    return _rights(fake, clock).send(_command(post))


def _command(post: dict[str, Any], text: str = TEXT) -> RightsCommand:
    return command(native_id=post["id"], network="x", request_id=7, text=text)


def _watch(post: dict[str, Any], sent_id: str) -> Watch:
    return watch("x", post["id"], sent_id, request_id=7)


def test_a_post_mentioning_the_brand_gets_one_reply(fake: FakeXReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    event = _send(fake, clock, post)
    assert event.kind == RightsEventKind.SENT
    [request] = fake.posts
    assert json.loads(request.content) == {
        "text": TEXT,
        "reply": {"in_reply_to_tweet_id": post["id"]},
    }
    reply = fake.tweets[str(event.reply_id)]
    assert reply["author_id"] == BRAND["id"]
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": post["id"]}]
    assert event.permalink == f"https://x.com/brewnorth/status/{event.reply_id}"


def test_a_resent_command_reports_the_reply_already_posted(
    fake: FakeXReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    first = _send(fake, clock, post)
    # A new worker: nothing cached. X reads the reply back with "@alice " and a t.co link.
    again = _send(fake, clock, post)
    assert fake.tweets[str(first.reply_id)]["text"].startswith("@alice May we")
    assert "https://t.co/" in fake.tweets[str(first.reply_id)]["text"]
    assert again.kind == RightsEventKind.SENT
    assert again.reply_id == first.reply_id
    assert len(fake.posts) == 1


def test_another_text_on_the_same_post_is_a_new_reply(fake: FakeXReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock)
    first = rights.send(_command(post))
    reminder = rights.send(_command(post, "A friendly reminder: reply #YesBrewNorth"))
    assert reminder.kind == RightsEventKind.SENT
    assert reminder.reply_id != first.reply_id
    assert len(fake.posts) == 2


def test_a_post_quoting_the_brand_may_be_replied_to(fake: FakeXReplies, clock: FakeClock) -> None:
    ours = fake.tweet(user=BRAND, text="Show us your brew")
    post = fake.creator_post(mention_brand=False, quotes=ours["id"])
    assert _send(fake, clock, post).kind == RightsEventKind.SENT
    assert len(fake.posts) == 1


def test_a_post_that_neither_mentions_nor_quotes_the_brand_is_a_manual_send(
    fake: FakeXReplies, clock: FakeClock
) -> None:
    someone = fake.tweet(user=OTHER, text="Coffee thoughts")
    post = fake.creator_post(mention_brand=False, quotes=someone["id"])
    event = _send(fake, clock, post)
    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert "mentioned or quoted" in event.reason
    assert fake.posts == []


def test_x_refusing_a_restricted_reply_is_a_manual_send(
    fake: FakeXReplies, clock: FakeClock
) -> None:
    fake.refuse_replies = True
    event = _send(fake, clock, fake.creator_post())
    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert "not been mentioned or otherwise engaged" in event.reason
    assert len(fake.posts) == 1


@pytest.mark.parametrize("how", ["partial error", "404"])
def test_a_deleted_post_is_reported_deleted(fake: FakeXReplies, clock: FakeClock, how: str) -> None:
    post = fake.creator_post()
    fake.delete(post["id"])
    rights = _rights(fake, clock)
    rights.brand()
    if how == "404":  # the next request is the post's lookup
        fake.respond_next(404, {"title": "Not Found Error", "detail": "Not Found", "status": 404})
    event = rights.send(_command(post))
    assert event.kind == RightsEventKind.POST_DELETED
    assert fake.posts == []


def test_a_refused_reply_is_failed_with_xs_message(fake: FakeXReplies, clock: FakeClock) -> None:
    _send(fake, clock, fake.creator_post())  # the same text under another post
    event = _send(fake, clock, fake.creator_post())
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "duplicate content" in event.reason


def test_a_rate_limited_send_waits_for_the_reset_then_succeeds(
    fake: FakeXReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    fake.rate_limited_next(reset_in_s=30)
    event = _send(fake, clock, post)
    assert event.kind == RightsEventKind.SENT
    assert 429 in fake.responses
    assert max(clock.sleeps) >= 29  # x-rate-limit-reset is in whole seconds
    assert len(fake.posts) == 1


def test_503s_past_the_retries_raise_unavailable(fake: FakeXReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    fake.fail_next(503, times=5)
    with pytest.raises(Unavailable):
        _send(fake, clock, post)
    assert fake.posts == []


def test_replies_are_the_direct_answers_to_ours_not_the_brands(
    fake: FakeXReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    sent = _send(fake, clock, post)
    ours = str(sent.reply_id)
    answer = fake.reply(ours, text="Sure! #YesBrewNorth")
    fake.reply(ours, user=BRAND, text="Thanks, noted")
    fake.reply(post["id"], user=OTHER, text="nice cup")  # to the post, not to us
    fake.reply(answer["id"], user=OTHER, text="congrats")  # to the creator's answer
    later = fake.reply(ours, user=OTHER, text="can I join?")
    replies = _rights(fake, clock).replies(_watch(post, ours))
    assert [r.id for r in replies] == [answer["id"], later["id"]]
    first = replies[0]
    # The numeric user id: what the listening connector stores as the post's Author.id.
    assert first.author_id == CREATOR["id"]
    assert first.text == "@brewnorth Sure! #YesBrewNorth"
    assert first.url == f"https://x.com/alice/status/{answer['id']}"
    assert first.created_at is not None


def test_replies_to_a_deleted_reply_raise_post_gone(fake: FakeXReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    sent = _send(fake, clock, post)
    fake.delete(str(sent.reply_id))
    with pytest.raises(PostGone):
        _rights(fake, clock).replies(_watch(post, str(sent.reply_id)))


def test_replies_under_a_deleted_post_raise_post_gone(fake: FakeXReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    sent = _send(fake, clock, post)
    fake.delete(post["id"])
    with pytest.raises(PostGone):
        _rights(fake, clock).replies(_watch(post, str(sent.reply_id)))


def test_the_watcher_emits_the_creators_reply_once(
    fake: FakeXReplies, clock: FakeClock, tmp_path: Path
) -> None:
    post = fake.creator_post()
    sent = _send(fake, clock, post)
    answer = fake.reply(str(sent.reply_id))
    check_reply_emitted_once(
        _rights(fake, clock),
        native_id=post["id"],
        sent_id=str(sent.reply_id),
        clock=clock,
        tmp_path=tmp_path,
        reply_id=answer["id"],
        author_id=CREATOR["id"],
        request_id=7,
    )


def test_from_settings_is_none_without_credentials() -> None:
    settings = IngestSettings(rights_x_credentials=None)
    assert x.from_settings(settings, CredentialResolver(), Wiring()) is None


def test_from_settings_names_the_missing_token() -> None:
    settings = IngestSettings(rights_x_credentials="brand-x")
    with pytest.raises(RightsConfigError, match="UGC_CRED_BRAND_X_ACCESS_TOKEN"):
        x.from_settings(settings, CredentialResolver(), Wiring())


def test_from_settings_builds_the_brand_account() -> None:
    settings = IngestSettings(rights_x_credentials="brand-x")
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_X_ACCESS_TOKEN": TOKEN})
    rights = x.from_settings(settings, resolver, Wiring())
    assert rights is not None
    assert (rights.network, rights.account) == ("x", "x https://api.x.com (brand-x)")
    rights.close()
