"""Alembic environment of the curation database.

Run programmatically by :mod:`database.migrate` (the URL arrives as a config attribute) or
by the ``alembic`` command with ``-c database/migrations/alembic.ini`` when writing a new
revision (the URL then comes from the database's own settings, i.e. ``UGC_DATABASE_URL``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import database.models  # noqa: F401  (registers every table, rights and outbox too, on Base.metadata)
from database.engine import Base, create_db_engine
from database.settings import DatabaseSettings

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    return DatabaseSettings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_database_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(_database_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
