"""The worker's view of the database: positions per job, and health tied to a job's revision."""

from __future__ import annotations

from pathlib import Path

import pytest

from database.enums import JobStatus
from ingest.connectors.base import Budget, JobStopped
from ingest.jobs.store import JobStore, SchemaMissing
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobCreate, JobUpdate

NOBODY = CredentialResolver()


def add_job(store: JobStore, *tags: str) -> int:
    body = JobCreate(network="fakenet", hashtags=list(tags), options={"feed": "f"})
    with store.session() as session:
        job = service.create_job(session, body, NOBODY)
        session.commit()
    return job.id


def edit(store: JobStore, job_id: int, **changes: object) -> None:
    with store.session() as session:
        service.update_job(session, job_id, JobUpdate.model_validate(changes), NOBODY)
        session.commit()


def test_positions_are_kept_per_job_and_key_and_replaced_in_place(store: JobStore) -> None:
    first, second = add_job(store, "brand"), add_job(store, "brand")
    positions = store.positions(first)
    key = ("fakenet", str(first), "a/b#c d")  # any character is fine in a key

    assert positions.load(key) is None
    positions.save(key, "10")
    positions.save(key, "12")

    assert positions.load(key) == "12"
    assert store.positions(second).load(key) is None


def test_saving_a_position_of_a_deleted_job_stops_the_job(store: JobStore) -> None:
    job_id = add_job(store, "brand")
    with store.session() as session:
        service.delete_job(session, job_id)
        session.commit()

    with pytest.raises(JobStopped):
        store.positions(job_id).save(("fakenet", str(job_id), "brand"), "1")


def test_health_counts_posts_and_keeps_the_last_error(store: JobStore) -> None:
    job_id = add_job(store, "brand")
    job = store.job(job_id)
    assert job is not None
    assert job.status is JobStatus.PENDING
    health = store.health(job)

    health.poll_succeeded(collected=3, budget=Budget(remaining=7, limit=10, unit="units"))
    health.poll_failed(error="503 from the network", backoff_s=30)
    health.poll_succeeded(collected=2, budget=None)

    with store.session() as session:
        read = service.get_job(session, job_id, NOBODY).health
    assert read.status is JobStatus.OK
    assert read.posts_collected == 5
    assert read.backoff_s == 0
    assert read.last_error == "503 from the network"
    assert read.last_error_at is not None
    assert read.budget is not None
    assert (read.budget.remaining, read.budget.unit) == (7, "units")


def test_a_report_for_an_older_revision_cannot_mark_the_changed_job_failing(
    store: JobStore,
) -> None:
    job_id = add_job(store, "brand")
    old = store.job(job_id)
    assert old is not None
    edit(store, job_id, hashtags=["brand", "other"])

    store.health(old).job_failing(error="token refused")

    current = store.job(job_id)
    assert current is not None
    assert current.status is JobStatus.PENDING
    store.health(current).job_failing(error="token refused")
    failing = store.job(job_id)
    assert failing is not None
    assert failing.status is JobStatus.FAILING


def test_a_database_without_the_listening_tables_says_to_migrate(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissing, match="ugc db upgrade"):
        JobStore.connect(f"sqlite:///{tmp_path / 'empty.db'}")
