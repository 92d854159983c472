"""The faust table of the spike stream, ``spike-state``: one entry per hashtag (key: its name as
bytes), backed by the changelog topic ``ugc-spikes-spike-state-changelog`` from which a
restarted worker recovers it. The value is JSON::

    {"rev": 41, "buckets": {...}, "evidence": {...}, "detector": {...}}

``buckets`` (open buckets, stream time) and ``evidence`` are :class:`.HashtagState`'s JSON
forms, ``detector`` the detector's state. The stream writes an entry once per batch of
records that touched the hashtag (:mod:`.worker`); the parts that batch did not change are
not serialized again (their bytes are kept). One entry, not a table per part: a changelog
message costs more than the bytes of the parts it repeats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import faust

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import DetectorConfig
from classify.spikes.settings import SpikeSettings
from classify.spikes.stream_state import HashtagState, Step

STATE_TABLE = "spike-state"


@dataclass
class _Cached:
    raw: bytes  # what the table held after our last write (or when read)
    rev: int
    state: HashtagState
    detector: SpikeDetector
    # The serialized parts, kept for the writes that do not change them; None until written.
    evidence: bytes | None = None
    detector_json: bytes | None = None


class SpikeTables:
    """The stream's table, with the state of the hashtags in hand cached in memory.

    Every write of a hashtag bumps its ``rev``; the cache is used only while the table holds
    the very bytes it wrote (compared, not parsed), so a partition that moved to another worker
    and back is read again from the table.
    """

    def __init__(self, app: faust.App, settings: SpikeSettings) -> None:
        self.table = app.Table(
            STATE_TABLE,
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            # Written once per batch of records from several partitions, each key to its own
            # partition (the one its records come from: .records.partition_of).
            use_partitioner=True,
        )
        self._cache: dict[bytes, _Cached] = {}

    def load(
        self, key: bytes, hashtag: str, config: DetectorConfig
    ) -> tuple[HashtagState, SpikeDetector]:
        """The hashtag's state and detector, to change in place and :meth:`save`."""
        raw = self.table.get(key)
        cached = self._cache.get(key)
        if cached is None or raw != cached.raw:
            fields = json.loads(raw) if raw else {}
            cached = self._cache[key] = _Cached(
                raw=raw or b"",
                rev=int(fields.get("rev", 0)),
                state=HashtagState.from_json(
                    hashtag, fields.get("buckets"), fields.get("evidence")
                ),
                detector=SpikeDetector(config, fields.get("detector")),
            )
        if cached.detector.config != config:
            cached.detector.reconfigure(config)
        return cached.state, cached.detector

    def save(self, key: bytes, step: Step) -> None:
        """Write what :meth:`load` gave for ``key``, as ``step`` changed it."""
        cached = self._cache[key]
        if step.evidence_changed or cached.evidence is None:
            cached.evidence = _dumps(cached.state.evidence_json())
        if step.detector_changed or cached.detector_json is None:
            cached.detector_json = _dumps(cached.detector.state())
        cached.rev += 1
        cached.raw = b"".join(
            (
                b'{"rev":%d,"buckets":' % cached.rev,
                _dumps(cached.state.buckets_json()),
                b',"evidence":',
                cached.evidence,
                b',"detector":',
                cached.detector_json,
                b"}",
            )
        )
        self.table[key] = cached.raw

    def quiet_keys(self, wall: float, quiet_after_s: float) -> list[bytes]:
        """Hashtags of this worker silent for ``quiet_after_s`` of wall-clock time."""
        quiet = []
        for key, raw in list(self.table.items()):
            if not raw:
                continue
            cached = self._cache.get(key)
            if cached is not None and raw == cached.raw:
                last_wall = cached.state.last_wall
            else:
                last_wall = float(json.loads(raw).get("buckets", {}).get("last_wall", wall))
            if wall - last_wall >= quiet_after_s:
                quiet.append(key)
        return quiet


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
