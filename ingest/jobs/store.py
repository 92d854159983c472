"""The jobs worker's view of the curation database: job definitions in, health and positions out.

Every call is one short transaction of its own: job threads report concurrently, and a long
transaction would hold SQLite's write lock against the API and the sink.

Health written by a job thread is tied to the job's *revision*: a thread still finishing the
previous definition of a job that was just edited cannot mark the new one failing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from contract import utcnow
from database.engine import create_db_engine, create_session_factory
from database.enums import JobStatus, ListeningMode
from database.models import ListeningJob, ListeningJobHealth, ListeningPosition
from ingest.connectors.base import Budget, JobStopped

log = logging.getLogger(__name__)

#: Longest error message kept in the health row (a network's message, never a secret).
MAX_ERROR_CHARS = 2000


class SchemaMissing(RuntimeError):
    """The database has no listening tables yet (``ugc db upgrade`` was not run)."""


@dataclass(frozen=True)
class JobDefinition:
    """A job as stored, without secrets: its credentials are resolved by the thread that runs
    it, and only for as long as it runs."""

    id: int
    revision: int
    network: str
    mode: ListeningMode
    hashtags: tuple[str, ...]
    credentials_ref: str | None
    poll_interval_s: float
    active: bool
    options: dict[str, Any] = field(default_factory=dict)
    status: JobStatus = JobStatus.PENDING

    @classmethod
    def from_row(cls, job: ListeningJob) -> JobDefinition:
        return cls(
            id=job.id,
            revision=job.revision,
            network=job.network,
            mode=job.mode,
            hashtags=tuple(job.hashtags),
            credentials_ref=job.credentials_ref,
            poll_interval_s=job.poll_interval_s,
            active=job.active,
            options=dict(job.options),
            status=job.health.status,
        )

    @property
    def label(self) -> str:
        """How logs name the job: ``job 3 (mastodon #brand #other)``."""
        return f"job {self.id} ({self.network} {' '.join(f'#{t}' for t in self.hashtags)})"


class JobStore:
    """Job definitions, health and positions in the curation database."""

    def __init__(self, sessions: sessionmaker[Session], *, engine: Engine | None = None) -> None:
        self._sessions = sessions
        self._engine = engine

    @classmethod
    def connect(cls, database_url: str) -> JobStore:
        """A store on ``database_url``; :class:`SchemaMissing` when it was never migrated."""
        engine = create_db_engine(database_url)
        if not inspect(engine).has_table(ListeningJob.__tablename__):
            engine.dispose()
            raise SchemaMissing(
                "the database has no listening jobs table: run `ugc db upgrade` first"
            )
        return cls(create_session_factory(engine), engine=engine)

    def session(self) -> Session:
        """A session of its own (the CLI uses it with the listening service)."""
        return self._sessions()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def jobs(self) -> list[JobDefinition]:
        """Every job, active or not, in id order."""
        with self._sessions() as session:
            rows = session.scalars(select(ListeningJob).order_by(ListeningJob.id))
            return [JobDefinition.from_row(job) for job in rows]

    def job(self, job_id: int) -> JobDefinition | None:
        with self._sessions() as session:
            row = session.get(ListeningJob, job_id)
            return None if row is None else JobDefinition.from_row(row)

    def positions(self, job_id: int) -> JobPositions:
        return JobPositions(self._sessions, job_id)

    def health(self, job: JobDefinition) -> JobHealth:
        return JobHealth(self._sessions, job.id, job.revision)


class JobPositions:
    """A :class:`~ingest.connectors.runner.PositionStore` kept in ``listening_positions``."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int) -> None:
        self._sessions = sessions
        self.job_id = job_id

    @staticmethod
    def encode_key(key: Sequence[str]) -> str:
        # Percent-encoded parts joined by `/`: unambiguous whatever a tag or host contains.
        return "/".join(quote(part, safe="") for part in key)

    def load(self, key: Sequence[str]) -> str | None:
        with self._sessions() as session:
            return session.scalar(
                select(ListeningPosition.position).where(
                    ListeningPosition.job_id == self.job_id,
                    ListeningPosition.key == self.encode_key(key),
                )
            )

    def save(self, key: Sequence[str], position: str) -> None:
        """Upsert the position; :class:`JobStopped` if the job was deleted meanwhile."""
        values = {
            "job_id": self.job_id,
            "key": self.encode_key(key),
            "position": position,
            "updated_at": utcnow(),
        }
        with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = insert(ListeningPosition).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=["job_id", "key"],
                set_={"position": statement.excluded.position, "updated_at": values["updated_at"]},
            )
            try:
                session.execute(statement)
                session.commit()
            except IntegrityError:
                session.rollback()
                raise JobStopped from None  # the job (and its positions) were deleted


class JobHealth:
    """A :class:`~ingest.connectors.runner.HealthReporter` writing ``listening_job_health``
    for one revision of a job (reports of an older revision are dropped)."""

    def __init__(self, sessions: sessionmaker[Session], job_id: int, revision: int) -> None:
        self._sessions = sessions
        self.job_id = job_id
        self.revision = revision

    def poll_succeeded(self, *, collected: int, budget: Budget | None) -> None:
        now = utcnow()
        values: dict[str, Any] = {
            "status": JobStatus.OK,
            "last_success_at": now,
            "backoff_s": 0.0,
            "updated_at": now,
        }
        if budget is not None:
            values |= {
                "budget_remaining": budget.remaining,
                "budget_limit": budget.limit,
                "budget_unit": budget.unit,
                "budget_resets_at": budget.resets_at,
            }
        self._write(values, collected=collected)

    def poll_failed(self, *, error: str, backoff_s: float) -> None:
        now = utcnow()
        self._write(
            {
                "status": JobStatus.BACKING_OFF,
                "last_error": error[:MAX_ERROR_CHARS],
                "last_error_at": now,
                "backoff_s": backoff_s,
                "updated_at": now,
            }
        )

    def job_failing(self, *, error: str) -> None:
        now = utcnow()
        self._write(
            {
                "status": JobStatus.FAILING,
                "last_error": error[:MAX_ERROR_CHARS],
                "last_error_at": now,
                "backoff_s": 0.0,
                "updated_at": now,
            }
        )

    def _write(self, values: dict[str, Any], *, collected: int = 0) -> None:
        current_revision = (
            select(ListeningJob.revision).where(ListeningJob.id == self.job_id).scalar_subquery()
        )
        try:
            self._execute(values, current_revision, collected)
        except SQLAlchemyError as exc:
            # Health is for people to read: a busy database must not stop the job itself.
            log.warning("job %s: could not record its health (%s)", self.job_id, exc)

    def _execute(self, values: dict[str, Any], current_revision: Any, collected: int) -> None:
        health = ListeningJobHealth
        with self._sessions() as session:
            if collected:
                # Posts were produced whatever the revision: always counted.
                session.execute(
                    update(health)
                    .where(health.job_id == self.job_id)
                    .values(posts_collected=health.posts_collected + collected)
                )
            session.execute(
                update(health)
                .where(health.job_id == self.job_id, current_revision == self.revision)
                .values(values)
            )
            session.commit()
