"""`ugc webhooks listen` and `ugc webhooks deliver` as processes: the receiver prints and
verifies deliveries and answers 503 to the first N; the worker delivers from the database and
exits 0 on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from curation_api.webhooks import service
from curation_api.webhooks.events import WebhookEventType, emit
from curation_api.webhooks.receiver import WebhookReceiver
from curation_api.webhooks.schemas import WebhookEndpointCreate
from curation_api.webhooks.settings import WebhookSettings
from curation_api.webhooks.signing import body_of, new_secret, signed_headers
from database.engine import create_db_engine
from database.migrate import upgrade
from tests.conftest import wait_until
from tests.curation_api.webhooks.webhook_factories import alert_data

CLI = "from curation_api.webhooks.cli import webhooks; webhooks()"


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"} | (env or {}),
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


@pytest.fixture
def listener() -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    secret = new_secret()
    process = start("listen", "--port", "0", "--secret", secret, "--fail", "1")
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # "listening on http://127.0.0.1:<port>/ ..."
        url = line.split()[2]
        yield process, url, secret
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_listen_prints_deliveries_checks_signatures_and_fails_the_first_n(
    listener: tuple[subprocess.Popen[str], str, str],
) -> None:
    process, url, secret = listener
    now = datetime.now(UTC)
    payload = {"type": "alert.fired", "timestamp": now.isoformat(), "data": alert_data()}
    body = body_of(payload)
    signed = signed_headers("msg_1", now, body, [secret])
    forged = signed_headers("msg_2", now, body, [new_secret()])
    with httpx.Client() as client:
        assert client.post(url, content=body, headers=signed).status_code == 503
        assert client.post(url, content=body, headers=signed).status_code == 204
        assert client.post(url, content=body, headers=forged).status_code == 204
        slack = {"text": "hello from slack", "blocks": []}
        assert client.post(url, json=slack, headers={"webhook-id": "msg_3"}).status_code == 204

    code, out, _err = stop(process)
    assert code == 0
    assert "alert.fired msg_1: #trailpeak: 70 negative posts, firing" in out
    assert "signature ok -> 503" in out
    assert "signature ok -> 204" in out
    assert "signature INVALID (No matching signature found) -> 204" in out
    assert "slack msg_3: hello from slack" in out


def test_deliver_sends_what_the_database_holds_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deliver.db'}"
    upgrade(url)
    receiver = WebhookReceiver().start()
    engine = create_db_engine(url)
    try:
        now = datetime.now(UTC)
        with Session(engine) as session:
            created = service.create_endpoint(
                session,
                WebhookEndpointCreate(url=receiver.url, events=[WebhookEventType.ALERT_FIRED]),
                WebhookSettings(webhooks_allow_private=True),
                now=now,
            )
            emit(session, WebhookEventType.ALERT_FIRED, alert_data(), now=now)
            session.commit()
        receiver.secret = created.secret
        process = start(
            "deliver",
            env={
                "UGC_DATABASE_URL": url,
                "UGC_WEBHOOKS_ALLOW_PRIVATE": "true",
                "UGC_WEBHOOKS_POLL_INTERVAL_S": "0.1",
            },
        )
        try:
            wait_until(lambda: receiver.received, timeout=20, message="the delivery")
        finally:
            code, _out, err = stop(process)
        assert code == 0, err
        assert "SIGTERM: stopping" in err
        assert "webhook delivery stopped" in err
        (got,) = receiver.received
        assert got.signature == "ok"
    finally:
        receiver.stop()
        engine.dispose()
