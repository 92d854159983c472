"""The alert settings of each hashtag, read from the database table ``alert_settings`` every few
seconds: the spike stream never writes them (moderators do, through the API).

Where a hashtag has no row, or a column is NULL, the stream's defaults apply. When the database
cannot be read (down, not migrated yet) the last settings read are kept and a warning logged:
detection goes on with what it knew.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from classify.spikes.model import DetectorConfig, Sensitivity
from classify.spikes.settings import SpikeSettings
from database.models import AlertSetting

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HashtagAlerting:
    """How one hashtag alerts right now."""

    config: DetectorConfig
    snoozed_until: datetime | None = None

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until


def default_config(settings: SpikeSettings) -> DetectorConfig:
    return DetectorConfig(
        sensitivity=settings.spikes_sensitivity,
        min_volume=settings.spikes_min_volume,
        cooldown_s=settings.spikes_cooldown_minutes * 60.0,
        bucket_s=settings.spikes_bucket_s,
        warmup_s=settings.spikes_warmup_s,
    )


def read_alert_settings(session: Session, defaults: DetectorConfig) -> dict[str, HashtagAlerting]:
    """Every hashtag that has a row, with the defaults filled in where a column is NULL."""
    found: dict[str, HashtagAlerting] = {}
    for row in session.scalars(select(AlertSetting)):
        sensitivity: Sensitivity = (
            row.sensitivity.value if row.sensitivity is not None else defaults.sensitivity
        )
        config = DetectorConfig(
            sensitivity=sensitivity,
            min_volume=row.min_volume if row.min_volume is not None else defaults.min_volume,
            cooldown_s=(
                row.cooldown_minutes * 60.0
                if row.cooldown_minutes is not None
                else defaults.cooldown_s
            ),
            bucket_s=defaults.bucket_s,
            warmup_s=defaults.warmup_s,
        )
        found[row.hashtag] = HashtagAlerting(config, row.snoozed_until)
    return found


class HashtagSettings:
    """The cached settings of every hashtag, re-read when older than ``refresh_s``."""

    def __init__(
        self,
        sessions: sessionmaker[Session] | None,
        defaults: DetectorConfig,
        *,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.default = HashtagAlerting(defaults)
        self.refresh_s = refresh_s
        self.clock = clock
        self._known: dict[str, HashtagAlerting] = {}
        self._read_at: float | None = None

    def due(self) -> bool:
        return self._read_at is None or self.clock() - self._read_at >= self.refresh_s

    def refresh(self) -> None:
        """Re-read the table (blocking: the worker runs it in a thread)."""
        self._read_at = self.clock()
        if self.sessions is None:
            return
        try:
            with self.sessions() as session:
                self._known = read_alert_settings(session, self.default.config)
        except SQLAlchemyError as exc:
            log.warning("alert settings not read, keeping the last ones: %s", exc)

    def of(self, hashtag: str) -> HashtagAlerting:
        return self._known.get(hashtag, self.default)
