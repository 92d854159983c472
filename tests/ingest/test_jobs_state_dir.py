"""``UGC_STATE_DIR``: where the connectors that keep ledgers (Instagram's hashtag budget,
YouTube's daily quota) keep them when a job runs under the worker or ``ugc ingest backfill``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from database.enums import ListeningMode
from ingest.cli import ingest
from ingest.connectors.instagram import InstagramConnector
from ingest.jobs.store import JobDefinition, JobStore
from ingest.jobs.worker import ListeningWorker, job_spec
from ingest.settings import IngestSettings
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobCreate
from tests.conftest import wait_until
from tests.ingest.fake_instagram import IG_USER_ID, TOKEN, FakeInstagram
from tests.ingest.ingest_fakes import FakeClock, RecordingProducer
from tests.ingest.jobs_fakes import VALID_TOKEN, FakeFeed, new_feed
from tests.ingest.polling_checks import connect

CREDENTIALS = CredentialResolver(
    environ={
        "UGC_CRED_IG_ACCESS_TOKEN": TOKEN,
        "UGC_CRED_YT_API_KEY": "yt-key",
        "UGC_CRED_GOOD_TOKEN": VALID_TOKEN,
    }
)


def definition(network: str, ref: str | None = "ig", **options: Any) -> JobDefinition:
    return JobDefinition(
        id=7,
        revision=1,
        network=network,
        mode=ListeningMode.POLL,
        hashtags=("brand",),
        credentials_ref=ref,
        poll_interval_s=600.0,
        active=True,
        options=options,
    )


def test_the_default_state_dir_is_described_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("UGC_STATE_DIR", raising=False)
    assert IngestSettings().state_dir == Path(".ugc/state")
    assert "YouTube" in (IngestSettings.model_fields["state_dir"].description or "")
    monkeypatch.setenv("UGC_STATE_DIR", str(tmp_path))
    assert IngestSettings().state_dir == tmp_path


def test_a_job_without_its_own_state_dir_keeps_its_ledger_in_the_settings_one(
    clock: FakeClock, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    job = definition("instagram", ig_user_id=IG_USER_ID)

    spec = job_spec(job, ListeningMode.POLL, CREDENTIALS, state_dir=state)
    connect(InstagramConnector, spec, FakeInstagram(now=clock.now).client(), clock).fetch(
        "brand", None
    )

    assert spec.options["state_dir"] == str(state)
    assert [p.name for p in state.rglob("*.json")] == [f"{IG_USER_ID}.json"]


def test_a_job_naming_its_own_state_dir_keeps_it_and_a_blank_one_gets_the_settings_one(
    tmp_path: Path,
) -> None:
    for own, kept in (("/srv/ledgers", "/srv/ledgers"), ("", str(tmp_path))):
        job = definition("youtube", ref="yt", state_dir=own)
        spec = job_spec(job, ListeningMode.POLL, CREDENTIALS, state_dir=tmp_path)
        assert spec.options["state_dir"] == kept


def test_networks_that_keep_no_ledger_get_no_state_dir_and_nothing_is_added_unasked(
    tmp_path: Path,
) -> None:
    spec = job_spec(
        definition("mastodon", ref=None), ListeningMode.POLL, CREDENTIALS, state_dir=tmp_path
    )

    assert "state_dir" not in spec.options
    assert job_spec(definition("youtube", ref="yt"), ListeningMode.POLL, CREDENTIALS).options == {}


def test_the_worker_gives_its_state_dir_to_the_jobs_it_runs(
    store: JobStore, tmp_path: Path
) -> None:
    feed = new_feed()
    add_fakenet_job(store, feed)
    worker = ListeningWorker(
        store, CREDENTIALS, lambda _job: RecordingProducer(), state_dir=tmp_path / "state"
    )
    try:
        worker.sync()
        wait_until(lambda: feed.options_seen, message="the job to start")
    finally:
        worker.stop_all()

    assert feed.options_seen[0]["state_dir"] == str(tmp_path / "state")


@pytest.mark.broker
def test_backfill_gives_the_settings_state_dir_to_the_job(
    store: JobStore, database_url: str, broker: str, tmp_path: Path
) -> None:
    feed = new_feed()
    job_id = add_fakenet_job(store, feed)

    result = CliRunner().invoke(
        ingest,
        ["backfill", str(job_id)],
        env={
            "UGC_DATABASE_URL": database_url,
            "UGC_CRED_GOOD_TOKEN": VALID_TOKEN,
            "UGC_KAFKA_BOOTSTRAP_SERVERS": broker,
            "UGC_STATE_DIR": str(tmp_path / "ledgers"),
        },
    )

    assert result.exit_code == 0, result.output
    assert feed.options_seen[-1]["state_dir"] == str(tmp_path / "ledgers")


def add_fakenet_job(store: JobStore, feed: FakeFeed) -> int:
    body = JobCreate(
        network="fakenet", hashtags=["brand"], credentials_ref="good", options={"feed": feed.name}
    )
    with store.session() as session:
        job = service.create_job(session, body, CREDENTIALS)
        session.commit()
    return job.id
