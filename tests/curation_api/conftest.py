"""Fixtures of the curation API tests: the API on the test's database
(``tests/database_fixtures.py``), with the moderator key of the factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.settings import ApiSettings
from tests.curation_api.curation_factories import MODERATOR_KEY


@pytest.fixture
def api_settings(database_url: str) -> ApiSettings:
    return ApiSettings(database_url=database_url, moderator_api_key=MODERATOR_KEY)


@pytest.fixture
def client(api_settings: ApiSettings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings, sessions=sessions)) as client:
        yield client
