"""YouTube's daily quota: units spent per Pacific-time day, remembered across restarts.

The YouTube Data API gives a project 10,000 units a day by default and a ``search.list`` costs
100 of them, so a listener gets about a hundred searches a day. The quota resets at midnight in
America/Los_Angeles (with its daylight saving time). The ledger counts units *before* a call is
sent, so that a call that would overspend is never made, and keeps the count in a small JSON
file (written atomically through :class:`~ingest.checkpoint.CheckpointStore`) per API key, shared
by every job that uses the key, since the quota belongs to the key's project.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.checkpoint import CheckpointStore
from ingest.connectors.base import Budget, BudgetExhausted

log = logging.getLogger(__name__)

SEARCH_COST = 100
_lock = threading.Lock()


# The tz database comes with the OS or the `tzdata` wheel (installed with the project's deps).
PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific_day(moment: datetime) -> date:
    """The quota day ``moment`` falls in."""
    return moment.astimezone(PACIFIC).date()


def next_pacific_midnight(moment: datetime) -> datetime:
    """When the quota of ``moment``'s day resets, in UTC."""
    tomorrow = pacific_day(moment) + timedelta(days=1)
    return datetime.combine(tomorrow, time(), tzinfo=PACIFIC).astimezone(UTC)


class QuotaLedger:
    """Units spent today by one API key, out of ``daily_quota``."""

    def __init__(
        self,
        state_dir: Path,
        api_key: str,
        *,
        daily_quota: int,
        now: Callable[[], datetime],
    ) -> None:
        # The file is named after a digest of the key: jobs sharing a key share the quota,
        # and the key itself never reaches the disk.
        digest = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self._store = CheckpointStore(state_dir)
        self._key = ("youtube", "quota", digest)
        self.daily_quota = daily_quota
        self._now = now

    def spend(self, units: int) -> None:
        """Count ``units`` for a call about to be sent, or raise :class:`BudgetExhausted`."""
        with _lock:
            now = self._now()
            used = self._used(now)
            if used + units > self.daily_quota:
                raise BudgetExhausted(
                    f"youtube: the daily quota is spent ({used} of {self.daily_quota} units "
                    f"used; a search costs {units}); it resets at midnight Pacific time",
                    resets_at=next_pacific_midnight(now),
                )
            self._save(now, used + units)

    def exhausted(self) -> None:
        """YouTube said the quota is spent (another client of the key, or a miscount)."""
        with _lock:
            now = self._now()
            self._save(now, max(self._used(now), self.daily_quota))

    def budget(self) -> Budget:
        with _lock:
            now = self._now()
            used = self._used(now)
        return Budget(
            remaining=max(0, self.daily_quota - used),
            limit=self.daily_quota,
            unit="units",
            resets_at=next_pacific_midnight(now),
        )

    def _used(self, now: datetime) -> int:
        raw = self._store.load(self._key)
        try:
            payload = json.loads(raw) if raw is not None else {}
            if payload.get("day") != pacific_day(now).isoformat():
                return 0
            return int(payload.get("used", 0))
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring unreadable YouTube quota ledger: %s", exc)
            return 0

    def _save(self, now: datetime, used: int) -> None:
        self._store.save(self._key, json.dumps({"day": pacific_day(now).isoformat(), "used": used}))
