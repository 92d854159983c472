"""Recorded pages of the open networks: Mastodon tag timelines, Bluesky search and Jetstream.

Each ``record_*`` function publishes ``posts`` items into a fake of ``tests/ingest`` (content from
:class:`~bench.ingest_corpus.Corpus`, envelopes as the fake documents them, with the fields real
answers carry beyond what the connector reads) in batches of ``batch``, polls after each batch
with the production connector and runner, and returns the exchanges
(:func:`bench.ingest_replay.record_polling`). The first poll of a hashtag is a backfill, so
``backfill_pages`` covers one batch; later polls go on from the saved position.

Jetstream needs no recording: its frames are built here directly, with ``noise`` frames that a
hashtag job lets pass (posts without the tag, deletes, identity and account events) after each
tagged post.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from bench.ingest_corpus import FOLLOWED, Corpus, Person, Text, digest
from bench.ingest_replay import (
    PollingRecording,
    StreamRecording,
    bench_job,
    publisher,
    record_polling,
    stream_job,
)
from tests.ingest import fake_bluesky, fake_mastodon
from tests.ingest.ingest_fakes import FakeClock


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- Mastodon ----------------------------------------------------------------------------------


def mastodon_content(text: Text) -> str:
    """``text`` as Mastodon renders it: hashtag and mention links, a shortened URL, entities."""
    body = text.body.replace("&", "&amp;")
    for tag in text.hashtags:
        link = (
            f'<a href="https://social.example/tags/{tag.lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{tag}</span></a>'
        )
        body = body.replace(f"#{tag}", link, 1)
    if text.mention:
        card = (
            f'<span class="h-card" translate="no"><a href="https://other.example/@{text.mention}"'
            f' class="u-url mention">@<span>{text.mention}</span></a></span>'
        )
        body = body.replace(f"@{text.mention}", card, 1)
    if text.link:
        shown = text.link.removeprefix("https://")
        anchor = (
            f'<a href="{text.link}" target="_blank" rel="nofollow noopener noreferrer" '
            f'translate="no"><span class="invisible">https://</span><span class="ellipsis">'
            f'{shown[:30]}</span><span class="invisible">{shown[30:]}</span></a>'
        )
        body = body.replace(text.link, anchor, 1)
    return f"<p>{body}</p>"


def record_mastodon(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    server = fake_mastodon.FakeMastodon(now=clock.now)

    def publish_one() -> None:
        text, person = corpus.text(), corpus.person()
        host = corpus.host(person)
        acct = person.handle if host == "social.example" else f"{person.handle}@{host}"
        status_id = server.next_id()
        media = [
            fake_mastodon.make_media(id=f"{status_id}{n}", description=alt or None)
            for n, alt in enumerate(corpus.images())
        ]
        status = fake_mastodon.make_status(
            id=status_id,
            tags=[t.lower() for t in text.hashtags],
            content=mastodon_content(text),
            created_at=clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            account_id=str(person.number),
            acct=acct,
            display_name=person.display_name,
            followers_count=person.followers,
            media=media,
            language=text.language,
        )
        status.update(
            replies_count=corpus.count(50),
            reblogs_count=corpus.count(),
            favourites_count=corpus.count(2000),
            edited_at=None,
            emojis=[],
            card=None,
            poll=None,
            application={"name": "Web", "website": None},
        )
        status["account"].update(
            locked=False,
            bot=False,
            discoverable=True,
            group=False,
            created_at="2022-11-04T00:00:00.000Z",
            note="<p>Runner, coffee person, opinions my own.</p>",
            avatar=f"https://files.social.example/accounts/avatars/{person.number}/original.png",
            avatar_static=f"https://files.social.example/accounts/avatars/{person.number}.png",
            header="https://files.social.example/headers/original/missing.png",
            header_static="https://files.social.example/headers/original/missing.png",
            following_count=corpus.count(900),
            statuses_count=corpus.count(20_000),
            last_status_at="2025-03-01",
            emojis=[],
            fields=[],
        )
        server.post(status=status)

    job = bench_job(
        "mastodon", {}, base_url=server.base_url, backfill_pages=math.ceil(batch / 40) + 1
    )
    publish = publisher(clock, publish_one)
    return record_polling("mastodon", job, server.handle, clock, publish, posts=posts, batch=batch)


# --- Bluesky search and Jetstream --------------------------------------------------------------


def bluesky_record(text: Text, corpus: Corpus, created_at: str) -> dict[str, Any]:
    """An ``app.bsky.feed.post`` with tag and link facets and, sometimes, pictures."""
    facets = [fake_bluesky.tag_facet(text.body, tag) for tag in text.hashtags]
    if text.link:
        facets.append(fake_bluesky.link_facet(text.body, text.link, text.link))
    images = corpus.images()
    embed = None
    if images:
        blobs = [(f"bafkreib{digest(text.body)}x{n}", alt) for n, alt in enumerate(images)]
        embed = fake_bluesky.images_embed(*blobs)
    return fake_bluesky.make_record(
        text.body, facets=facets, langs=(text.language,), embed=embed, created_at=created_at
    )


def _did(person: Person) -> str:
    return f"did:plc:bench{person.number:020d}"


def record_bluesky_search(corpus: Corpus, *, posts: int, batch: int) -> PollingRecording:
    clock = FakeClock()
    server = fake_bluesky.FakeBlueskyXrpc(now=clock.now)
    serial = 0

    def publish_one() -> None:
        nonlocal serial
        serial += 1
        text, person = corpus.text(), corpus.person()
        record = bluesky_record(text, corpus, _iso(clock.now()))
        images = record.get("embed", {}).get("images", [])
        view = fake_bluesky.make_post_view(
            did=_did(person),
            rkey=fake_bluesky.tid(serial),
            record=record,
            indexed_at=clock.now(),
            handle=f"{person.handle}.bsky.social",
            display_name=person.display_name,
            images=[(i["image"]["ref"]["$link"], i["alt"]) for i in images],
            counts=(corpus.count(50), corpus.count(), corpus.count(2000), corpus.count(20)),
        )
        server.posts.append(view)

    credentials = {"identifier": "brand.bsky.social", "app_password": "abcd-efgh-ijkl-mnop"}
    job = bench_job(
        "bluesky",
        credentials,
        base_url=server.base_url,
        backfill_pages=math.ceil(batch / 100) + 1,
    )
    publish = publisher(clock, publish_one)
    return record_polling(
        "bluesky search", job, server.handle, clock, publish, posts=posts, batch=batch
    )


def jetstream_frames(corpus: Corpus, *, posts: int, noise: int = 1) -> StreamRecording:
    """``posts`` tagged posts as Jetstream frames, each followed by ``noise`` other frames."""
    frames: list[str] = []
    time_us = fake_bluesky.START_US
    created_at = "2025-03-01T11:59:58.123Z"
    for serial in range(1, posts + 1):
        text, person = corpus.text(), corpus.person()
        record = bluesky_record(text, corpus, created_at)
        event = fake_bluesky.commit_event(_did(person), fake_bluesky.tid(serial), record)
        others = [_noise(corpus, serial * 1000 + n, created_at) for n in range(noise)]
        for frame in (event, *others):
            time_us += 1_000
            frames.append(json.dumps({**frame, "time_us": time_us}))
    return StreamRecording("bluesky jetstream", stream_job((FOLLOWED,)), frames, posts)


def _noise(corpus: Corpus, serial: int, created_at: str) -> dict[str, Any]:
    """A frame a hashtag job lets pass: a post without the tag, a delete, an identity change."""
    did = _did(corpus.person())
    kind = corpus.pick(("post", "post", "post", "delete", "identity", "account"))
    if kind == "identity":
        return fake_bluesky.identity_event(did)
    if kind == "account":
        return fake_bluesky.account_event(did)
    if kind == "delete":
        return fake_bluesky.commit_event(did, fake_bluesky.tid(serial), operation="delete")
    body = corpus.text().body.replace("#", "")
    record = fake_bluesky.make_record(body, created_at=created_at)
    return fake_bluesky.commit_event(did, fake_bluesky.tid(serial), record)
