"""Rights requests on the fake Bluesky PDS: one reply per command whatever fails in between,
deleted and gated posts, refusals, rate limits, and the creator's replies read back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contract import RightsCommand, RightsCommandKind, RightsEventKind
from ingest.connectors.base import Unavailable
from ingest.connectors.from_job import Wiring
from ingest.rights.bluesky import (
    BlueskyRights,
    bluesky_api,
    from_settings,
    grapheme_count,
    record_key,
)
from ingest.rights.network import PostGone, RightsConfigError
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver
from tests.ingest.fake_bluesky_replies import (
    APP_PASSWORD,
    BRAND_DID,
    CREATOR_DID,
    IDENTIFIER,
    FakeBlueskyReplies,
)
from tests.ingest.ingest_fakes import START, FakeClock
from tests.ingest.rights_checks import check_reply_emitted_once, fake_wiring, watch

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes


@pytest.fixture
def fake(clock: FakeClock) -> FakeBlueskyReplies:
    return FakeBlueskyReplies(now=clock.now)


def rights(fake: FakeBlueskyReplies, clock: FakeClock) -> BlueskyRights:
    """The brand's account on ``fake``, as a worker (re)started now would make it."""
    return BlueskyRights(
        bluesky_api(fake_wiring(fake.client(), clock)),
        base_url=fake.base_url,
        login=(IDENTIFIER, APP_PASSWORD),
        account="bluesky brand",
        now=clock.now,
    )


def command(
    *,
    native_id: str,
    request_id: int = 1,
    text: str | None = None,
    created_at: datetime = START,
    key: str | None = None,
) -> RightsCommand:
    return RightsCommand(
        kind=RightsCommandKind.SEND_REQUEST,
        request_id=request_id,
        post_id=f"bluesky:{native_id}",
        network="bluesky",
        native_id=native_id,
        author_id=CREATOR_DID,
        text=text or f"May we share your photo? Reply #YesBrewNorth (request {request_id})",
        idempotency_key=key or f"rights:{request_id}:send_request:0",
        created_at=created_at,
    )


def created(fake: FakeBlueskyReplies) -> list[dict[str, Any]]:
    """The bodies of the ``createRecord`` calls."""
    return [json.loads(request.content) for request in fake.creates]


# --- send ------------------------------------------------------------------------------------


@pytest.mark.parametrize("not_found", ["RecordNotFound", "InvalidRequest"])
def test_a_send_posts_one_reply_under_the_post_with_the_commands_record_key(
    fake: FakeBlueskyReplies, clock: FakeClock, not_found: str
) -> None:
    fake.record_not_found_error = not_found  # today's lexicon error, and older PDSs'
    post = fake.creator_post()
    cmd = command(native_id=post)

    event = rights(fake, clock).send(cmd)

    assert event.kind == RightsEventKind.SENT
    [body] = created(fake)
    rkey = record_key(cmd)
    assert body["repo"] == BRAND_DID
    assert body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == rkey
    ref = {"uri": post, "cid": fake.views[post]["cid"]}
    assert body["record"] == {
        "$type": "app.bsky.feed.post",
        "text": cmd.text,
        "createdAt": "2025-03-01T12:00:00.000Z",
        "reply": {"root": ref, "parent": ref},
    }
    assert event.reply_id == f"at://{BRAND_DID}/app.bsky.feed.post/{rkey}"
    assert event.permalink == f"https://bsky.app/profile/{BRAND_DID}/post/{rkey}"
    assert event.request_id == cmd.request_id


