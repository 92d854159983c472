"""Fixtures of the webhook tests: the API and the delivery worker on the test's database, a
clock the test moves, and a real local receiver (the `ugc webhooks listen` server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.settings import ApiSettings
from curation_api.webhooks.delivery import DeliveryWorker
from curation_api.webhooks.receiver import WebhookReceiver
from curation_api.webhooks.settings import WebhookSettings
from tests.curation_api.webhooks.webhook_factories import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def webhook_settings(database_url: str) -> WebhookSettings:
    return WebhookSettings(
        database_url=database_url, webhooks_allow_private=True, webhooks_timeout_s=2.0
    )


@pytest.fixture
def webhook_client(
    api_settings: ApiSettings,
    sessions: sessionmaker[Session],
    webhook_settings: WebhookSettings,
    clock: Clock,
) -> Iterator[TestClient]:
    app = create_app(api_settings, sessions=sessions, clock=clock)
    app.state.webhook_settings = webhook_settings
    with TestClient(app) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def worker(
    sessions: sessionmaker[Session], webhook_settings: WebhookSettings, clock: Clock
) -> Iterator[DeliveryWorker]:
    # The largest draw of the jitter: the backoff schedule is then exact.
    delivery_worker = DeliveryWorker(sessions, webhook_settings, clock=clock, draw=lambda c: c)
    yield delivery_worker
    delivery_worker.close()
