"""The pipeline's topics on a broker: waiting for it to answer, and creating the topics.

Names come from :mod:`contract.wire`; partitions and replication from :class:`KafkaSettings`.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterable

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from contract.settings import KafkaSettings
from contract.wire import ALL_TOPICS


class BrokerUnavailable(RuntimeError):
    """The broker did not answer within the deadline."""


def wait_for_broker(
    bootstrap_servers: str, *, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll until the broker answers a metadata request, or raise :class:`BrokerUnavailable`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    host, _, port = bootstrap_servers.split(",")[0].rpartition(":")
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BrokerUnavailable(f"broker process exited with code {process.returncode}")
        # A plain TCP probe first: the Kafka client logs every refused connection as an error.
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError as exc:
            last_error = exc
            time.sleep(0.1)
            continue
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap_servers, request_timeout_ms=2000, client_id="ugc-probe"
            )
        except (KafkaError, OSError) as exc:
            last_error = exc
            time.sleep(0.2)
            continue
        admin.close()
        return
    raise BrokerUnavailable(
        f"no Kafka broker answered at {bootstrap_servers} within {timeout:.0f}s: {last_error}"
    )


def create_topics(settings: KafkaSettings, topics: Iterable[str] = ALL_TOPICS) -> list[str]:
    """Create the topics that do not exist yet; returns the names it created."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_list, client_id="ugc-admin")
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication,
            )
            for name in topics
            if name not in existing
        ]
        if not wanted:
            return []
        # Another process may create them between our listing and our request: fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        admin.close()


def partition_counts(settings: KafkaSettings, topics: Iterable[str]) -> dict[str, int]:
    """How many partitions each of ``topics`` has on the broker (those that exist)."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_list, client_id="ugc-admin")
    try:
        return {
            # kafka-python 3 says "name" where 2 said "topic".
            str(found.get("name") or found.get("topic")): len(found["partitions"])
            for found in admin.describe_topics(list(topics))
            if not found.get("error_code") and found.get("partitions")
        }
    finally:
        admin.close()
