"""The three faust tables of the spike stream, keyed by hashtag (bytes), values JSON bytes:
``spike-buckets`` (open buckets, stream time; written on every record), ``spike-evidence`` (the
burst's evidence; on records with negative posts) and ``spike-detectors`` (the detector's
state; on records that closed a bucket). Each is backed by a changelog topic
``ugc-spikes-<table>-changelog``, from which a restarted worker recovers them."""

from __future__ import annotations

import json

import faust

from classify.spikes.detector import SpikeDetector
from classify.spikes.model import DetectorConfig
from classify.spikes.settings import SpikeSettings
from classify.spikes.stream_state import HashtagState, Step

BUCKETS_TABLE = "spike-buckets"
EVIDENCE_TABLE = "spike-evidence"
DETECTORS_TABLE = "spike-detectors"


class SpikeTables:
    """The three tables of the stream, with the state of the hashtags in hand cached in memory.

    Every write of a hashtag's buckets bumps its ``rev``; the cache is used only while the table
    holds the very bytes it wrote (compared, not parsed), so a partition that moved to another
    worker and back is read again from the table.
    """

    def __init__(self, app: faust.App, settings: SpikeSettings) -> None:
        tables = {
            name: app.Table(
                name,
                default=None,
                key_type=bytes,
                value_type=bytes,
                partitions=settings.topic_partitions,
            )
            for name in (BUCKETS_TABLE, EVIDENCE_TABLE, DETECTORS_TABLE)
        }
        self.buckets = tables[BUCKETS_TABLE]
        self.evidence = tables[EVIDENCE_TABLE]
        self.detectors = tables[DETECTORS_TABLE]
        self._cache: dict[bytes, tuple[bytes, int, HashtagState, SpikeDetector]] = {}

    def load(
        self, key: bytes, hashtag: str, config: DetectorConfig
    ) -> tuple[int, HashtagState, SpikeDetector]:
        raw = self.buckets.get(key)
        cached = self._cache.get(key)
        if cached is not None and raw == cached[0]:
            _, rev, state, detector = cached
        else:
            buckets = json.loads(raw) if raw else None
            rev = int(buckets.get("rev", 0)) if buckets else 0
            evidence = self.evidence.get(key)
            state = HashtagState.from_json(
                hashtag, buckets, json.loads(evidence) if evidence else None
            )
            saved = self.detectors.get(key)
            detector = SpikeDetector(config, json.loads(saved) if saved else None)
        if detector.config != config:
            detector.reconfigure(config)
        return rev, state, detector

    def save(
        self, key: bytes, rev: int, state: HashtagState, detector: SpikeDetector, step: Step
    ) -> None:
        if step.detector_changed:
            self.detectors[key] = json.dumps(detector.state()).encode()
        if step.evidence_changed:
            self.evidence[key] = json.dumps(state.evidence_json()).encode()
        raw = json.dumps({**state.buckets_json(), "rev": rev + 1}).encode()
        self.buckets[key] = raw
        self._cache[key] = (raw, rev + 1, state, detector)

    def quiet_keys(self, wall: float, quiet_after_s: float) -> list[bytes]:
        """Hashtags of this worker silent for ``quiet_after_s`` of wall-clock time."""
        quiet = []
        for key, raw in list(self.buckets.items()):
            if raw and wall - float(json.loads(raw).get("last_wall", wall)) >= quiet_after_s:
                quiet.append(key)
        return quiet
