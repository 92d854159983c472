"""The Alembic migrations produce exactly the schema the models declare."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect

from curation_api.db import Base, create_db_engine
from curation_api.migrate import downgrade, upgrade


def test_migrated_schema_matches_the_models_exactly(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrated_check_constraints_match_the_models(engine: Engine) -> None:
    # Autogenerate does not compare CHECK constraints; the enum columns depend on them.
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        declared = {str(c.name) for c in table.constraints if isinstance(c, CheckConstraint)}
        reflected = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert reflected == declared, table.name


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    upgrade(database_url)


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    downgrade(url, "base")
    engine = create_db_engine(url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version"]
        upgrade(url)
        assert set(inspect(engine).get_table_names()) == {"alembic_version", *Base.metadata.tables}
    finally:
        engine.dispose()
