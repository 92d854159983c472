"""Reading the replies to the requests the worker sent, on every network it sends on.

Each watched request (:mod:`~ingest.rights.watches`) is polled through its network's
:meth:`~ingest.rights.network.RightsNetwork.replies` (Mastodon's status context, Bluesky's
post thread, Reddit's comment tree...); a direct reply to our message that is not the brand's
own becomes a ``reply`` event, once: the reply ids emitted are recorded after the
broker acknowledged them (a crash in between emits them again: the curation side dedupes by
``reply_id``). The poll slows as the request ages (:func:`poll_interval`) and stops at the
brand's expiry, or when our message is deleted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from contract import RightsEvent, RightsEventKind, utcnow
from ingest.connectors.base import ConnectorError, JobStopped
from ingest.rights.events import EventSink
from ingest.rights.network import PostGone, Reply, RightsNetwork
from ingest.rights.watches import Watch, WatchStore

log = logging.getLogger(__name__)

FIRST_HOUR_S = 60.0
#: After the first hour (age below which, seconds between polls): creators answer soonest.
LATER = ((timedelta(days=1), 900.0),)
OLD_INTERVAL_S = 3600.0
IDLE_WAIT_S = 5.0


def poll_interval(age: timedelta, *, first_hour_s: float = FIRST_HOUR_S) -> timedelta:
    """Every ``first_hour_s`` (a minute) in the first hour, every 15 minutes in the first
    day, then hourly; never more often than ``first_hour_s``."""
    if age < timedelta(hours=1):
        return timedelta(seconds=first_hour_s)
    for below, seconds in LATER:
        if age < below:
            return timedelta(seconds=max(seconds, first_hour_s))
    return timedelta(seconds=max(OLD_INTERVAL_S, first_hour_s))


class ReplyWatcher:
    def __init__(
        self,
        *,
        store: WatchStore,
        networks: dict[str, RightsNetwork],
        events: EventSink,
        now: Callable[[], datetime] = utcnow,
        first_hour_s: float = FIRST_HOUR_S,
    ) -> None:
        self.store = store
        self.networks = networks
        self.events = events
        self.now = now
        self.first_hour_s = first_hour_s

    def poll_due(self) -> int:
        """Poll every due watch once; returns how many reply events were emitted."""
        emitted = 0
        for name, network in self.networks.items():
            for watch in self.store.due(self.now(), network=name):
                emitted += self._poll(network, watch)
        return emitted

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; a failed poll is logged and tried at the next round."""
        while not stop.is_set():
            try:
                self.poll_due()
            except JobStopped:
                return
            except Exception:
                log.exception("reading replies failed; trying again")
            dues = [self.store.next_due(network=name) for name in self.networks]
            wait = min(IDLE_WAIT_S, self.first_hour_s)
            for next_due in dues:
                if next_due is not None:
                    wait = min(wait, max(0.1, (next_due - self.now()).total_seconds()))
            stop.wait(wait)

    def _poll(self, network: RightsNetwork, watch: Watch) -> int:
        now = self.now()
        if now >= watch.watch_until:
            log.info("rights request %d: no longer watched (expired)", watch.request_id)
            self.store.drop(watch.request_id)
            return 0
        try:
            replies = network.replies(watch)
        except PostGone:
            log.info("rights request %d: our message is gone; not watched", watch.request_id)
            self.store.drop(watch.request_id)
            return 0
        except ConnectorError as exc:
            log.warning("rights request %d: replies not read (%s)", watch.request_id, exc)
            self.store.record(watch.request_id, new_reply_ids=[], next_poll_at=self._next(watch))
            return 0
        new = [reply for reply in replies if reply.id not in watch.seen_reply_ids]
        if new:
            self.events.publish([_reply_event(watch, reply, now) for reply in new])
        self.store.record(
            watch.request_id,
            new_reply_ids=[reply.id for reply in new],
            next_poll_at=self._next(watch),
        )
        return len(new)

    def _next(self, watch: Watch) -> datetime:
        now = self.now()
        return now + poll_interval(now - watch.sent_at, first_hour_s=self.first_hour_s)


def _reply_event(watch: Watch, reply: Reply, now: datetime) -> RightsEvent:
    return RightsEvent(
        kind=RightsEventKind.REPLY,
        post_id=watch.post_id,
        request_id=watch.request_id,
        reply_id=reply.id,
        author_id=reply.author_id,
        text=reply.text,
        permalink=reply.url,
        at=reply.created_at or now,
    )
