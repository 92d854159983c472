"""Instagram's hashtag budget: 30 unique hashtags per account in any rolling 7 days.

The Graph API counts a hashtag from the first time an account queries it; querying it again
within 7 days is free and does not restart its timer. Past the 30th, hashtag search fails for
the rest of the week, so the connector refuses a 31st hashtag itself, *before* calling the API,
with a message that says when a slot frees up.

The ledger is deliberately conservative: every poll of a hashtag counts as a query (a followed
hashtag keeps its slot for as long as it is followed, renewed every 7 days), and a hashtag is
recorded before its search is sent. It lives in a small JSON file per account (written
atomically through :class:`~ingest.checkpoint.CheckpointStore`), so a restart remembers what the
week already spent; it also caches each hashtag's id, which never changes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import Budget, ConfigError

log = logging.getLogger(__name__)

HASHTAG_LIMIT = 30
WINDOW = timedelta(days=7)

# Two jobs of one account in one worker share the file: read, check and write as one step.
_lock = threading.Lock()


@dataclass
class _Ledger:
    searched: dict[str, datetime]  # hashtag -> first query of its current 7-day window
    ids: dict[str, str]  # hashtag -> Instagram's hashtag id


class HashtagBudget:
    """The hashtags one Instagram account (``ig_user_id``) queried in the last 7 days."""

    def __init__(self, state_dir: Path, ig_user_id: str, *, now: Callable[[], datetime]) -> None:
        self._store = CheckpointStore(state_dir)
        self._key = ("instagram", "hashtag-budget", ig_user_id)
        self._now = now

    def use(self, tag: str, *, others: Callable[[set[str]], int] | None = None) -> None:
        """Record a query of ``tag`` now, or raise :class:`ConfigError` if it would be the 31st.

        ``others`` (optional) counts hashtags this account searched outside this ledger (other
        apps, a lost state file) given the ids of the ledger's current hashtags; it is only
        asked for a hashtag that needs a new slot, the only moment the answer matters.
        """
        with _lock:
            ledger = self._load()
            if tag in ledger.searched:
                return
            if len(ledger.searched) >= HASHTAG_LIMIT:
                raise ConfigError(self._refusal(tag, ledger, 0))
            known = {ledger.ids[t] for t in ledger.searched if t in ledger.ids}
        # Outside the lock: it may be an HTTP call, and other accounts' jobs must not wait on it.
        foreign = others(known) if others is not None else 0
        with _lock:
            ledger = self._load()
            if tag in ledger.searched:
                return
            if len(ledger.searched) + foreign >= HASHTAG_LIMIT:
                raise ConfigError(self._refusal(tag, ledger, foreign))
            ledger.searched[tag] = self._now()
            self._save(ledger)

    def hashtag_id(self, tag: str) -> str | None:
        """The cached id of ``tag`` (ids are stable, so one search per hashtag is enough)."""
        with _lock:
            return self._load().ids.get(tag)

    def remember_id(self, tag: str, hashtag_id: str) -> None:
        with _lock:
            ledger = self._load()
            ledger.ids[tag] = hashtag_id
            self._save(ledger)

    def budget(self) -> Budget:
        """Hashtags left this week, and when the oldest one frees up."""
        with _lock:
            ledger = self._load()
        oldest = min(ledger.searched.values(), default=None)
        return Budget(
            remaining=HASHTAG_LIMIT - len(ledger.searched),
            limit=HASHTAG_LIMIT,
            unit="hashtags",
            resets_at=oldest + WINDOW if oldest is not None else None,
        )

    def _refusal(self, tag: str, ledger: _Ledger, foreign: int) -> str:
        oldest = min(ledger.searched.values(), default=None)
        frees = (
            f"the oldest frees up at {(oldest + WINDOW).isoformat(timespec='minutes')}"
            if oldest is not None
            else "wait until the other apps' searches age out"
        )
        elsewhere = f" ({foreign} of them searched outside this listener)" if foreign else ""
        return (
            f"Instagram allows {HASHTAG_LIMIT} unique hashtags per 7 days per account; "
            f"#{tag} would be the {HASHTAG_LIMIT + 1}st{elsewhere}; {frees}"
        )

    def _load(self) -> _Ledger:
        raw = self._store.load(self._key)
        try:
            payload = json.loads(raw) if raw is not None else {}
            searched = {
                tag: datetime.fromisoformat(at) for tag, at in payload.get("searched", {}).items()
            }
            ids = {tag: str(i) for tag, i in payload.get("ids", {}).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable Instagram hashtag budget %s: %s", self._key, exc)
            searched, ids = {}, {}
        horizon = self._now() - WINDOW
        return _Ledger({t: at for t, at in searched.items() if at > horizon}, ids)

    def _save(self, ledger: _Ledger) -> None:
        payload = {
            "searched": {tag: at.isoformat() for tag, at in sorted(ledger.searched.items())},
            "ids": dict(sorted(ledger.ids.items())),
        }
        self._store.save(self._key, json.dumps(payload))
