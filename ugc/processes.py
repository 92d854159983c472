"""Child processes of ``ugc up``: started, watched, restarted and stopped cleanly."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from ugc.console import Console


class Child:
    """One ``ugc <subcommand>`` process whose output is shown with a prefix and kept in a log."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log_dir: Path, console: Console
    ) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.console = console
        self.restarts = 0
        self.finished = False
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        # A session of its own: Ctrl-C in the terminal reaches only the supervisor, which
        # stops children in pipeline order instead of all at once.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "ugc.cli", *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        assert self._process.stdout is not None
        threading.Thread(
            target=self._pump, args=(self._process.stdout,), daemon=True, name=f"pump-{self.name}"
        ).start()

    def _pump(self, stream: IO[str]) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in stream:
                log.write(line)
                log.flush()
                self.console.say(self.name, line.rstrip())

    def exited(self) -> int | None:
        """The exit code if the process has ended, else ``None``."""
        return None if self._process is None else self._process.poll()

    def restart(self) -> None:
        self.restarts += 1
        self.start()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no drain, nothing flushed."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def stop(self, timeout: float = 20.0) -> None:
        """Ask for a stop (SIGTERM), wait for the drain, then kill if it hangs."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.console.say(self.name, f"did not stop within {timeout:.0f}s; killing it")
            process.kill()
            process.wait()
