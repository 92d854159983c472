"""The rules of listening jobs below the routes: deletion takes the job's state along, and
``ensure_job`` (what ``ugc up --mastodon`` uses) never makes a second identical job."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database.models import ListeningJobHealth, ListeningPosition
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobCreate, JobUpdate
from tests.curation_api.curation_factories import T0
from tests.listening.fake_network import fake_network_description

NOBODY = CredentialResolver()


@pytest.fixture(autouse=True)
def _fake_network_description() -> Iterator[None]:
    with fake_network_description():
        yield


def body(*tags: str, feed: str = "main") -> JobCreate:
    return JobCreate(network="fakenet", hashtags=list(tags), options={"feed": feed})


def count(session: Session, model: type[ListeningPosition] | type[ListeningJobHealth]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_deleting_a_job_deletes_its_health_and_positions(session: Session) -> None:
    kept = service.create_job(session, body("other"), NOBODY)
    job = service.create_job(session, body("brand"), NOBODY)
    for job_id in (kept.id, job.id):
        session.add(
            ListeningPosition(job_id=job_id, key="fakenet/1/brand", position="9", updated_at=T0)
        )
    session.commit()

    service.delete_job(session, job.id)
    session.commit()

    assert session.scalars(select(ListeningPosition.job_id)).all() == [kept.id]
    assert count(session, ListeningJobHealth) == 1


def test_ensure_job_reuses_the_same_job_and_reactivates_it(session: Session) -> None:
    first, created = service.ensure_job(session, body("coffee", "tea"), NOBODY)
    assert created
    service.update_job(session, first.id, JobUpdate(active=False), NOBODY)

    again, created_again = service.ensure_job(session, body("tea", "coffee"), NOBODY)
    other, created_other = service.ensure_job(session, body("tea", feed="other"), NOBODY)

    assert (again.id, created_again, again.active) == (first.id, False, True)
    assert created_other
    assert other.id != first.id
