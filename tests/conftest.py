"""Fixtures for real services: the embedded Kafka-protocol broker and PostgreSQL.

Locally a missing service skips the tests that need it. In CI (``UGC_REQUIRE_SERVICES=1``, set by
``.ci/run``) a missing service fails them instead, so a green run always means they ran.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from contract.settings import KafkaSettings
from ugc.broker import EmbeddedBroker

pytest_plugins = ["tests.database_fixtures"]

T = TypeVar("T")

POSTGRES_ADMIN_URL = os.environ.get(
    "UGC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def services_required() -> bool:
    return os.environ.get("UGC_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes"}


def service_missing(what: str) -> None:
    """Skip locally, fail in CI."""
    if services_required():
        pytest.fail(f"{what} is required (UGC_REQUIRE_SERVICES=1) but is not available")
    pytest.skip(f"{what} is not available")


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float = 30.0,
    interval: float = 0.1,
    message: str = "condition",
) -> T:
    """Poll ``condition`` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a Tansu broker that lives for the whole test session."""
    log_path = tmp_path_factory.mktemp("broker") / "tansu.log"
    embedded = EmbeddedBroker(log_path=log_path)
    try:
        embedded.start(timeout=30)
    except Exception as exc:  # binary missing, port trouble: report, never hang
        service_missing(f"the embedded Kafka broker ({exc})")
    try:
        yield embedded.bootstrap_servers
    finally:
        embedded.stop()


@pytest.fixture
def kafka_settings(broker: str) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers=broker, topic_partitions=2)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[Callable[[], str]]:
    """A factory of fresh PostgreSQL databases for this test run, all dropped at the end."""
    admin_url = make_url(POSTGRES_ADMIN_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        service_missing(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} ({exc})")
    created: list[str] = []

    def create() -> str:
        name = f"ugc_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return admin_url.set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_databases: Callable[[], str]) -> str:
    """URL of a fresh PostgreSQL database shared by this test run."""
    return postgres_databases()
