"""A fake network for the listening-jobs tests, registered in the connector registry.

Its modes, options and credential names are ``tests/listening/fake_network.py``'s; this module
holds its connectors and :data:`FAKE_SPEC`, the spec a real network's package would export. Each
job names its feed with the ``feed`` option; a test publishes posts into :data:`FEEDS` and
decides which tokens the network accepts.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

from contract import RawPost
from ingest.connectors import registry
from ingest.connectors.base import AuthFailed, Budget, FetchResult, JobSpec, StreamEvent
from ingest.connectors.from_job import Hooks
from ingest.connectors.spec import ConnectorSpec
from tests.listening.fake_network import FAKENET

VALID_TOKEN = "fakenet-valid-token-3f9a"
REFUSAL = "fakenet: The access token is invalid (401)"


@dataclass
class FakeFeed:
    """What the fake network holds for one test: posts per hashtag, accepted tokens, faults."""

    name: str
    posts: dict[str, list[int]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=lambda: {VALID_TOKEN})
    fail_on_build: Exception | None = None
    budget_remaining: float | None = None
    fetches: list[tuple[str, str | None]] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)
    options_seen: list[dict[str, Any]] = field(default_factory=list)
    closed: int = 0
    _next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, tag: str, count: int = 1) -> list[str]:
        """New posts about ``tag``; their post ids."""
        with self.lock:
            ids = list(range(self._next_id, self._next_id + count))
            self._next_id += count
            self.posts.setdefault(tag, []).extend(ids)
        return [f"mastodon:{self.name}-{n}" for n in ids]

    def fetch_count(self, tag: str | None = None) -> int:
        with self.lock:
            return sum(1 for t, _ in self.fetches if tag is None or t == tag)


FEEDS: dict[str, FakeFeed] = {}


def new_feed(**kwargs: Any) -> FakeFeed:
    name = f"feed{uuid.uuid4().hex[:8]}"
    FEEDS[name] = FakeFeed(name, **kwargs)
    return FEEDS[name]


class FakenetConnector:
    network = "mastodon"  # its posts stand in for a real network's on the raw topic

    def __init__(self, feed: FakeFeed, token: str) -> None:
        self.feed = feed
        self._token = token

    def __repr__(self) -> str:
        return f"FakenetConnector(feed={self.feed.name!r})"

    @classmethod
    def from_job(cls, job: JobSpec, **_hooks: Unpack[Hooks]) -> FakenetConnector:
        name = str(job.options["feed"])
        feed = FEEDS.get(name)
        if feed is None:  # a subprocess: the feed is made here, with `preload` posts per tag
            feed = FEEDS[name] = FakeFeed(name)
            for tag in job.hashtags:
                feed.publish(tag, int(job.options.get("preload", 0)))
        feed.options_seen.append(dict(job.options))
        if feed.fail_on_build is not None:
            raise feed.fail_on_build
        return cls(feed, job.credentials["token"])

    def fetch(self, tag: str, position: str | None) -> FetchResult:
        feed = self.feed
        with feed.lock:
            feed.fetches.append((tag, position))
            feed.tokens_seen.append(self._token)
            if self._token not in feed.valid_tokens:
                raise AuthFailed(REFUSAL, status=401)
            after = int(position) if position is not None else 0
            new = [n for n in feed.posts.get(tag, []) if n > after]
        items = [{"id": n, "tag": tag} for n in new]
        return FetchResult(items=items, position=str(max(new)) if new else position)

    def normalize(self, item: Any, _tag: str, collected_at: datetime) -> RawPost | None:
        return RawPost(
            platform="mastodon",
            native_id=f"{self.feed.name}-{item['id']}",
            post_id=f"mastodon:{self.feed.name}-{item['id']}",
            hashtags=[item["tag"]],
            text=f"post {item['id']} #{item['tag']}",
            author={"id": "1", "handle": "fake@example.social"},
            created_at=collected_at,
            collected_at=collected_at,
        )

    def item_key(self, item: Any) -> str | None:
        return str(item.get("id")) if isinstance(item, dict) else None

    def budget(self) -> Budget | None:
        remaining = self.feed.budget_remaining
        return None if remaining is None else Budget(remaining=remaining, limit=100, unit="units")

    def close(self) -> None:
        with self.feed.lock:
            self.feed.closed += 1


class FakenetStreamConnector:
    """The same feed pushed as a stream: every post of the job's hashtags after the position,
    then a tick every few milliseconds until stopped."""

    network = "mastodon"

    def __init__(self, feed: FakeFeed, hashtags: tuple[str, ...]) -> None:
        self.feed = feed
        self.hashtags = hashtags
        self._poller = FakenetConnector(feed, VALID_TOKEN)

    @classmethod
    def from_job(cls, job: JobSpec, **_hooks: Unpack[Hooks]) -> FakenetStreamConnector:
        feed = FEEDS[str(job.options["feed"])]
        feed.options_seen.append(dict(job.options))
        return cls(feed, job.hashtags)

    def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
        after = int(position) if position is not None else 0
        while not stop.is_set():
            with self.feed.lock:
                new = sorted(
                    (n, tag)
                    for tag in self.hashtags
                    for n in self.feed.posts.get(tag, [])
                    if n > after
                )
            for n, tag in new:
                yield StreamEvent({"id": n, "tag": tag}, str(n))
                after = n
            stop.wait(0.02)
            yield StreamEvent(None, None)

    def normalize(self, item: Any, collected_at: datetime) -> RawPost | None:
        return self._poller.normalize(item, item["tag"], collected_at)

    def item_key(self, item: Any) -> str | None:
        return self._poller.item_key(item)

    def close(self) -> None:
        self._poller.close()


FAKE_SPEC = ConnectorSpec(FAKENET, polling=FakenetConnector, streaming=FakenetStreamConnector)


@contextmanager
def fake_network() -> Iterator[ConnectorSpec]:
    """The fake network registered in the connector registry for the duration."""
    with registry.register(FAKE_SPEC) as spec:
        yield spec


def migrated_sqlite_url(directory: Path) -> str:
    """A new SQLite database with every migration applied."""
    from database.migrate import upgrade

    url = f"sqlite:///{directory / 'jobs.db'}"
    upgrade(url)
    return url


def jobs_database(request: Any, tmp_path: Path) -> str:
    """A migrated database of the test's own: SQLite, or a fresh PostgreSQL database.

    ``request.param`` is ``"sqlite"`` or ``"postgresql"`` (a parametrized fixture's request).
    Of its own because the worker's threads commit for real: no rolled-back transaction here.
    """
    if request.param == "sqlite":
        return migrated_sqlite_url(tmp_path)
    from database.migrate import upgrade

    url = str(request.getfixturevalue("postgres_databases")())
    upgrade(url)
    return url
