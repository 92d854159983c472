"""Bluesky's Jetstream firehose over a websocket: every new post on the network, filtered here.

Jetstream (``wss://jetstream2.us-east.bsky.network/subscribe``) streams every commit of the
collections asked for (``wantedCollections=app.bsky.feed.post``) as JSON text frames
``{"did", "time_us", "kind", "commit": {"operation", "collection", "rkey", "cid", "record"}}``.
It has no hashtag filter, so each post's tag facets and ``tags`` are matched against the job's
hashtags here; everything else (other kinds such as ``identity`` and ``account``, deletes and
updates, posts without a followed tag) only moves the cursor.

The position is the newest ``time_us`` (Unix microseconds) as a string. Jetstream replays from
``cursor`` for about 36 hours, so a reconnection or a restart asks for ``cursor`` = the saved
position minus ``rewind_s`` seconds: events near the cut may come twice (dropped downstream by
``post_id``), none is lost. A job stopped for longer than the replay window misses the rest:
search (:mod:`ingest.connectors.bluesky.search`) is the backfill for that.

Jetstream does not say an author's handle: the DID stands in for it (``author.id`` and
``author.handle`` are both the DID; the permalink uses the DID, which bsky.app resolves).
Jetstream carries no engagement counts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Unpack

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from contract import PoisonMessage, RawPost
from ingest.connectors.base import ConfigError, JobSpec, StreamEvent, Unavailable
from ingest.connectors.bluesky.post import POST_COLLECTION, PostRef, record_hashtags, to_post
from ingest.connectors.from_job import Hooks
from ingest.connectors.http import USER_AGENT
from ingest.connectors.normalizing import followed_hashtags
from ingest.connectors.options import url_option
from listening.networks import BLUESKY

log = logging.getLogger(__name__)

DEFAULT_JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network/subscribe"
DEFAULT_REWIND_S = 5.0

Connect = Callable[[str], ClientConnection]


class BlueskyStreamConnector:
    """Jetstream for one job's hashtags; build it with :meth:`from_job`."""

    network = BLUESKY.name

    def __init__(
        self,
        hashtags: Sequence[str],
        *,
        url: str = DEFAULT_JETSTREAM_URL,
        rewind_s: float = DEFAULT_REWIND_S,
        tick_s: float = 1.0,
        open_timeout_s: float = 10.0,
        connect: Connect | None = None,
    ) -> None:
        self.hashtags = followed_hashtags(self.network, hashtags)
        self.url = url
        self._rewind_us = int(rewind_s * 1_000_000)
        self._tick_s = tick_s
        self._open_timeout_s = open_timeout_s
        self._connect = connect or self._open

    def __repr__(self) -> str:
        return f"BlueskyStreamConnector(url={self.url!r}, hashtags={self.hashtags!r})"

    @classmethod
    def from_job(
        cls,
        job: JobSpec,
        *,
        connect: Connect | None = None,
        tick_s: float = 1.0,
        **_hooks: Unpack[Hooks],
    ) -> BlueskyStreamConnector:
        """The connector for ``job``: options ``jetstream_url`` and ``rewind_s``. The ``hooks``
        (HTTP client, clock) are accepted like every connector's and unused: the websocket is
        opened by ``connect`` (tests) or ``websockets``."""
        url = url_option(job, "jetstream_url", DEFAULT_JETSTREAM_URL, schemes=("ws", "wss"))
        try:
            rewind_s = float(job.options.get("rewind_s", DEFAULT_REWIND_S))
        except (TypeError, ValueError):
            raise ConfigError("bluesky: option rewind_s must be a number of seconds") from None
        return cls(
            job.hashtags, url=url, rewind_s=max(0.0, rewind_s), connect=connect, tick_s=tick_s
        )

    def subscribe_url(self, position: str | None) -> str:
        """The URL to subscribe with: posts only, replaying from just before ``position``."""
        params = {"wantedCollections": POST_COLLECTION}
        if position is not None:
            try:
                params["cursor"] = str(max(0, int(position) - self._rewind_us))
            except ValueError:
                log.warning("bluesky: ignoring unreadable Jetstream cursor %r", position)
        return str(httpx.URL(self.url).copy_merge_params(params))

    def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
        """Events from just before ``position`` (live when ``None``) until ``stop`` is set;
        :class:`Unavailable` when the connection cannot be opened or drops."""
        url = self.subscribe_url(position)
        host = httpx.URL(self.url).host
        try:
            connection = self._connect(url)
        except InvalidStatus as exc:
            status = exc.response.status_code
            message = f"bluesky: Jetstream at {host} refused the connection ({status})"
            if 400 <= status < 500 and status not in (408, 429):
                raise ConfigError(f"{message}; check jetstream_url") from None
            raise Unavailable(message) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise Unavailable(f"bluesky: cannot reach Jetstream at {host}: {exc!r}") from None
        log.info("bluesky: connected to Jetstream at %s (cursor %s)", host, position)
        with connection:
            while not stop.is_set():
                try:
                    frame = connection.recv(timeout=self._tick_s)
                except TimeoutError:
                    yield StreamEvent(item=None, position=None)
                    continue
                except ConnectionClosed as exc:
                    raise Unavailable(f"bluesky: Jetstream closed the connection ({exc})") from None
                yield self.event(frame)

    def event(self, frame: str | bytes) -> StreamEvent:
        """One frame as an event: the post to normalize if it carries a followed hashtag, and
        its ``time_us``. A frame that is not JSON is passed on as bytes, to be dead-lettered."""
        encoded = frame.encode("utf-8") if isinstance(frame, str) else frame
        try:
            event = json.loads(encoded)
        except ValueError:
            return StreamEvent(item=encoded, position=None)
        time_us = event.get("time_us") if isinstance(event, dict) else None
        position = (
            str(time_us) if isinstance(time_us, int) and not isinstance(time_us, bool) else None
        )
        return StreamEvent(item=self._wanted(event), position=position)

    def normalize(self, item: Any, collected_at: datetime) -> RawPost | None:
        """The post of a commit event (as :meth:`event` passed it on)."""
        if isinstance(item, bytes):
            raise PoisonMessage("Jetstream frame is not JSON")
        if not isinstance(item, dict):
            raise PoisonMessage(f"Jetstream event is a JSON {type(item).__name__}, not an object")
        did, commit = item.get("did"), item.get("commit")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise PoisonMessage(f"Jetstream event has no valid did: {did!r}")
        rkey = commit.get("rkey") if isinstance(commit, dict) else None
        if not isinstance(commit, dict) or not isinstance(rkey, str) or not rkey:
            raise PoisonMessage("Jetstream commit has no rkey")
        time_us = item.get("time_us")
        seen_at = (
            datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)
            if isinstance(time_us, int)
            else None
        )
        return to_post(
            commit.get("record"),
            PostRef(did, rkey),
            followed=self.hashtags,
            collected_at=collected_at,
            seen_at=seen_at,
        )

    def item_key(self, item: Any) -> str | None:
        """The post's AT URI, when the event says it."""
        if not isinstance(item, dict):
            return None
        did, commit = item.get("did"), item.get("commit")
        rkey = commit.get("rkey") if isinstance(commit, dict) else None
        return PostRef(did, rkey).uri if isinstance(did, str) and isinstance(rkey, str) else None

    def close(self) -> None:
        """Nothing to release: each :meth:`stream` closes its own connection."""

    def _wanted(self, event: Any) -> Any | None:
        """The event if it is a new post with a followed hashtag (or too broken to tell)."""
        if not isinstance(event, dict):
            return event
        if event.get("kind") != "commit":
            return None  # identity and account events
        commit = event.get("commit")
        if not isinstance(commit, dict):
            return event
        if commit.get("collection") != POST_COLLECTION or commit.get("operation") != "create":
            return None
        declared = record_hashtags(commit.get("record"))
        return event if any(tag in self.hashtags for tag in declared) else None

    def _open(self, url: str) -> ClientConnection:
        return connect(
            url,
            open_timeout=self._open_timeout_s,
            close_timeout=2.0,  # a stop should not wait long for Jetstream's goodbye
            user_agent_header=USER_AGENT,
        )
