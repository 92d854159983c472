"""Recorded pages of the platform APIs: X recent search, Reddit search, Instagram hashtag
search and YouTube ``search.list``.

Built like :mod:`bench.ingest_open_pages`: posts published into the fakes of ``tests/ingest`` in
batches, a poll by the production connector after each, every exchange kept. Options that cap a
poll are raised where one batch would not fit (``backfill_pages``; Instagram's ``max_pages``,
because its edges have no "since" and every poll reads the whole 24 h window; YouTube's daily
quota), never the page sizes the APIs document.
"""

from __future__ import annotations

import math
from typing import Any

from bench.ingest_corpus import Corpus, digest
from bench.ingest_replay import PollingRecording, bench_job, publisher, record_polling
from tests.ingest import fake_instagram, fake_reddit, fake_x, fake_youtube
from tests.ingest.ingest_fakes import FakeClock

# --- X -----------------------------------------------------------------------------------------


def record_x(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    server = fake_x.FakeX(now=clock.now)

    def publish_one() -> None:
        text, person = corpus.text(), corpus.person()
        user = fake_x.make_user(
            id=str(10**9 + person.number),
            username=person.handle,
            name=person.display_name,
            followers=person.followers,
        )
        key_base = len(server.tweets) * 10
        media = [
            fake_x.make_media(
                key=f"3_{key_base + n}",
                type="photo" if n or corpus.chance(0.8) else "video",
                alt_text=alt or None,
            )
            for n, alt in enumerate(corpus.images())
        ]
        metrics = {
            "retweet_count": corpus.count(),
            "reply_count": corpus.count(50),
            "like_count": corpus.count(5000),
            "quote_count": corpus.count(20),
            "bookmark_count": corpus.count(20),
            "impression_count": corpus.count(100_000),
        }
        # X escapes "&", "<" and ">" in tweet text.
        server.post(
            tags=text.hashtags,
            text=text.body.replace("&", "&amp;"),
            user=user,
            media=media,
            lang=text.language,
            metrics=metrics,
        )

    token = server.bearer_token
    job = bench_job("x", {"bearer_token": token}, backfill_pages=math.ceil(batch / 100) + 1)
    publish = publisher(clock, publish_one)
    return record_polling("x", job, server.handle, clock, publish, posts=posts, batch=batch)


# --- Reddit ------------------------------------------------------------------------------------

_SUBREDDITS = ("running", "Sneakers", "malefashionadvice", "trailrunning", "BuyItForLife")


def _reddit_extras(corpus: Corpus, subreddit: str, image: str | None) -> dict[str, Any]:
    """Fields a real listing child carries that the connector does not read."""
    extras: dict[str, Any] = {
        "subreddit_id": f"t5_{digest(subreddit) % 10**6:x}",
        "subreddit_type": "public",
        "subreddit_subscribers": 1_250_000,
        "upvote_ratio": 0.97,
        "total_awards_received": 0,
        "gilded": 0,
        "all_awardings": [],
        "awarders": [],
        "link_flair_text": corpus.pick(("Review", "Question", "Pickup", "Discussion")),
        "link_flair_richtext": [],
        "author_flair_text": None,
        "author_flair_richtext": [],
        "author_premium": False,
        "domain": "i.redd.it" if image else f"self.{subreddit}",
        "thumbnail": image or "self",
        "thumbnail_height": 140 if image else None,
        "thumbnail_width": 140 if image else None,
        "edited": False,
        "stickied": False,
        "locked": False,
        "spoiler": False,
        "archived": False,
        "is_original_content": False,
        "is_crosspostable": True,
        "is_meta": False,
        "media_only": False,
        "contest_mode": False,
        "send_replies": True,
        "whitelist_status": "all_ads",
        "mod_reports": [],
        "user_reports": [],
        "num_reports": None,
        "view_count": None,
        "visited": False,
        "saved": False,
        "hidden": False,
        "clicked": False,
        "selftext_html": None,
    }
    if image:
        resolutions = [
            {"url": f"https://preview.redd.it/{image[18:30]}.jpg?width={w}&auto=webp", "width": w}
            for w in (108, 216, 320, 640)
        ]
        source = {"url": f"https://preview.redd.it/{image[18:30]}.jpg?auto=webp&s=abc123"}
        extras["preview"] = {
            "images": [{"source": source, "resolutions": resolutions, "id": image[18:30]}],
            "enabled": True,
        }
    return extras


def record_reddit(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    server = fake_reddit.FakeReddit(now=clock.now)

    def publish_one() -> None:
        text, person = corpus.text(), corpus.person()
        title, _, rest = text.body.partition(". ")
        image = None
        if corpus.images():
            image = f"https://i.redd.it/{digest(text.body):012x}.jpeg"
        subreddit = corpus.pick(_SUBREDDITS)
        server.post(
            title=title[:300],
            selftext=rest,
            author=person.handle,
            subreddit=subreddit,
            score=corpus.count(3000),
            ups=corpus.count(3000),
            num_comments=corpus.count(300),
            url=image or f"https://www.reddit.com/r/{subreddit}/",
            is_self=image is None,
            **_reddit_extras(corpus, subreddit, image),
        )

    job = bench_job(
        "reddit", {"access_token": "reddit-test-token"}, backfill_pages=math.ceil(batch / 100) + 1
    )
    publish = publisher(clock, publish_one)
    return record_polling("reddit", job, server.handle, clock, publish, posts=posts, batch=batch)


# --- Instagram and YouTube ---------------------------------------------------------------------


def record_instagram(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    server = fake_instagram.FakeInstagram(now=clock.now)

    serial = 0

    def publish_one() -> None:
        nonlocal serial
        serial += 1
        text = corpus.text()
        images = corpus.images()
        fields: dict[str, Any] = {}
        if len(images) > 1:
            cdn = "https://scontent.cdninstagram.com/v"
            children = [("IMAGE", f"{cdn}/c{serial}x{n}.jpg") for n in range(len(images))]
            fields = {"media_type": "CAROUSEL_ALBUM", "children": children}
        elif corpus.chance(0.3):
            fields = {"media_type": "VIDEO"}
        server.post(
            caption=text.body,
            like_count=None if corpus.chance(0.1) else corpus.count(5000),
            comments_count=corpus.count(200),
            **fields,
        )

    credentials = {"access_token": fake_instagram.TOKEN}
    # The edges have no "since": every poll reads the whole 24 h window, which must fit.
    job = bench_job(
        "instagram",
        credentials,
        ig_user_id=fake_instagram.IG_USER_ID,
        max_pages=math.ceil(posts / 50) + 1,
        state_dir="",
    )
    publish = publisher(clock, publish_one)
    return record_polling("instagram", job, server.handle, clock, publish, posts=posts, batch=batch)


def record_youtube(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    quota = 100 * (posts + 1000)
    server = fake_youtube.FakeYouTube(now=clock.now, daily_quota=quota)

    def publish_one() -> None:
        text, person = corpus.text(), corpus.person()
        title, _, rest = text.body.partition(". ")
        server.publish(
            # YouTube sends titles with HTML entities.
            title=title[:100].replace("&", "&amp;").replace("'", "&#39;"),
            description=rest or text.body,
            channel_id=f"UC{person.number:022d}",
            channel_title=person.display_name,
        )

    job = bench_job(
        "youtube",
        {"api_key": fake_youtube.API_KEY},
        backfill_pages=math.ceil(batch / 50) + 1,
        daily_quota=quota,
        state_dir="",
    )
    publish = publisher(clock, publish_one)
    return record_polling("youtube", job, server.handle, clock, publish, posts=posts, batch=batch)
