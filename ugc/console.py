"""What ``ugc up`` prints: one line per event, prefixed with the process it came from."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_COLORS = {
    "up": "1;36",
    "queue": "1;32",
    "api": "35",
    "sink": "34",
    "classify": "33",
    "ingest": "36",
    "alert": "1;31",
    "hooks": "1;35",
}


class Console:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.color = self.stream.isatty()
        self._lock = threading.Lock()

    def say(self, source: str, line: str) -> None:
        tag = f"[{source}]".ljust(11)
        if self.color:
            tag = f"\033[{_COLORS.get(source.split('-')[0], '0')}m{tag}\033[0m"
        with self._lock:
            self.stream.write(f"{tag}{line}\n")
            self.stream.flush()

    def banner(self, lines: list[str]) -> None:
        width = max(len(line) for line in lines) + 4
        with self._lock:
            self.stream.write("\n" + "=" * width + "\n")
            for line in lines:
                self.stream.write(f"  {line}\n")
            self.stream.write("=" * width + "\n\n")
            self.stream.flush()
