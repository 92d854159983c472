"""The public feed's page cache across API worker processes (``ugc api --workers 2``) on the
real database: an approval and a revocation reach every worker's cached page within a second,
and a rights window's end takes its post off at that moment, on every worker."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from contract import utcnow
from curation_api.sink.repository import upsert_scored_posts
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from tests.conftest import wait_until
from tests.curation_api.curation_factories import scored_post
from ugc.broker import free_port
from ugc.console import Console
from ugc.processes import Child

KEY = "feed-workers-key"
STREAK = 20  # answers in a row, each on a new connection, so that both workers answer some


class Api:
    def __init__(self, base_url: str, database_url: str, tag: str) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.tag = tag
        self.client = httpx.Client(base_url=base_url, headers={"X-API-Key": KEY}, timeout=10)

    def shown(self) -> list[str]:
        """The feed's first page, on a new connection (whichever worker takes it)."""
        response = httpx.get(f"{self.base_url}/v1/feeds/wall/posts", timeout=10)
        assert response.status_code == 200, response.text
        return [item["post_id"] for item in response.json()["items"]]

    def store(self) -> str:
        post = scored_post(hashtags=[self.tag])
        engine = create_db_engine(self.database_url)
        with create_session_factory(engine).begin() as session:
            upsert_scored_posts(session, [post])
        engine.dispose()
        return post.post_id

    def publish(self, post_id: str, **rights: str) -> None:
        self.client.post(f"/v1/posts/{post_id}/approve").raise_for_status()
        self.rights(post_id, decision="granted", **rights)

    def rights(self, post_id: str, **body: str) -> None:
        decision = {"method": "manual", "brand": "wallbrand", "note": "by e-mail"} | body
        self.client.post(f"/v1/posts/{post_id}/rights", json=decision).raise_for_status()


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "UGC_DATABASE_URL": database_url,
        "UGC_MODERATOR_API_KEY": KEY,
        "UGC_FEED_CACHE_POLL_S": "0.1",
    }
    log_file = (tmp_path / "children.log").open("w", encoding="utf-8")
    args = ["api", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    child = Child("api", args, env, tmp_path, Console(log_file))
    child.start()
    api = Api(f"http://127.0.0.1:{port}", database_url, f"wall{uuid.uuid4().hex[:8]}")
    try:
        wait_until(lambda: _healthy(api.base_url), timeout=60, message="the API workers")
        brand = {"name": "Wall", "hashtags": [api.tag], "approval_hashtag": "#YesWall"}
        api.client.put("/v1/brands/wallbrand", json=brand).raise_for_status()
        terms = {"text": "You allow us to show your post on our website."}
        api.client.post("/v1/brands/wallbrand/terms", json=terms).raise_for_status()
        feed = {"title": "Wall", "hashtags": [api.tag]}
        api.client.put("/v1/feeds/wall", json=feed).raise_for_status()
        yield api
    finally:
        api.client.close()
        child.stop()
        log_file.close()
        if child.exited() not in (0, None):
            print((tmp_path / "children.log").read_text()[-20000:])


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def seconds_until_every_worker_shows(api: Api, wanted: Callable[[list[str]], bool]) -> float:
    """From now until the first of ``STREAK`` answers in a row that all satisfy ``wanted``."""
    changed = time.monotonic()
    streak_started: float | None = None
    streak = 0

    def settled() -> bool:
        nonlocal streak, streak_started
        asked = time.monotonic()
        if wanted(api.shown()):
            streak_started = asked if streak == 0 else streak_started
            streak += 1
        else:
            streak = 0
        return streak >= STREAK

    wait_until(settled, timeout=30, interval=0.0, message="every worker to show the change")
    assert streak_started is not None
    return streak_started - changed


def test_an_approval_and_a_revocation_reach_every_worker_within_a_second(api: Api) -> None:
    first, second = api.store(), api.store()
    api.publish(first)
    seconds_until_every_worker_shows(api, lambda shown: shown == [first])  # both caches hold it

    api.publish(second)
    approved = seconds_until_every_worker_shows(api, lambda shown: second in shown)
    api.rights(first, decision="revoked")
    revoked = seconds_until_every_worker_shows(api, lambda shown: shown == [second])

    print(f"\nevery worker: approval shown after {approved:.2f} s, revocation {revoked:.2f} s")
    assert approved <= 1.0
    assert revoked <= 1.0


def test_a_rights_window_end_takes_the_post_off_at_that_moment_on_every_worker(
    api: Api,
) -> None:
    post_id = api.store()
    ends_at = utcnow() + timedelta(seconds=3)
    api.publish(post_id, ends_at=ends_at.isoformat())
    before = after = 0
    while utcnow() < ends_at + timedelta(seconds=2):
        asked = utcnow()
        shown = api.shown()
        if asked >= ends_at:
            assert post_id not in shown, f"shown {asked - ends_at} after the window's end"
            after += 1
        elif asked < ends_at - timedelta(seconds=0.5):
            assert shown == [post_id]
            before += 1
    # Enough answers on each side to have met both workers (a loaded machine answers slowly).
    assert before >= 5
    assert after >= 5
