"""Rights end to end on real components: the API, ``ugc rights worker`` and
``ugc ingest rights`` as processes, a fresh embedded broker, PostgreSQL, and the fake Mastodon
served over HTTP.

A moderator requests rights; the network gets exactly one reply even though the ingest worker
is killed (SIGKILL) after the network made the status and before the worker reported it; a
reply carrying the approval hashtag from another account changes nothing; the author's reply
grants the rights and puts the post in its feed (the time it takes is printed); the author's
withdrawal takes it out again.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import utcnow
from contract.settings import KafkaSettings
from contract.topics import create_topics
from curation_api.sink.repository import upsert_scored_posts
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from tests.conftest import wait_until
from tests.curation_api.curation_factories import scored_post
from tests.ingest.fake_mastodon_replies import (
    BRAND_ACCOUNT_ID,
    CREATOR_ACCOUNT_ID,
    TOKEN,
    FakeMastodonReplies,
)
from tests.ingest.served_fake import ServedFake
from ugc.broker import EmbeddedBroker, free_port
from ugc.console import Console
from ugc.processes import Child

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

API_KEY = "e2e-rights-key"
APPROVAL = "#YesBrewNorth"


@dataclass
class Rig:
    api: httpx.Client
    fake: FakeMastodonReplies
    served: ServedFake
    rights: Child
    ingest_rights: Child
    post_id: str
    native_id: str
    feed: str


@pytest.fixture
def rig(tmp_path: Path, database_url: str) -> Iterator[Rig]:
    fake = FakeMastodonReplies(now=utcnow)
    creator_post = fake.creator_post(account_id=CREATOR_ACCOUNT_ID)
    with EmbeddedBroker(log_path=tmp_path / "tansu.log") as broker, ServedFake(fake) as served:
        create_topics(KafkaSettings(kafka_bootstrap_servers=broker.bootstrap_servers))
        upgrade(database_url)
        tag = f"brew{uuid.uuid4().hex[:8]}"
        post_id = _store_post(database_url, creator_post["id"], tag)
        port = free_port()
        env = _env(broker.bootstrap_servers, database_url, port, served.url)
        log_file = (tmp_path / "children.log").open("w", encoding="utf-8")
        console = Console(log_file)
        children = [
            Child(
                "api", ["api", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, console
            ),
            Child("rights", ["rights", "worker"], env, tmp_path, console),
            Child("ingest-rights", ["ingest", "rights"], env, tmp_path, console),
        ]
        for child in children:
            child.start()
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": API_KEY}, timeout=10
        )
        try:
            wait_until(lambda: _healthy(api), timeout=60, message="the API to answer /healthz")
            yield Rig(api, fake, served, children[1], children[2], post_id, creator_post["id"], tag)
        finally:
            served.release()
            for child in reversed(children):
                child.stop()
            api.close()
            log_file.close()
            if any(child.exited() not in (0, None) for child in children):
                print((tmp_path / "children.log").read_text()[-20000:])


def _env(bootstrap: str, database_url: str, port: int, mastodon_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "UGC_DATABASE_URL": database_url,
        "UGC_MODERATOR_API_KEY": API_KEY,
        "UGC_RIGHTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "UGC_RIGHTS_SESSION_TIMEOUT_MS": "6000",
        "UGC_RIGHTS_HEARTBEAT_INTERVAL_MS": "1000",
        "UGC_RIGHTS_OUTBOX_INTERVAL_S": "0.2",
        "UGC_RIGHTS_POLL_TIMEOUT_MS": "200",
        "UGC_INGEST_RIGHTS_SESSION_TIMEOUT_MS": "6000",
        "UGC_RIGHTS_MASTODON_BASE_URL": mastodon_url,
        "UGC_RIGHTS_MASTODON_CREDENTIALS": "brand",
        "UGC_CRED_BRAND_ACCESS_TOKEN": TOKEN,
        "UGC_RIGHTS_REPLY_POLL_S": "0.5",
    }


def _store_post(database_url: str, native_id: str, tag: str) -> str:
    """The creator's status as the sink stores it, scored, authored by the creator's id."""
    post = scored_post(native_id=native_id, hashtags=[tag], text=f"My morning brew #{tag}")
    post = post.model_copy(
        update={"author": post.author.model_copy(update={"id": CREATOR_ACCOUNT_ID})}
    )
    engine = create_db_engine(database_url)
    with create_session_factory(engine).begin() as session:
        upsert_scored_posts(session, [post])
    engine.dispose()
    return post.post_id


def _healthy(api: httpx.Client) -> bool:
    try:
        return api.get("/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _rights(rig: Rig) -> dict[str, Any]:
    body: dict[str, Any] = rig.api.get(f"/v1/posts/{rig.post_id}/rights").json()
    return body


def _in_feed(rig: Rig) -> bool:
    items = rig.api.get(f"/v1/feeds/{rig.feed}/posts").json()["items"]
    return [item["post_id"] for item in items] == [rig.post_id]


def _brand_statuses(fake: FakeMastodonReplies) -> list[dict[str, Any]]:
    with_brand = [s for s in fake.statuses.values() if s["account"]["id"] == BRAND_ACCOUNT_ID]
    return sorted(with_brand, key=lambda s: int(s["id"]))


def _creator_reply(rig: Rig, to: str, html: str, *, account_id: str = CREATOR_ACCOUNT_ID) -> None:
    with rig.served.lock:
        rig.fake.reply(to, account_id=account_id, html=html)


def _set_up_brand_and_feed(rig: Rig) -> None:
    brand = {
        "name": "BrewNorth",
        "hashtags": [rig.feed],
        "approval_hashtag": APPROVAL,
        "accounts": {"mastodon": "brewnorth"},
    }
    assert rig.api.put(f"/v1/brands/{rig.feed}", json=brand).is_success
    assert rig.api.post(f"/v1/brands/{rig.feed}/terms", json={"text": "You allow us."}).is_success
    thank_you = {"text": "Thank you {handle}! Your photo will appear on our site."}
    assert rig.api.put(f"/v1/brands/{rig.feed}/templates/thank_you", json=thank_you).is_success
    feed = {"title": "BrewNorth", "hashtags": [rig.feed]}
    assert rig.api.put(f"/v1/feeds/{rig.feed}", json=feed).is_success
    assert rig.api.post(f"/v1/posts/{rig.post_id}/approve").is_success
    assert not _in_feed(rig)  # approved is not enough


def test_request_consent_feed_and_revocation_across_both_workers(rig: Rig) -> None:
    _set_up_brand_and_feed(rig)
    rig.served.hold(lambda r: r.method == "POST" and r.url.path == "/api/v1/statuses")
    requested = rig.api.post(f"/v1/posts/{rig.post_id}/rights/request")
    assert requested.is_success, requested.text

    # The network made the status; the worker dies before it hears so, and never reports it.
    wait_until(rig.served.held.is_set, timeout=90, message="the request reaching Mastodon")
    rig.ingest_rights.kill()
    rig.served.release()
    [request_status] = _brand_statuses(rig.fake)
    assert _rights(rig)["state"] == "queued"
    with rig.served.lock:
        rig.fake.idempotency.clear()  # more than an hour later: Mastodon forgot the key
    rig.ingest_rights.restart()

    wait_until(
        lambda: _rights(rig)["state"] == "awaiting_reply",
        timeout=90,
        message="the request reported sent by the restarted worker",
    )
    assert _brand_statuses(rig.fake) == [request_status]
    assert request_status["in_reply_to_id"] == rig.native_id

    # Someone else answers with the hashtag: a note, no grant.
    _creator_reply(rig, request_status["id"], f"<p>{APPROVAL} sure</p>", account_id="4242")
    wait_until(
        lambda: any("not_author" in (t["note"] or "") for t in _rights(rig)["transitions"]),
        timeout=60,
        message="the other account's reply read and set aside",
    )
    assert _rights(rig)["state"] == "awaiting_reply"
    assert not _in_feed(rig)

    # The author says yes: granted, in the feed; the time it takes is the figure we report.
    started = time.monotonic()
    _creator_reply(rig, request_status["id"], f"<p>Yes, happy to! {APPROVAL}</p>")
    wait_until(lambda: _in_feed(rig), timeout=60, message="the granted post in its feed")
    elapsed = time.monotonic() - started
    print(f"\nreply to feed: {elapsed:.2f} s (reply polling every 0.5 s)")
    assert _rights(rig)["state"] == "granted"
    proof = rig.api.get(f"/v1/posts/{rig.post_id}/rights/proof").json()
    assert proof["record"]["consent"]["reply"]["author_id"] == CREATOR_ACCOUNT_ID
    wait_until(
        lambda: len(_brand_statuses(rig.fake)) == 2, timeout=60, message="the thank-you reply"
    )
    thank_you = _brand_statuses(rig.fake)[1]
    assert thank_you["in_reply_to_id"] == rig.native_id

    # The author withdraws: out of the feed at once (within the API's poll of the feeds'
    # versions, UGC_FEED_CACHE_POLL_S: its cached page goes); the proof keeps the history.
    _creator_reply(rig, request_status["id"], "<p>I withdraw my permission, remove it</p>")
    wait_until(lambda: _rights(rig)["state"] == "revoked", timeout=60, message="the revocation")
    wait_until(lambda: not _in_feed(rig), timeout=1.0, message="the post gone from the feed")
    assert len(_brand_statuses(rig.fake)) == 2  # one request, one thank-you: nothing twice

    # A stop request (SIGTERM, as ugc up and compose send) drains and exits 0.
    for child in (rig.ingest_rights, rig.rights):
        child.stop(timeout=30)
        assert child.exited() == 0, f"{child.name} exited {child.exited()}"
        assert "rights worker stopped" in child.log_path.read_text()
