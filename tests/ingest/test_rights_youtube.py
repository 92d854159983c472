"""The brand's YouTube channel on the fake YouTube: one comment per command whatever is retried,
the creator's replies under their channel id, Google's refresh token, its quota and errors."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from contract import RightsEvent, RightsEventKind
from ingest.connectors.base import Unavailable
from ingest.connectors.from_job import Wiring
from ingest.connectors.youtube.video import video_to_post
from ingest.rights import youtube
from ingest.rights.network import PostGone, RightsConfigError
from ingest.rights.user_oauth import AppCredentials
from ingest.rights.youtube import YouTubeRights, youtube_rights
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver
from tests.ingest.fake_youtube import BASE_URL, make_video
from tests.ingest.fake_youtube_replies import (
    BRAND_CHANNEL_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    CREATOR_CHANNEL_ID,
    REFRESH_TOKEN,
    TOKEN_URL,
    FakeYouTubeReplies,
)
from tests.ingest.ingest_fakes import FakeClock
from tests.ingest.rights_checks import check_reply_emitted_once, fake_wiring, watch
from tests.ingest.rights_harness import command

TEXT = "May we share your video? Reply #YesBrewNorth & we credit you (request 1)"


@pytest.fixture
def fake(clock: FakeClock) -> FakeYouTubeReplies:
    return FakeYouTubeReplies(now=clock.now)


def _rights(
    fake: FakeYouTubeReplies, clock: FakeClock, *, refresh_token: str = REFRESH_TOKEN
) -> YouTubeRights:
    return youtube_rights(
        base_url=BASE_URL,
        token_url=TOKEN_URL,
        app=AppCredentials(CLIENT_ID, CLIENT_SECRET, refresh_token),
        wiring=fake_wiring(fake.client(), clock),
        account="youtube (brand-youtube)",
    )


def _send(fake: FakeYouTubeReplies, clock: FakeClock, video_id: str) -> RightsEvent:
    return _rights(fake, clock).send(command(native_id=video_id, network="youtube", text=TEXT))


# --- send ---------------------------------------------------------------------------------------


def test_a_command_posts_one_top_level_comment_as_the_brands_channel(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    event = _send(fake, clock, video)
    assert event.kind == RightsEventKind.SENT
    [insert] = fake.inserts
    assert insert.url.params["part"] == "snippet"
    assert json.loads(insert.content) == {
        "snippet": {"videoId": video, "topLevelComment": {"snippet": {"textOriginal": TEXT}}}
    }
    comment = fake.comments[str(event.reply_id)]
    assert comment["snippet"]["authorChannelId"]["value"] == BRAND_CHANNEL_ID
    assert "parentId" not in comment["snippet"]
    assert event.permalink == f"https://www.youtube.com/watch?v={video}&lc={event.reply_id}"
    [grant] = [r for r in fake.requests if str(r.url) == TOKEN_URL]
    assert {k: v[0] for k, v in parse_qs(grant.content.decode()).items()} == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert insert.headers["Authorization"] == f"Bearer {fake.granted[0]}"


def test_a_second_send_after_a_restart_posts_nothing_and_reports_the_same_comment(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    first = _send(fake, clock, video)
    for n in range(150):  # a busy video: ours is on the second page by now
        clock.advance(1)
        fake.thread(video, text=f"comment {n}")
    again = _send(fake, clock, video)  # a new worker: nothing in memory
    assert len(fake.inserts) == 1
    assert again.kind == RightsEventKind.SENT
    assert (again.reply_id, again.permalink) == (first.reply_id, first.permalink)


def test_the_brands_other_comments_and_others_quoting_the_text_are_not_ours(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    fake.thread(video, channel_id=BRAND_CHANNEL_ID, text="Love this one!")
    fake.thread(video, text=TEXT)
    event = _send(fake, clock, video)
    assert len(fake.inserts) == 1
    assert fake.comments[str(event.reply_id)]["snippet"]["authorChannelId"]["value"] == (
        BRAND_CHANNEL_ID
    )


def test_an_earlier_comment_is_found_spacing_and_case_aside(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    earlier = fake.thread(video, channel_id=BRAND_CHANNEL_ID, text=f"  {TEXT.upper()}\n")
    event = _send(fake, clock, video)
    assert fake.inserts == []
    assert event.reply_id == earlier["id"]


def test_a_deleted_video_is_reported_deleted_without_commenting(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    fake.delete_video(video)
    event = _send(fake, clock, video)
    assert event.kind == RightsEventKind.POST_DELETED
    assert event.reason is not None
    assert "videoNotFound" in event.reason
    assert fake.inserts == []


def test_disabled_comments_fail_with_youtubes_message(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    fake.disable_comments(video)
    event = _send(fake, clock, video)
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "disabled comments" in event.reason
    assert "<code>" not in event.reason  # Google's HTML, read as text
    assert fake.inserts == []


def test_a_text_youtube_refuses_fails_with_its_message(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    cmd = command(native_id=video, network="youtube", text="x" * 10_001)
    event = _rights(fake, clock).send(cmd)
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "too long" in event.reason


@pytest.mark.parametrize("fault", ["rate_limit", "429"])
def test_a_rate_limited_send_is_retried_on_the_clock_then_succeeds(
    fake: FakeYouTubeReplies, clock: FakeClock, fault: str
) -> None:
    video = fake.creator_video()
    rights = _rights(fake, clock)
    rights.brand_channel_id()
    if fault == "rate_limit":
        fake.rate_limit_next()
    else:
        fake.too_many_next(retry_after_s=7)
    event = rights.send(command(native_id=video, network="youtube", text=TEXT))
    assert event.kind == RightsEventKind.SENT
    assert sum(clock.sleeps) >= (7 if fault == "429" else 0.5)
    assert len(fake.posted_at) == 1


def test_youtube_down_past_the_retries_raises_unavailable(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    rights = _rights(fake, clock)
    rights.brand_channel_id()
    fake.fail_next(503, times=5)
    with pytest.raises(Unavailable, match="503"):
        rights.send(command(native_id=video, network="youtube", text=TEXT))
    assert fake.inserts == []


def test_a_spent_quota_fails_the_send_at_once_for_a_person(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    rights = _rights(fake, clock)
    rights.brand_channel_id()
    fake.units_used = fake.daily_quota - 1  # the list fits, the insert does not
    event = rights.send(command(native_id=video, network="youtube", text=TEXT))
    assert event.kind is RightsEventKind.FAILED
    assert event.reason is not None
    assert "quota is spent until midnight Pacific" in event.reason
    assert fake.responses.count(403) == 1
    assert clock.sleeps == []
    assert fake.posted_at == []


# --- the token ----------------------------------------------------------------------------------


def test_the_access_token_is_kept_until_it_is_about_to_expire(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    rights = _rights(fake, clock)
    for _ in range(3):
        rights.send(command(native_id=fake.creator_video(), network="youtube", text=TEXT))
    assert len(fake.granted) == 1
    clock.advance(3599 - 30)
    rights.send(command(native_id=fake.creator_video(), network="youtube", text=TEXT))
    assert len(fake.granted) == 2


def test_a_revoked_token_is_replaced_once(fake: FakeYouTubeReplies, clock: FakeClock) -> None:
    video = fake.creator_video()
    rights = _rights(fake, clock)
    rights.brand_channel_id()
    fake.revoke_tokens()
    assert rights.send(command(native_id=video, network="youtube", text=TEXT)).kind == (
        RightsEventKind.SENT
    )
    assert len(fake.granted) == 2
    assert fake.responses.count(401) == 1


def test_a_refused_refresh_token_fails_with_googles_reason(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    event = _rights(fake, clock, refresh_token="revoked").send(
        command(native_id=video, network="youtube", text=TEXT)
    )
    assert event.kind == RightsEventKind.FAILED
    assert event.reason is not None
    assert "Token has been expired or revoked" in event.reason
    assert fake.inserts == []


# --- replies ------------------------------------------------------------------------------------


def test_replies_are_the_answers_to_our_comment_not_the_brands(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    ours = fake.thread(video, channel_id=BRAND_CHANNEL_ID, text=TEXT)["id"]
    other = fake.thread(video, channel_id="UCsomeone000000000000001")["id"]
    clock.advance(60)
    answer = fake.reply(ours, text="Sure & thanks! #YesBrewNorth")
    clock.advance(60)
    fake.reply(ours, channel_id=BRAND_CHANNEL_ID, text="Thanks!")
    fake.reply(other, text="#YesBrewNorth")  # under someone else's comment
    clock.advance(60)
    late = fake.reply(ours, channel_id="UClurker0000000000000001", text="me too")
    replies = _rights(fake, clock).replies(watch("youtube", video, ours))
    assert [r.id for r in replies] == [answer["id"], late["id"]]  # oldest first
    first = replies[0]
    assert (first.author_id, first.text) == (CREATOR_CHANNEL_ID, "Sure & thanks! #YesBrewNorth")
    assert first.created_at is not None
    assert first.url == f"https://www.youtube.com/watch?v={video}&lc={answer['id']}"
    # The same id as the listening connector stores for the video's author.
    listened = video_to_post(
        make_video(video_id=video, published_at=clock.now(), title="#brewnorth"),
        tag="brewnorth",
        collected_at=clock.now(),
    )
    assert listened is not None
    assert first.author_id == listened.author.id


def test_replies_of_a_deleted_comment_or_video_raise_post_gone(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    video = fake.creator_video()
    rights = _rights(fake, clock)
    ours = fake.thread(video, channel_id=BRAND_CHANNEL_ID, text=TEXT)["id"]
    fake.delete_comment(ours)
    with pytest.raises(PostGone, match="commentNotFound"):
        rights.replies(watch("youtube", video, ours))
    with pytest.raises(PostGone):
        rights.replies(watch("youtube", video, "Ugznever0000"))


def test_the_reply_watcher_emits_the_creators_reply_once(
    fake: FakeYouTubeReplies, clock: FakeClock, tmp_path: Path
) -> None:
    video = fake.creator_video()
    ours = fake.thread(video, channel_id=BRAND_CHANNEL_ID, text=TEXT)["id"]
    answer = fake.reply(ours)
    event = check_reply_emitted_once(
        _rights(fake, clock),
        native_id=video,
        sent_id=ours,
        clock=clock,
        tmp_path=tmp_path,
        reply_id=answer["id"],
        author_id=CREATOR_CHANNEL_ID,
    )
    assert event.permalink == f"https://www.youtube.com/watch?v={video}&lc={answer['id']}"


# --- settings -----------------------------------------------------------------------------------


def test_without_credentials_youtube_requests_stay_manual() -> None:
    assert youtube.from_settings(IngestSettings(), CredentialResolver(), Wiring()) is None


def test_a_missing_credential_is_named_with_where_to_put_it() -> None:
    settings = IngestSettings(rights_youtube_credentials="brand-youtube")
    resolver = CredentialResolver(environ={"UGC_CRED_BRAND_YOUTUBE_REFRESH_TOKEN": REFRESH_TOKEN})
    with pytest.raises(RightsConfigError, match="UGC_CRED_BRAND_YOUTUBE_CLIENT_ID") as error:
        youtube.from_settings(settings, resolver, Wiring())
    assert "client_secret" in str(error.value)
    assert "refresh_token" not in str(error.value)


def test_from_settings_sends_with_the_configured_channel(
    fake: FakeYouTubeReplies, clock: FakeClock
) -> None:
    settings = IngestSettings(rights_youtube_credentials="brand-youtube")
    resolver = CredentialResolver(
        environ={
            "UGC_CRED_BRAND_YOUTUBE_CLIENT_ID": CLIENT_ID,
            "UGC_CRED_BRAND_YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
            "UGC_CRED_BRAND_YOUTUBE_REFRESH_TOKEN": REFRESH_TOKEN,
        }
    )
    wiring = Wiring(client=fake.client(), now=clock.now, sleep=clock.sleep)
    rights = youtube.from_settings(settings, resolver, wiring)
    assert rights is not None
    assert rights.network == "youtube"
    assert "brand-youtube" in rights.account
    event = rights.send(command(native_id=fake.creator_video(), network="youtube", text=TEXT))
    assert event.kind == RightsEventKind.SENT