def test_a_reply_to_a_reply_keeps_the_threads_root(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    root = fake.creator_post(did="did:plc:someone")
    answer = fake.reply(root, text="Here is mine! #brewnorth")

    assert rights(fake, clock).send(command(native_id=answer)).kind == RightsEventKind.SENT

    [body] = created(fake)
    reply = body["record"]["reply"]
    assert reply["root"] == {"uri": root, "cid": fake.views[root]["cid"]}
    assert reply["parent"] == {"uri": answer, "cid": fake.views[answer]["cid"]}


def test_a_command_sent_again_after_a_restart_posts_nothing_and_reports_the_same_reply(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    cmd = command(native_id=fake.creator_post())
    first = rights(fake, clock).send(cmd)
    clock.advance(3 * 86400)  # days later: no idempotency window to rely on

    again = rights(fake, clock).send(cmd)

    assert again.kind == RightsEventKind.SENT
    assert (again.reply_id, again.permalink) == (first.reply_id, first.permalink)
    assert len(fake.creates) == 1
    assert len(fake.records) == 1


def test_a_create_whose_answer_was_lost_is_found_when_the_client_repeats_it(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    cmd = command(native_id=fake.creator_post())
    fake.lose_next_create_answer()

    event = rights(fake, clock).send(cmd)

    assert event.kind == RightsEventKind.SENT
    creates = [s for r, s in zip(fake.requests, fake.responses, strict=True) if r in fake.creates]
    assert creates == [502, 500]  # the client's repeat finds the record key taken
    assert list(fake.records) == [record_key(cmd)]


def test_a_deleted_post_is_reported_deleted(fake: FakeBlueskyReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    fake.delete(post)

    event = rights(fake, clock).send(command(native_id=post))

    assert event.kind == RightsEventKind.POST_DELETED
    assert fake.creates == []


def test_a_thread_gate_that_keeps_the_brand_out_needs_a_manual_send(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    fake.gate(post)

    event = rights(fake, clock).send(command(native_id=post))

    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert "thread gate" in event.reason
    assert fake.creates == []


def test_a_text_over_300_graphemes_fails_before_any_request(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    text = "e\u0301" * 301  # 602 code points, 301 characters as a reader counts them

    event = rights(fake, clock).send(command(native_id=fake.creator_post(), text=text))

    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "300" in event.reason
    assert "301" in event.reason
    assert fake.requests == []


def test_graphemes_are_counted_as_a_reader_sees_them() -> None:
    assert grapheme_count(f"{FAMILY}\U0001f1eb\U0001f1f7e\u0301!") == 4
    assert grapheme_count("a" * 300) == 300


def test_a_reply_the_pds_refuses_fails_with_its_message(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    text = FAMILY * 150  # 150 graphemes, but 3,750 bytes: over the lexicon's 3,000

    event = rights(fake, clock).send(command(native_id=fake.creator_post(), text=text))

    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "must not be longer than 3000 characters" in event.reason
    assert fake.records == {}


def test_a_refused_login_fails_with_the_pds_message(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    wiring = Wiring(client=fake.client(), now=clock.now, sleep=clock.sleep)
    account = BlueskyRights(
        bluesky_api(wiring), base_url=fake.base_url, login=(IDENTIFIER, "revoked"), account="b"
    )

    event = account.send(command(native_id=fake.creator_post()))

    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "Invalid identifier or password" in event.reason
    assert "revoked" not in event.reason


def test_a_record_key_already_holding_another_post_is_not_reported_sent(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    other, post = fake.creator_post(), fake.creator_post()
    cmd = command(native_id=post)
    fake.brand_post(record_key(cmd), to=other, text="Another message")

    event = rights(fake, clock).send(cmd)

    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "already holds another post" in event.reason
    assert fake.creates == []


def test_a_rate_limited_send_waits_for_the_reset_then_succeeds(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    fake.spend_rate_limit(reset_in_s=30)

    event = rights(fake, clock).send(command(native_id=post))

    assert event.kind == RightsEventKind.SENT
    assert fake.responses[0] == 429
    assert clock.sleeps == [30.0]
    assert len(fake.records) == 1


def test_a_pds_unavailable_through_every_retry_raises_unavailable(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    fake.fail_next(503, times=5)

    with pytest.raises(Unavailable):
        rights(fake, clock).send(command(native_id=post))

    assert fake.responses == [503] * 5
    assert fake.records == {}


def test_a_create_unavailable_through_every_retry_raises_and_the_redelivery_posts_once(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    cmd = command(native_id=fake.creator_post())
    fake.fail_creates(503, times=5)
    account = rights(fake, clock)

    with pytest.raises(Unavailable, match="503"):
        account.send(cmd)
    assert fake.records == {}

    assert account.send(cmd).kind == RightsEventKind.SENT
    assert list(fake.records) == [record_key(cmd)]


def test_an_expired_token_is_refreshed_once_and_the_call_repeated(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    account = rights(fake, clock)
    account.send(command(native_id=fake.creator_post()))
    fake.expire_tokens()

    event = account.send(command(native_id=fake.creator_post(), request_id=2))

    assert event.kind == RightsEventKind.SENT
    assert (fake.sessions_created, fake.refreshes) == (1, 1)
    assert 400 in fake.responses
    assert len(fake.records) == 2


def test_a_record_key_is_a_tid_the_same_at_every_delivery_and_apart_for_other_commands() -> None:
    cmd = command(native_id="at://did:plc:creator/app.bsky.feed.post/3kabc")
    key = record_key(cmd)
    # A batch of reminders made in one transaction: the same created_at, other keys.
    batch = {record_key(command(native_id=cmd.native_id, key=f"reminder-{i}")) for i in range(500)}

    assert key == record_key(cmd.model_copy())
    assert len(batch) == 500
    assert len(key) == 13
    assert key[0] in "234567abcdefghij"
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = 0
    for char in key:
        value = value * 32 + alphabet.index(char)
    micros = value >> 10
    assert abs(micros - int(START.timestamp()) * 1_000_000) < 2**20


# --- replies ---------------------------------------------------------------------------------


def test_replies_are_the_direct_answers_to_our_reply_oldest_first_never_the_brands(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    account = rights(fake, clock)
    post = fake.creator_post()
    ours = str(account.send(command(native_id=post)).reply_id)
    clock.advance(60)
    first = fake.reply(ours, text="Sure! #YesBrewNorth")
    clock.advance(60)
    fake.reply(ours, did=BRAND_DID, text="Thank you!")
    fake.reply(post, text="Replying to my own post, not to the brand")
    fake.reply(first, text="A reply to my reply")
    deleted, blocked = fake.reply(ours, text="oops"), fake.reply(ours, did="did:plc:troll")
    fake.delete(deleted)
    fake.block(blocked)
    clock.advance(60)
    other = fake.reply(ours, did="did:plc:fan", text="Me too?")

    replies = account.replies(watch("bluesky", post, ours))

    assert [r.id for r in replies] == [first, other]
    assert [r.author_id for r in replies] == [CREATOR_DID, "did:plc:fan"]
    assert replies[0].text == "Sure! #YesBrewNorth"
    assert replies[0].created_at == START + timedelta(seconds=60)
    rkey = first.rsplit("/", 1)[-1]
    assert replies[0].url == f"https://bsky.app/profile/{CREATOR_DID}/post/{rkey}"


@pytest.mark.parametrize("gone_as", ["error", "notFoundPost"])
def test_replies_to_a_deleted_reply_raise_post_gone(
    fake: FakeBlueskyReplies, clock: FakeClock, gone_as: str
) -> None:
    fake.gone_thread_as = gone_as
    account = rights(fake, clock)
    post = fake.creator_post()
    ours = str(account.send(command(native_id=post)).reply_id)
    fake.delete(ours)

    with pytest.raises(PostGone):
        account.replies(watch("bluesky", post, ours))


def test_replies_after_the_creators_post_was_deleted_raise_post_gone(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    account = rights(fake, clock)
    post = fake.creator_post()
    ours = str(account.send(command(native_id=post)).reply_id)
    fake.delete(post)

    with pytest.raises(PostGone, match="was deleted"):
        account.replies(watch("bluesky", post, ours))


def test_the_reply_watcher_emits_the_creators_answer_once(
    fake: FakeBlueskyReplies, clock: FakeClock, tmp_path: Path
) -> None:
    post = fake.creator_post()
    ours = str(rights(fake, clock).send(command(native_id=post)).reply_id)
    answer = fake.reply(ours, text="Yes! #YesBrewNorth")

    event = check_reply_emitted_once(
        rights(fake, clock),
        native_id=post,
        sent_id=ours,
        clock=clock,
        tmp_path=tmp_path,
        reply_id=answer,
        author_id=CREATOR_DID,
    )

    assert event.text == "Yes! #YesBrewNorth"


# --- settings --------------------------------------------------------------------------------


def test_from_settings_is_none_without_a_credentials_reference() -> None:
    settings = IngestSettings(rights_bluesky_credentials=None)
    assert from_settings(settings, CredentialResolver(environ={}), Wiring()) is None


def test_from_settings_names_the_missing_credential() -> None:
    settings = IngestSettings(rights_bluesky_credentials="brand-bsky")
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_BSKY_IDENTIFIER": IDENTIFIER})

    with pytest.raises(RightsConfigError, match="UGC_CRED_BRAND_BSKY_APP_PASSWORD") as raised:
        from_settings(settings, resolver, Wiring())

    assert "app_password" in str(raised.value)
    assert APP_PASSWORD not in str(raised.value)


def test_from_settings_builds_the_account_on_the_configured_pds(
    fake: FakeBlueskyReplies, clock: FakeClock
) -> None:
    settings = IngestSettings(
        rights_bluesky_credentials="brand-bsky", rights_bluesky_base_url=fake.base_url
    )
    resolver = CredentialResolver(
        environ={
            "UGC_CRED_BRAND_BSKY_IDENTIFIER": IDENTIFIER,
            "UGC_CRED_BRAND_BSKY_APP_PASSWORD": APP_PASSWORD,
        }
    )
    wiring = Wiring(client=fake.client(), now=clock.now, sleep=clock.sleep)

    account = from_settings(settings, resolver, wiring)

    assert account is not None
    assert (account.network, account.account) == ("bluesky", f"bluesky {IDENTIFIER} (brand-bsky)")
    assert account.send(command(native_id=fake.creator_post())).kind == RightsEventKind.SENT
    assert all(str(r.url).startswith(fake.base_url) for r in fake.requests)
