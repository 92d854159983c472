"""The brand's Reddit account on the fake Reddit: one comment per command whatever is retried,
the creator's replies under their fullname, a refresh token exchanged for an hour's token."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from contract import RightsEventKind
from ingest.connectors.base import Unavailable
from ingest.connectors.from_job import Wiring
from ingest.connectors.reddit.post import child_to_post
from ingest.rights import reddit
from ingest.rights.network import PostGone, RightsConfigError
from ingest.rights.reddit import USER_AGENT, RedditRights, reddit_rights
from ingest.rights.user_oauth import AppCredentials
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver
from tests.ingest.fake_reddit_replies import (
    BASE_URL,
    BRAND_FULLNAME,
    BRAND_NAME,
    CLIENT_ID,
    CLIENT_SECRET,
    CREATOR_FULLNAME,
    REFRESH_TOKEN,
    TOKEN_URL,
    FakeRedditReplies,
)
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.rights_checks import check_reply_emitted_once, fake_wiring, watch
from tests.ingest.rights_harness import command

TEXT = "May we share your photo? Reply #YesBrewNorth & we credit you (request 1)"


@pytest.fixture
def fake(clock: FakeClock) -> FakeRedditReplies:
    return FakeRedditReplies(now=clock.now)


def _rights(
    fake: FakeRedditReplies, clock: FakeClock, *, refresh_token: str = REFRESH_TOKEN
) -> RedditRights:
    return reddit_rights(
        base_url=BASE_URL,
        token_url=TOKEN_URL,
        app=AppCredentials(CLIENT_ID, CLIENT_SECRET, refresh_token),
        wiring=fake_wiring(fake.client(), clock),
        account="reddit (brand-reddit)",
    )


def _form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def _ours(fake: FakeRedditReplies, post_id: str, body: str = TEXT) -> str:
    return str(
        fake.comment(f"t3_{post_id}", author=BRAND_NAME, author_fullname=BRAND_FULLNAME, body=body)[
            "id"
        ]
    )


# --- send ---------------------------------------------------------------------------------------


def test_a_command_posts_one_top_level_comment_as_the_brand(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    event = _rights(fake, clock).send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.SENT
    [request] = fake.comment_posts
    assert _form(request) == {"thing_id": f"t3_{post['id']}", "text": TEXT, "api_type": "json"}
    comment = fake.comments[str(event.reply_id)]
    assert (comment["parent_id"], comment["author_fullname"]) == (post["name"], BRAND_FULLNAME)
    assert event.permalink == f"https://www.reddit.com{comment['permalink']}"
    assert {r.headers["User-Agent"] for r in fake.requests} == {USER_AGENT}
    [grant] = [r for r in fake.requests if r.url.path == "/api/v1/access_token"]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert grant.headers["Authorization"] == f"Basic {basic}"
    assert _form(grant) == {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
    assert fake.requests[-1].headers["Authorization"] == f"bearer {fake.granted[0]}"


def test_a_second_send_after_a_restart_posts_nothing_and_reports_the_same_comment(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    cmd = command(native_id=post["id"], network="reddit", text=TEXT)
    first = _rights(fake, clock).send(cmd)
    clock.advance(86_400)
    fake.comment(post["name"], body="first!")  # others comment meanwhile
    again = _rights(fake, clock).send(cmd)  # a new worker: nothing in memory
    assert len(fake.comment_posts) == 1
    assert again.kind == RightsEventKind.SENT
    assert (again.reply_id, again.permalink) == (first.reply_id, first.permalink)


def test_the_brands_comment_with_other_text_or_others_with_this_text_are_not_ours(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    _ours(fake, post["id"], body="Thanks for sharing!")
    fake.comment(post["name"], body=TEXT)  # someone quoting the request
    event = _rights(fake, clock).send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert len(fake.comment_posts) == 1
    assert fake.comments[str(event.reply_id)]["author"] == BRAND_NAME


def test_an_earlier_comment_is_found_by_its_raw_text_spacing_aside(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    # Reddit escapes "&" without raw_json=1: the module must read the text as written.
    earlier = _ours(fake, post["id"], body=TEXT.replace(" Reply", "\n\nReply").upper())
    event = _rights(fake, clock).send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert fake.comment_posts == []
    assert event.reply_id == earlier


@pytest.mark.parametrize("gone", ["deleted", "removed", "unknown"])
def test_a_deleted_or_removed_post_is_reported_deleted_without_commenting(
    fake: FakeRedditReplies, clock: FakeClock, gone: str
) -> None:
    post_id = fake.creator_post()["id"]
    if gone == "deleted":
        fake.delete_post(post_id)
    elif gone == "removed":
        fake.remove_post(post_id)
    else:
        post_id = "zzzzzz"
    event = _rights(fake, clock).send(command(native_id=post_id, network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.POST_DELETED
    assert fake.comment_posts == []


def test_a_post_deleted_just_before_the_comment_is_reported_deleted(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    fake.refuse_next_comment("DELETED_LINK", "that link has been deleted")
    event = _rights(fake, clock).send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.POST_DELETED
    assert event.reason is not None
    assert "DELETED_LINK" in event.reason


@pytest.mark.parametrize(
    ("flag", "code", "words"),
    [("locked", "THREAD_LOCKED", "thread is locked"), ("archived", "TOO_OLD", "piece of history")],
)
def test_a_refused_comment_is_failed_with_reddits_message(
    fake: FakeRedditReplies, clock: FakeClock, flag: str, code: str, words: str
) -> None:
    post = fake.creator_post(locked=flag == "locked", archived=flag == "archived")
    event = _rights(fake, clock).send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert code in event.reason
    assert words in event.reason
    assert fake.comments == {}


def test_reddits_comment_ratelimit_is_transient_and_the_retry_posts_once(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock)
    cmd = command(native_id=post["id"], network="reddit", text=TEXT)
    fake.refuse_next_comment("RATELIMIT", "Take a break for 5 minutes.", "ratelimit")
    with pytest.raises(Unavailable, match="Take a break"):
        rights.send(cmd)
    assert fake.comments == {}
    assert rights.send(cmd).kind == RightsEventKind.SENT
    assert len(fake.comments) == 1


def test_a_spent_rate_limit_waits_for_the_reset_then_sends(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock)
    rights.brand()  # token and account read; the budget is spent on the next call
    fake.rate_limited_next(reset_in_s=30)
    event = rights.send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.SENT
    assert 429 in fake.responses
    assert sum(clock.sleeps) >= 30
    assert len(fake.posted_at) == 1


def test_reddit_down_past_the_retries_raises_unavailable(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock)
    rights.brand()
    fake.fail_next(503, times=5)
    with pytest.raises(Unavailable, match="503"):
        rights.send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert fake.comment_posts == []


# --- the token ----------------------------------------------------------------------------------


def test_the_access_token_is_kept_until_it_is_about_to_expire(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    rights = _rights(fake, clock)
    for _ in range(3):
        rights.send(command(native_id=fake.creator_post()["id"], network="reddit", text=TEXT))
    assert len(fake.granted) == 1
    clock.advance(3600 - 30)  # inside the last minute of the hour
    rights.send(command(native_id=fake.creator_post()["id"], network="reddit", text=TEXT))
    assert len(fake.granted) == 2
    assert fake.requests[-1].headers["Authorization"] == f"bearer {fake.granted[1]}"


def test_a_revoked_token_is_replaced_once(fake: FakeRedditReplies, clock: FakeClock) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock)
    rights.brand()
    fake.revoke_tokens()
    event = rights.send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.SENT
    assert len(fake.granted) == 2
    assert fake.responses.count(401) == 1


def test_a_refused_refresh_token_fails_with_what_to_do(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    rights = _rights(fake, clock, refresh_token="revoked")
    event = rights.send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "invalid_grant" in event.reason
    assert "authorize the app again" in event.reason
    assert fake.comments == {}


# --- replies ------------------------------------------------------------------------------------


def test_replies_are_the_direct_answers_to_our_comment_not_the_brands(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    ours = _ours(fake, post["id"])
    other = fake.comment(post["name"], author="someone", author_fullname="t2_5om3", body="nice")
    clock.advance(60)
    answer = fake.comment(f"t1_{ours}", body="Sure & thanks! #YesBrewNorth")
    clock.advance(60)
    fake.comment(f"t1_{ours}", author=BRAND_NAME, author_fullname=BRAND_FULLNAME, body="Thanks!")
    fake.comment(f"t1_{other['id']}", body="#YesBrewNorth")  # under someone else's comment
    fake.comment(f"t1_{answer['id']}", author="someone", author_fullname="t2_5om3", body="+1")
    clock.advance(60)
    late = fake.comment(f"t1_{ours}", author="lurker", author_fullname="t2_1urk", body="me too")
    replies = _rights(fake, clock).replies(watch("reddit", post["id"], ours))
    assert [r.id for r in replies] == [answer["id"], late["id"]]
    first = replies[0]
    assert (first.author_id, first.text) == (CREATOR_FULLNAME, "Sure & thanks! #YesBrewNorth")
    assert first.created_at is not None
    assert first.created_at.timestamp() == answer["created_utc"]
    assert first.url == f"https://www.reddit.com{answer['permalink']}"
    # The same id as the listening connector stores for the post's author.
    listened = child_to_post(
        {"kind": "t3", "data": post}, tag="brewnorth", collected_at=clock.now()
    )
    assert listened is not None
    assert first.author_id == listened.author.id


def test_replies_of_a_deleted_comment_or_post_raise_post_gone(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    post = fake.creator_post()
    ours = _ours(fake, post["id"])
    rights = _rights(fake, clock)
    fake.delete_comment(ours)  # without replies: gone from the tree
    with pytest.raises(PostGone):
        rights.replies(watch("reddit", post["id"], ours))
    kept = _ours(fake, post["id"])
    fake.comment(f"t1_{kept}")
    fake.delete_comment(kept)  # with a reply: shown as [deleted]
    with pytest.raises(PostGone):
        rights.replies(watch("reddit", post["id"], kept))
    alive = _ours(fake, post["id"])
    fake.delete_post(post["id"])
    with pytest.raises(PostGone):
        rights.replies(watch("reddit", post["id"], alive))


def test_the_reply_watcher_emits_the_creators_reply_once(
    fake: FakeRedditReplies, clock: FakeClock, tmp_path: Path
) -> None:
    post = fake.creator_post()
    ours = _ours(fake, post["id"])
    answer = fake.comment(f"t1_{ours}")
    check_reply_emitted_once(
        _rights(fake, clock),
        native_id=post["id"],
        sent_id=ours,
        clock=clock,
        tmp_path=tmp_path,
        reply_id=answer["id"],
        author_id=CREATOR_FULLNAME,
    )


# --- settings -----------------------------------------------------------------------------------


def test_without_credentials_reddit_requests_stay_manual() -> None:
    assert reddit.from_settings(IngestSettings(), CredentialResolver(), Wiring()) is None


def test_a_missing_credential_is_named_with_where_to_put_it() -> None:
    settings = IngestSettings(rights_reddit_credentials="brand-reddit")
    resolver = CredentialResolver(
        environ={
            "UGC_CRED_BRAND_REDDIT_CLIENT_ID": CLIENT_ID,
            "UGC_CRED_BRAND_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        }
    )
    with pytest.raises(RightsConfigError, match="UGC_CRED_BRAND_REDDIT_REFRESH_TOKEN") as error:
        reddit.from_settings(settings, resolver, Wiring())
    assert "client_id" not in str(error.value)


def test_from_settings_sends_with_the_configured_account(
    fake: FakeRedditReplies, clock: FakeClock
) -> None:
    settings = IngestSettings(rights_reddit_credentials="brand-reddit")
    resolver = CredentialResolver(
        environ={
            "UGC_CRED_BRAND_REDDIT_CLIENT_ID": CLIENT_ID,
            "UGC_CRED_BRAND_REDDIT_CLIENT_SECRET": CLIENT_SECRET,
            "UGC_CRED_BRAND_REDDIT_REFRESH_TOKEN": REFRESH_TOKEN,
        }
    )
    wiring = Wiring(client=fake.client(), now=clock.now, sleep=clock.sleep)
    rights = reddit.from_settings(settings, resolver, wiring)
    assert rights is not None
    assert rights.network == "reddit"
    assert "brand-reddit" in rights.account
    post = fake.creator_post()
    event = rights.send(command(native_id=post["id"], network="reddit", text=TEXT))
    assert event.kind == RightsEventKind.SENT
