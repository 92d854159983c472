"""Engine, sessions and the declarative base shared by the API, the sink and the migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from typing_extensions import override

# Constraint names are deterministic so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 10_000
# The execution option of a connection that only reads: on SQLite its transactions begin
# DEFERRED, so that readers never queue behind the write lock (WAL lets them read while
# another connection writes). See :func:`read_only`.
READ_ONLY = "ugc_read_only"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``. SQLite has no such type: values are stored as naive UTC
    text (always with microseconds, so they still sort and compare correctly) and come back
    tagged with UTC. Naive datetimes are refused on the way in rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware values only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    @override
    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_db_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine for ``database_url`` tuned for the API and the sink writing concurrently."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    # The API runs sync routes in a thread pool, so a connection may move between threads
    # (never used by two at once).
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 driver (it does not BEGIN before SELECT or
    # SAVEPOINT); _begin_immediate issues BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers proceed while the sink writes; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    # another connection committed in between (busy_timeout cannot help there). Taking the write
    # lock at BEGIN serializes writers through busy_timeout instead; transactions are short.
    # A transaction that only reads takes no lock at BEGIN: it never waits for a writer.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read, sharing ``engine``'s pool.

    On SQLite their transactions begin DEFERRED instead of IMMEDIATE; a write in one would
    fail with ``SQLITE_BUSY`` under contention, so only reads belong there. Elsewhere they are
    the same as :func:`create_session_factory`'s."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}))


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory of one deployable (the API's requests, the sink's batches)."""
    return sessionmaker(bind=engine)
