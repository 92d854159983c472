"""The rules of listening jobs: what a job may ask of its network, and what a change resets.

Used by the API routes and by ``ugc ingest add|list`` alike, so both refuse the same jobs with
the same words. Secrets never pass through here: a job names a credentials reference, and the
answers say which credential names are set or missing under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from contract import utcnow
from database.enums import JobStatus, ListeningMode
from database.errors import DomainError, NotFound
from database.models import ListeningJob, ListeningJobHealth
from database.paging import Page, page_of
from listening import networks, repository
from listening.credentials import CredentialResolver, CredentialStatus, env_name
from listening.schemas import JobCreate, JobRead, JobUpdate


class InvalidJob(DomainError):
    status_code = 422
    description = "The network cannot run this job (unsupported network, mode or options)"


def check_job(network: str, mode: str | None, options: Mapping[str, Any]) -> networks.Description:
    """What the job's network needs, if it can run the job; :class:`InvalidJob` saying why not
    (TikTok, an unknown network, a mode it lacks, an option it does not read)."""
    try:
        description = networks.describe(network, mode)
    except networks.NetworkRefused as exc:
        raise InvalidJob(str(exc)) from None
    secrets = [name for name in options if name in description.credential_names]
    if secrets:
        # Options are shown to every moderator; secrets must stay behind a reference.
        listed = ", ".join(secrets)
        raise InvalidJob(
            f"{listed} is a credential, not an option: give the job a credentials_ref and set "
            f"{env_name('<ref>', secrets[0])} or the secrets file"
        )
    unknown = sorted(set(options) - set(description.options))
    if unknown:
        known = ", ".join(sorted(description.options)) or "none"
        raise InvalidJob(
            f"{description.network} has no option {', '.join(unknown)} (its options: {known})"
        )
    return description


def credential_status(job: ListeningJob, credentials: CredentialResolver) -> CredentialStatus:
    """Which of the job's credential names are set under its reference (names only)."""
    try:
        description = networks.describe(job.network, job.mode.value)
    except networks.NetworkRefused:  # a network this build no longer knows
        return CredentialStatus(ref=job.credentials_ref, required=(), set=(), missing=())
    return credentials.status(
        job.credentials_ref, description.required_credentials, description.optional_credentials
    )


def create_job(session: Session, body: JobCreate, credentials: CredentialResolver) -> JobRead:
    """Store a new job; the worker starts it at its next reload if it is active."""
    description = check_job(body.network, body.mode, body.options)
    now = utcnow()
    job = ListeningJob(
        network=description.network,
        mode=ListeningMode(description.mode.value),
        hashtags=body.hashtags,
        credentials_ref=body.credentials_ref,
        poll_interval_s=body.poll_interval_s,
        active=body.active,
        options=dict(body.options),
        revision=1,
        created_at=now,
        updated_at=now,
    )
    repository.add_job(session, job, _fresh_health(now))
    session.flush()
    return JobRead.from_row(job, credential_status(job, credentials))


def ensure_job(
    session: Session, body: JobCreate, credentials: CredentialResolver
) -> tuple[JobRead, bool]:
    """The job listening for exactly what ``body`` asks (same network, mode, hashtags and
    options), made active; created when there is none. True when it was created.

    ``ugc up --mastodon URL --hashtag TAG`` uses it, so that running the same command again
    does not add a second job doing the same thing.
    """
    description = check_job(body.network, body.mode, body.options)
    for job in repository.list_jobs(
        session, network=description.network, active=None, cursor=None, limit=10_000
    ):
        same = (
            job.mode.value == description.mode.value
            and sorted(job.hashtags) == sorted(body.hashtags)
            and job.options == body.options
        )
        if same:
            if job.active:
                return JobRead.from_row(job, credential_status(job, credentials)), False
            update = JobUpdate(active=True)
            return update_job(session, job.id, update, credentials), False
    return create_job(session, body, credentials), True


def get_job(session: Session, job_id: int, credentials: CredentialResolver) -> JobRead:
    job = _existing_job(session, job_id)
    return JobRead.from_row(job, credential_status(job, credentials))


def list_jobs(
    session: Session,
    credentials: CredentialResolver,
    *,
    network: str | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[JobRead]:
    jobs = repository.list_jobs(
        session, network=network, active=active, cursor=cursor, limit=limit + 1
    )
    return page_of(
        jobs,
        limit=limit,
        key=repository.id_key,
        item=lambda job: JobRead.from_row(job, credential_status(job, credentials)),
    )


def update_job(
    session: Session, job_id: int, body: JobUpdate, credentials: CredentialResolver
) -> JobRead:
    """Change the given fields, bump the revision (the worker restarts the job with the new
    definition) and clear a failing status, so that a fixed job is tried again."""
    job = _existing_job(session, job_id, for_update=True)
    given = body.model_fields_set
    mode: str | None = job.mode.value
    if "mode" in given:  # null: back to the network's default
        mode = body.mode.value if body.mode is not None else None
    options = body.options if body.options is not None else job.options
    description = check_job(job.network, mode, options)
    job.mode = ListeningMode(description.mode.value)
    job.options = dict(options)
    if body.hashtags is not None:
        job.hashtags = body.hashtags
    if "credentials_ref" in given:
        job.credentials_ref = body.credentials_ref
    if body.poll_interval_s is not None:
        job.poll_interval_s = body.poll_interval_s
    if body.active is not None:
        job.active = body.active
    now = utcnow()
    job.revision += 1
    job.updated_at = now
    health = job.health
    if health.status in (JobStatus.FAILING, JobStatus.BACKING_OFF):
        health.status = JobStatus.PENDING
        health.backoff_s = 0.0
        health.updated_at = now
    session.flush()
    return JobRead.from_row(job, credential_status(job, credentials))


def delete_job(session: Session, job_id: int) -> None:
    """Delete the job with its health and positions; the worker stops it at its next reload."""
    repository.delete_job(session, _existing_job(session, job_id))
    session.flush()


def _existing_job(session: Session, job_id: int, *, for_update: bool = False) -> ListeningJob:
    job = repository.get_job(session, job_id, for_update=for_update)
    if job is None:
        raise NotFound(f"no listening job {job_id}")
    return job


def _fresh_health(now: datetime) -> ListeningJobHealth:
    return ListeningJobHealth(
        status=JobStatus.PENDING,
        posts_collected=0,
        backoff_s=0.0,
        updated_at=now,
    )
