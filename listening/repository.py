"""Queries of the listening-jobs feature."""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from database.models import ListeningJob, ListeningJobHealth
from database.paging import decode_cursor

# Jobs page in id order (creation order).
ID_KEY: TypeAdapter[tuple[int]] = TypeAdapter(tuple[int])


def id_key(job: ListeningJob) -> tuple[int]:
    return (job.id,)


def get_job(session: Session, job_id: int, *, for_update: bool = False) -> ListeningJob | None:
    """The job with its health; ``for_update`` locks the row on PostgreSQL so that two edits
    at once each bump the revision (SQLite transactions already are serialized)."""
    statement = select(ListeningJob).where(ListeningJob.id == job_id)
    if for_update:
        statement = statement.with_for_update(of=ListeningJob)
    return session.scalars(statement).one_or_none()


def add_job(session: Session, job: ListeningJob, health: ListeningJobHealth) -> None:
    job.health = health
    session.add(job)


def delete_job(session: Session, job: ListeningJob) -> None:
    """Delete the job; its health and positions go with it (ON DELETE CASCADE)."""
    session.delete(job)


def list_jobs(
    session: Session, *, network: str | None, active: bool | None, cursor: str | None, limit: int
) -> list[ListeningJob]:
    """Up to ``limit`` jobs in id order after the cursor's id, optionally of one network or
    activity (the primary key index serves the order; job tables are small)."""
    statement = select(ListeningJob)
    if network is not None:
        statement = statement.where(ListeningJob.network == network)
    if active is not None:
        statement = statement.where(ListeningJob.active == active)
    if cursor is not None:
        (after,) = decode_cursor(cursor, ID_KEY)
        statement = statement.where(ListeningJob.id > after)
    return list(session.scalars(statement.order_by(ListeningJob.id).limit(limit)))
