"""The children of ``ugc up``: their commands, their environment, and the order of stopping.

Stopping goes in pipeline order, so that each stage drains what the one before it produced:
the sources, the classify workers, the sink, the API (no new rights requests), then the ingest
rights worker (it finishes the message in hand and reports it), the rights worker (it applies
what the ingest side reported), and last the webhook deliveries and the demo's receiver, so
that whatever the others stored still goes out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from listening.schemas import JobCreate


@dataclass
class UpOptions:
    data_dir: Path
    port: int
    partitions: int
    api_key: str
    replay_file: Path | None
    rate: float
    #: Classify worker processes (see classify_threads).
    classify_workers: int = 1
    #: The listening job to run instead of the demo replay.
    listen: JobCreate | None = None


def child_env(opts: UpOptions, bootstrap: str, database_url: str) -> dict[str, str]:
    """What every child's environment holds: where the broker and the database are."""
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "UGC_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "UGC_TOPIC_PARTITIONS": str(opts.partitions),
        "UGC_DATABASE_URL": database_url,
        "UGC_MODERATOR_API_KEY": opts.api_key,
        "UGC_API_PORT": str(opts.port),
        # Links in incidents (the queue filtered to one) and in rights messages.
        "UGC_PUBLIC_BASE_URL": f"http://127.0.0.1:{opts.port}",
        # The demo's webhook receiver listens on 127.0.0.1: allowed here, refused by default.
        "UGC_WEBHOOKS_ALLOW_PRIVATE": "true",
        # One machine, one member per group: short group timeouts make restarts quick.
        "UGC_SINK_SESSION_TIMEOUT_MS": "6000",
        "UGC_SINK_HEARTBEAT_INTERVAL_MS": "1000",
        "UGC_SESSION_TIMEOUT_S": "6",
        "UGC_HEARTBEAT_INTERVAL_S": "1",
    }


def child_commands(opts: UpOptions) -> list[tuple[str, list[str], dict[str, str]]]:
    """Each child: its name, its ``ugc`` arguments and what it adds to the environment."""
    commands: list[tuple[str, list[str], dict[str, str]]] = [
        ("api", ["api", "--host", "127.0.0.1", "--port", str(opts.port)], {}),
        ("sink", ["sink"], {}),
        (
            "rights",
            ["rights", "worker"],
            {
                # Terms links in reminders and proofs; one member: quick group restarts.
                "UGC_RIGHTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{opts.port}",
                "UGC_RIGHTS_SESSION_TIMEOUT_MS": "6000",
                "UGC_RIGHTS_HEARTBEAT_INTERVAL_MS": "1000",
            },
        ),
        # Sends rights requests on the networks whose brand account is configured
        # (UGC_RIGHTS_<NETWORK>_*); with none, every request becomes a manual send, with why.
        (
            "ingest-rights",
            ["ingest", "rights"],
            {"UGC_INGEST_RIGHTS_SESSION_TIMEOUT_MS": "6000"},
        ),
        # Negative spikes: the detector on the scored stream, the incidents it raises, and
        # their webhook deliveries.
        (
            "alerts",
            ["alerts", "worker"],
            {"UGC_SPIKES_SESSION_TIMEOUT_S": "6", "UGC_SPIKES_HEARTBEAT_INTERVAL_S": "1"},
        ),
        (
            "alerts-sink",
            ["alerts", "sink"],
            {
                "UGC_ALERTS_SESSION_TIMEOUT_MS": "6000",
                "UGC_ALERTS_HEARTBEAT_INTERVAL_MS": "1000",
            },
        ),
        ("webhooks", ["webhooks", "deliver"], {}),
        # Copies of publishable posts' images, served from the API's origin (.ugc/media).
        ("media", ["media", "worker"], {}),
    ]
    # Single-threaded workers, one per core, score more posts per second than one worker with
    # a thread per core (bench/classify_speed.py measures both): no thread synchronisation,
    # and each worker's tokenizing and Python work runs beside the other's matrix products.
    # With more cores than workers (partitions cap them), the cores are shared out.
    threads = {}
    if opts.classify_workers > 1:
        per_worker = max(1, (os.cpu_count() or 1) // opts.classify_workers)
        threads = {"UGC_TORCH_THREADS": str(per_worker)}
    for index in range(opts.classify_workers):
        name = "classify" if index == 0 else f"classify-{index + 1}"
        commands.append((name, ["classify", "worker"], threads))
    commands.append(("listen", ["ingest", "run"], {}))
    if opts.listen is None:
        replay = ["ingest", "replay", "--rate", str(opts.rate)]
        if opts.replay_file:
            replay += ["--file", str(opts.replay_file)]
        commands.append(("ingest", replay, {}))
    return commands


#: Stop rank by child name (``classify-2`` ranks as ``classify``); unknown names stop last.
STOP_ORDER = {
    "ingest": 0,
    "listen": 0,
    "classify": 1,
    "sink": 2,
    "api": 3,
    "alerts": 2,
    "alerts-sink": 3,
    "ingest-rights": 4,
    "media": 4,  # copies of what is publishable; nothing else waits for it
    "rights": 5,
    # Deliveries last: whatever the others stored is sent, and the receiver sees it.
    "webhooks": 6,
    "hooks": 7,
}


def stop_rank(name: str) -> int:
    return STOP_ORDER.get(name, STOP_ORDER.get(name.split("-")[0], len(STOP_ORDER)))
