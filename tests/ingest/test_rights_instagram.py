"""Rights requests on the fake Instagram: one comment where the caption @mentions the brand, a
manual send elsewhere, and the replies to our comment by username."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from contract import RightsCommand, RightsEvent, RightsEventKind
from ingest.connectors.base import Unavailable
from ingest.connectors.from_job import Wiring
from ingest.rights import instagram
from ingest.rights.instagram import InstagramRights, instagram_api
from ingest.rights.network import PostGone, RightsConfigError
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver
from tests.ingest.fake_instagram import IG_USER_ID, TOKEN
from tests.ingest.fake_instagram_replies import (
    BRAND_USERNAME,
    CREATOR_USERNAME,
    FakeInstagramReplies,
)
from tests.ingest.ingest_fakes import START, FakeClock
from tests.ingest.rights_checks import check_reply_emitted_once, fake_wiring, watch
from tests.ingest.rights_harness import command

TEXT = "May we share your photo? Reply #YesBrewNorth"


@pytest.fixture
def fake(clock: FakeClock) -> FakeInstagramReplies:
    return FakeInstagramReplies(now=clock.now)


def _rights(fake: FakeInstagramReplies, clock: FakeClock) -> InstagramRights:
    return InstagramRights(
        instagram_api(fake_wiring(fake.client(), clock)),
        token=TOKEN,
        ig_user_id=IG_USER_ID,
        base_url=fake.base_url,
        account="instagram brand",
        sleep=clock.sleep,
    )


def _command(media: dict[str, Any], text: str = TEXT) -> RightsCommand:
    return command(native_id=media["id"], network="instagram", request_id=9, text=text)


def _send(fake: FakeInstagramReplies, clock: FakeClock, media: dict[str, Any]) -> RightsEvent:
    return _rights(fake, clock).send(_command(media))


def _watch(media: dict[str, Any], sent_id: str) -> Watch:
    return watch("instagram", media["id"], sent_id, request_id=9)


def test_media_mentioning_the_brand_gets_one_comment_naming_its_author(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    event = _send(fake, clock, media)
    assert event.kind == RightsEventKind.SENT
    [request] = fake.posts
    assert request.url.path == f"/v21.0/{IG_USER_ID}/mentions"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert (form["media_id"], form["message"]) == (media["id"], TEXT)
    [comment] = fake.brand_comments()
    assert (event.reply_id, comment["media_id"]) == (comment["id"], media["id"])
    assert event.permalink == media["permalink"]
    # Hashtag search never names the author: the curation side takes it from this event.
    assert event.author_id == CREATOR_USERNAME


def test_a_resent_command_reports_the_comment_already_posted(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    first = _send(fake, clock, media)
    again = _send(fake, clock, media)  # a new worker: nothing cached
    assert again.kind == RightsEventKind.SENT
    assert (again.reply_id, again.author_id) == (first.reply_id, CREATOR_USERNAME)
    assert len(fake.posts) == 1


def test_without_a_comments_listing_the_comment_is_posted_unchecked(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    fake.comments_refused = True
    media = fake.creator_media()
    assert _send(fake, clock, media).kind == RightsEventKind.SENT
    assert len(fake.posts) == 1


def test_a_caption_without_the_mention_is_a_manual_send(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media(caption="Morning brew #brewnorth")
    event = _send(fake, clock, media)
    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert event.reason.startswith("the caption does not @mention the brand: reply by hand")
    assert fake.posts == []


def test_a_deleted_media_cannot_be_told_from_one_without_the_mention(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    fake.delete(media["id"])
    event = _send(fake, clock, media)
    assert event.kind == RightsEventKind.MANUAL_SEND_NEEDED
    assert event.reason is not None
    assert "deleted" in event.reason
    assert fake.posts == []


def test_a_refused_comment_is_failed_with_instagrams_message(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    event = _rights(fake, clock).send(_command(media, text="   "))
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "The parameter message is required" in event.reason


def test_a_dead_token_is_failed_with_instagrams_message(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    fake.expire_token_next()
    event = _send(fake, clock, fake.creator_media())
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "Session has expired" in event.reason
    assert fake.posts == []


def test_a_throttled_send_waits_then_succeeds(fake: FakeInstagramReplies, clock: FakeClock) -> None:
    media = fake.creator_media()
    fake.throttle_next(code=613)
    event = _send(fake, clock, media)
    assert event.kind == RightsEventKind.SENT
    assert 403 in fake.responses
    assert sum(clock.sleeps) >= instagram.THROTTLE_WAIT_S
    assert len(fake.posts) == 1


def test_503s_past_the_retries_raise_unavailable(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    fake.fail_next(503, times=5)
    with pytest.raises(Unavailable):
        _send(fake, clock, media)
    assert fake.posts == []


def test_replies_are_the_answers_to_our_comment_not_the_brands(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    ours = str(_send(fake, clock, media).reply_id)
    answer = fake.comment(media["id"], reply_to=ours, text="Sure! #YesBrewNorth", age_s=60)
    later = fake.comment(media["id"], reply_to=ours, username="bob", text="me too?")
    fake.comment(media["id"], reply_to=ours, username=BRAND_USERNAME, text="Thanks!")
    other = fake.comment(media["id"], username="bob", text="nice")  # not under our comment
    fake.comment(media["id"], reply_to=other["id"], text="#YesBrewNorth")
    replies = _rights(fake, clock).replies(_watch(media, ours))
    assert [r.id for r in replies] == [answer["id"], later["id"]]  # oldest first
    # The username, as the sent event reported the post's author.
    assert replies[0].author_id == CREATOR_USERNAME
    assert replies[0].text == "Sure! #YesBrewNorth"
    assert replies[0].created_at == START - timedelta(seconds=60)


def test_replies_to_a_deleted_comment_raise_post_gone(
    fake: FakeInstagramReplies, clock: FakeClock
) -> None:
    media = fake.creator_media()
    ours = str(_send(fake, clock, media).reply_id)
    fake.delete(ours)
    with pytest.raises(PostGone):
        _rights(fake, clock).replies(_watch(media, ours))


def test_the_watcher_emits_the_creators_reply_once(
    fake: FakeInstagramReplies, clock: FakeClock, tmp_path: Path
) -> None:
    media = fake.creator_media()
    ours = str(_send(fake, clock, media).reply_id)
    answer = fake.comment(media["id"], reply_to=ours)
    check_reply_emitted_once(
        _rights(fake, clock),
        native_id=media["id"],
        sent_id=ours,
        clock=clock,
        tmp_path=tmp_path,
        reply_id=answer["id"],
        author_id=CREATOR_USERNAME,
        request_id=9,
    )


def test_from_settings_is_none_without_credentials() -> None:
    settings = IngestSettings(rights_instagram_credentials=None)
    assert instagram.from_settings(settings, CredentialResolver(), Wiring()) is None


def test_from_settings_names_the_missing_account_id() -> None:
    settings = IngestSettings(rights_instagram_credentials="brand-ig")
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_IG_ACCESS_TOKEN": TOKEN})
    with pytest.raises(RightsConfigError, match="ig_user_id"):
        instagram.from_settings(settings, resolver, Wiring())


def test_from_settings_builds_the_brand_account() -> None:
    settings = IngestSettings(rights_instagram_credentials="brand-ig")
    resolver = CredentialResolver(
        environ={"UGC_CRED_BRAND_IG_ACCESS_TOKEN": TOKEN, "UGC_CRED_BRAND_IG_IG_USER_ID": "178"}
    )
    rights = instagram.from_settings(settings, resolver, Wiring())
    assert rights is not None
    assert (rights.network, rights.account) == ("instagram", "instagram 178 (brand-ig)")
    rights.close()
