"""Fixtures of the media tests: the API and the media worker on the test's database, a fake
CDN, and the store on disk or on moto's S3 server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sqlalchemy.orm import Session, sessionmaker

from curation_api.media.routes import router as media_router
from curation_api.media.settings import MediaSettings
from curation_api.media.storage import DirectoryStore, MediaStore, S3Store
from curation_api.media.worker import MediaWorker
from tests.curation_api.media.media_fakes import FakeCdn

BUCKET = "ugc-media-test"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def cdn() -> Iterator[FakeCdn]:
    server = FakeCdn().start()
    yield server
    server.stop()


@pytest.fixture
def media_settings(database_url: str, tmp_path: Path) -> MediaSettings:
    return MediaSettings(
        database_url=database_url,
        media_directory=tmp_path / "media",
        media_allow_private=True,
        media_timeout_s=5.0,
        media_widths=[320, 640, 1080],
        media_max_attempts=3,
    )


@pytest.fixture(params=["directory", "s3"])
def store(
    request: pytest.FixtureRequest, media_settings: MediaSettings, tmp_path: Path
) -> MediaStore:
    if request.param == "directory":
        return DirectoryStore(media_settings.media_directory)
    endpoint: str = request.getfixturevalue("moto_endpoint")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"{BUCKET}-{tmp_path.name.lower().replace('_', '-')}"[:63]
    client.create_bucket(Bucket=bucket)
    return S3Store(client, bucket)


@pytest.fixture
def directory_store(media_settings: MediaSettings) -> MediaStore:
    return DirectoryStore(media_settings.media_directory)


def make_worker(
    sessions: sessionmaker[Session], settings: MediaSettings, store: MediaStore
) -> MediaWorker:
    # The largest draw of the jitter: the backoff schedule is then exact.
    return MediaWorker(sessions, settings, store, draw=lambda ceiling: ceiling)


def media_app(sessions: sessionmaker[Session], store: MediaStore) -> TestClient:
    """The media router alone on the test's sessions, with the kit's request state."""
    from contract import utcnow

    app = FastAPI()
    app.state.read_sessionmaker = app.state.sessionmaker = sessions
    app.state.clock = utcnow
    app.state.media_store = store
    app.include_router(media_router)
    return TestClient(app)
