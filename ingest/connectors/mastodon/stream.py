"""Mastodon's hashtag streaming API (server-sent events), with a REST catch-up on every connect.

``GET {streaming_url}/api/v1/streaming/hashtag?tag=foo`` (a user token is required since 4.2)
answers ``text/event-stream``: ``event: update`` + ``data: <Status JSON>`` for a new status,
``event: delete`` + ``data: <id>`` (ignored: the post was already produced), and heartbeat
comment lines starting with ``:``. One connection follows one hashtag, so a job opens one per
hashtag, each read by its own thread into one queue.

SSE cannot resume, so each connection first *catches up* through the REST tag timeline
(:class:`~ingest.connectors.mastodon.timeline.MastodonConnector`, ``min_id`` = the newest status
id seen on that hashtag) once every stream is open: what was posted while the job was away comes
from REST, what is posted from then on from the stream, and the overlap is deduplicated downstream
by ``post_id``. The position is a JSON object ``{hashtag: newest status id}``; a hashtag that
has none yet catches up from the newest id of the others.

No token, a refused token (401/403) or a stream that keeps dropping ends streaming with
:class:`~ingest.connectors.base.AuthFailed` / :class:`~ingest.connectors.base.Unavailable`: the
:class:`~ingest.connectors.stream_runner.StreamRunner` then hands the job to its ``fallback``, a
:class:`~ingest.connectors.runner.PollingRunner` over :attr:`MastodonStreamConnector.poller`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Unpack

import httpx

from contract import PoisonMessage, RawPost, normalize_hashtag
from ingest.connectors.base import (
    AuthFailed,
    ConfigError,
    ConnectorError,
    JobSpec,
    StreamEvent,
    Unavailable,
    position_object,
    position_text,
)
from ingest.connectors.from_job import Hooks, Wiring
from ingest.connectors.http import ApiClient, bearer, json_error_message
from ingest.connectors.mastodon.status import id_order, is_boost, status_to_post
from ingest.connectors.mastodon.timeline import (
    DEFAULT_BASE_URL,
    MastodonConnector,
    make_http_client,
)
from ingest.connectors.normalizing import followed_hashtags
from ingest.connectors.options import optional_credential, text_option, url_option
from ingest.connectors.sse import ServerSentEvent, SseParser
from listening.networks import MASTODON

log = logging.getLogger(__name__)

STREAM_PATH = "/api/v1/streaming/hashtag"
#: Longer than Mastodon's heartbeat interval: a silent minute means the connection is dead.
READ_TIMEOUT_S = 60.0
_CONNECTED = object()


class MastodonStreamConnector:
    """The hashtag streams of one instance for one job; build it with :meth:`from_job`."""

    network = MASTODON.name

    def __init__(
        self,
        hashtags: Sequence[str],
        *,
        api: ApiClient,
        poller: MastodonConnector,
        streaming_url: str,
        access_token: str | None,
        tick_s: float = 1.0,
    ) -> None:
        self.hashtags = followed_hashtags(self.network, hashtags)
        self.poller = poller
        self._api = api
        self._url = f"{streaming_url.rstrip('/')}{STREAM_PATH}"
        self._token = access_token
        self._tick_s = tick_s

    def __repr__(self) -> str:  # the token stays out of reprs
        return f"MastodonStreamConnector(url={self._url!r}, hashtags={self.hashtags!r})"

    @classmethod
    def from_job(
        cls, job: JobSpec, *, tick_s: float = 1.0, **hooks: Unpack[Hooks]
    ) -> MastodonStreamConnector:
        """The connector for ``job``: the polling connector's options and ``access_token``,
        plus ``streaming_url``. The poller shares the stream's HTTP client, which only the
        stream closes (and only if it made it)."""
        wiring = Wiring(**hooks)
        base_url = text_option(job, "base_url", DEFAULT_BASE_URL).rstrip("/")
        streaming_url = url_option(job, "streaming_url", base_url)
        api = wiring.api(MASTODON.name, lambda: make_http_client(base_url))
        poller = MastodonConnector.from_job(
            job, client=api.client, now=wiring.now, sleep=wiring.sleep, jitter=wiring.jitter
        )
        return cls(
            job.hashtags,
            api=api,
            poller=poller,
            streaming_url=streaming_url,
            access_token=optional_credential(job, "access_token"),
            tick_s=tick_s,
        )

    def stream(self, position: str | None, stop: threading.Event) -> Iterator[StreamEvent]:
        """Open every hashtag's stream, catch up through REST from ``position``, then yield what
        the streams push until ``stop`` is set; raise when a stream drops or is refused."""
        if self._token is None:
            raise AuthFailed(
                "mastodon: the streaming API needs a user access token (credential access_token)"
            )
        newest = _load(position)
        inbox: queue.Queue[Any] = queue.Queue()
        done = threading.Event()
        for tag in self.hashtags:
            name = f"mastodon-stream-{tag}"
            threading.Thread(
                target=self._read, args=(tag, inbox, done), name=name, daemon=True
            ).start()
        try:
            early = list(self._until_connected(inbox, stop))
            if newest:
                yield from self._catch_up(newest, stop)
            for tag, sse in early:
                yield self._event(tag, sse, newest)
            while not stop.is_set():
                try:
                    got = inbox.get(timeout=self._tick_s)
                except queue.Empty:
                    yield StreamEvent(item=None, position=None)
                    continue
                if isinstance(got, ConnectorError):
                    raise got
                tag, sse = got
                yield self._event(tag, sse, newest)
        finally:
            done.set()  # each reader lets go of its connection at its next line or heartbeat

    def normalize(self, item: Any, collected_at: datetime) -> RawPost | None:
        """The post of one status; ``None`` for a boost. The hashtag listed first is the first
        followed one the status carries (the stream it came from delivers only those)."""
        if isinstance(item, bytes):
            raise PoisonMessage("Mastodon update event whose data is not JSON")
        if is_boost(item):
            return None
        tags = item.get("tags") if isinstance(item, dict) else None
        names = (
            [t.get("name") for t in tags if isinstance(t, dict)] if isinstance(tags, list) else []
        )
        carried = {normalize_hashtag(n) for n in names if isinstance(n, str)}
        tag = next((t for t in self.hashtags if t in carried), self.hashtags[0])
        return status_to_post(item, tag=tag, collected_at=collected_at)

    def item_key(self, item: Any) -> str | None:
        """The status id."""
        return self.poller.item_key(item)

    def close(self) -> None:
        """Close the HTTP client if :meth:`from_job` made it; a client passed in stays open."""
        self._api.close()

    def _until_connected(
        self, inbox: queue.Queue[Any], stop: threading.Event
    ) -> Iterator[tuple[str, ServerSentEvent]]:
        """Wait until every stream is open (raising its refusal), passing on early events."""
        waiting = len(self.hashtags)
        while waiting and not stop.is_set():
            try:
                got = inbox.get(timeout=self._tick_s)
            except queue.Empty:
                continue
            if isinstance(got, ConnectorError):
                raise got
            if got is _CONNECTED:
                waiting -= 1
            else:
                yield got

    def _catch_up(self, newest: dict[str, str], stop: threading.Event) -> Iterator[StreamEvent]:
        """What each hashtag's REST timeline has after the newest id seen on it."""
        floor = max(newest.values(), key=id_order)
        for tag in self.hashtags:
            since = newest.get(tag, floor)
            while not stop.is_set():
                result = self.poller.fetch(tag, since)
                for status in result.items:
                    yield self._update(tag, status, newest)
                since = result.position or since
                if not result.more:
                    break

    def _event(self, tag: str, sse: ServerSentEvent, newest: dict[str, str]) -> StreamEvent:
        if sse.event != "update":
            return StreamEvent(item=None, position=None)  # delete, status.update, notification
        try:
            status = json.loads(sse.data)
        except ValueError:
            return StreamEvent(item=sse.data.encode("utf-8"), position=None)
        return self._update(tag, status, newest)

    def _update(self, tag: str, status: Any, newest: dict[str, str]) -> StreamEvent:
        native_id = self.poller.item_key(status)
        seen = newest.get(tag)
        if native_id is not None and (seen is None or id_order(native_id) > id_order(seen)):
            newest[tag] = native_id
        return StreamEvent(item=status, position=position_text(newest))

    def _read(self, tag: str, inbox: queue.Queue[Any], done: threading.Event) -> None:
        """One hashtag's stream into ``inbox``: events, then the error that ended it."""
        assert self._token is not None  # stream() starts no reader without one
        headers = {**bearer(self._token), "Accept": "text/event-stream"}
        timeout = httpx.Timeout(10.0, read=READ_TIMEOUT_S)
        try:
            with self._api.client.stream(
                "GET", self._url, params={"tag": tag}, headers=headers, timeout=timeout
            ) as response:
                if refusal := self._refusal(tag, response):
                    inbox.put(refusal)
                    return
                inbox.put(_CONNECTED)
                parser = SseParser()
                for line in response.iter_lines():
                    if done.is_set():
                        return
                    if (event := parser.feed(line)) is not None:
                        inbox.put((tag, event))
            problem = "the instance ended the stream"
        except httpx.HTTPError as exc:
            problem = f"network error: {exc!r}"
        except Exception as exc:  # a reader that dies silently would leave the job waiting
            log.exception("mastodon: #%s stream reader failed", tag)
            problem = f"reader failed: {exc!r}"
        if not done.is_set():
            inbox.put(Unavailable(f"mastodon: #{tag} stream at {self._host}: {problem}"))

    def _refusal(self, tag: str, response: httpx.Response) -> ConnectorError | None:
        status = response.status_code
        content_type = response.headers.get("Content-Type", "")
        if status == 200 and content_type.startswith("text/event-stream"):
            return None
        response.read()
        message = json_error_message(response) or response.reason_phrase
        where = f"mastodon at {self._host} answered {status} to the #{tag} stream: {message}"
        if status in (401, 403):
            # A redirect to another host (a separate streaming host) drops the token.
            moved = response.url.host != self._host
            hint = (
                f"set streaming_url to https://{response.url.host}"
                if moved
                else ("check the credential access_token")
            )
            return AuthFailed(f"{where}; {hint}", status=status)
        if status in (408, 429) or status >= 500:
            return Unavailable(where)
        hint = "check streaming_url" if status < 400 else "retrying will not help"
        return ConfigError(f"{where} ({content_type or 'no content type'}); {hint}")

    @property
    def _host(self) -> str:
        return httpx.URL(self._url).host


def _load(position: str | None) -> dict[str, str]:
    """``{hashtag: newest status id}`` from a saved position."""
    data = position_object(position)
    if data is not None:
        return {str(k): v for k, v in data.items() if isinstance(v, str) and v.isdigit()}
    if position:
        log.warning("mastodon: ignoring unreadable stream position %r", position)
    return {}
