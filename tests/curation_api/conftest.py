"""Fixtures of the curation API tests: each database test runs on SQLite and on PostgreSQL.

The schema comes from the real migrations, applied once per backend per run. Each test works
inside an outer transaction that is rolled back at the end; sessions (the test's own and the
API's per-request ones) run in savepoints inside it, so a route's commit is real to the route
and invisible to the next test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.db import create_db_engine
from curation_api.migrate import upgrade
from curation_api.settings import ApiSettings
from tests.curation_api.curation_factories import MODERATOR_KEY


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a SQLite file, or this run's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'ugc.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def api_settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, moderator_api_key=MODERATOR_KEY)


@pytest.fixture
def client(api_settings: ApiSettings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, sessions=sessions)) as client:
        yield client
