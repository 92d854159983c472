"""Named values kept in small JSON files, one per key, for what must outlive a process without a
database: the ledgers connectors keep besides their positions (Instagram's hashtag budget,
YouTube's quota, under ``UGC_STATE_DIR``), and the positions of a job run by a benchmark or a
test. Listening jobs keep their positions in the database (:mod:`ingest.jobs.store`).

A value is written atomically (a temporary file renamed over the old one), so a crash in the
middle of a write leaves the previous value, never half a file. A position is written only after
the broker acknowledged the posts it covers.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from contract import utcnow

log = logging.getLogger(__name__)


class CheckpointStore:
    """Named positions (``("mastodon", "mastodon.social", "brand")`` → newest id) in a directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: Sequence[str]) -> Path:
        """The file of a checkpoint; every part is percent-encoded, so any tag or host is safe."""
        *folders, name = (quote(part, safe="") for part in key)
        return self.directory.joinpath(*folders, f"{name}.json")

    def load(self, key: Sequence[str]) -> str | None:
        """The saved position, or ``None`` when there is none (or it cannot be read)."""
        path = self.path(key)
        try:
            payload = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            # Starting over costs a backfill page of duplicates (sinks are idempotent); refusing
            # to start would stop ingestion over a file nobody can fix from the outside.
            log.warning("ignoring unreadable checkpoint %s: %s", path, exc)
            return None
        position = payload.get("position") if isinstance(payload, dict) else None
        return position if isinstance(position, str) else None

    def save(self, key: Sequence[str], position: str) -> None:
        """Replace the saved position atomically (write a temporary file, then rename)."""
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"position": position, "updated_at": utcnow().isoformat()})
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                tmp.write(payload)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
