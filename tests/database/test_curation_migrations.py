"""The Alembic migrations produce exactly the schema the models declare."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, func, inspect, select
from sqlalchemy.orm import Session

from contract import DetectedLanguage
from curation_api.sink.repository import upsert_scored_posts
from database.engine import Base, create_db_engine
from database.migrate import downgrade, upgrade
from database.models import ModerationAction, ModerationVerb, Post, PostHashtag
from tests.curation_api.curation_factories import T0, scored_post

LANGUAGE_COLUMNS = {
    "detected_language",
    "language_confidence",
    "language_supported",
    "low_confidence",
}


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


def test_migrated_partial_index_predicates_match_the_models(engine: Engine) -> None:
    # Autogenerate compares an index's columns but not its WHERE: a wrong predicate would go
    # unnoticed there, and the queue would run without its index.
    dialect = engine.dialect
    inspector = inspect(engine)
    compared: dict[str, str | None] = {}
    for table in Base.metadata.sorted_tables:
        reflected = {
            str(i["name"]): _predicate(i.get("dialect_options", {}).get(f"{dialect.name}_where"))
            for i in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            where = index.dialect_options[dialect.name]["where"]
            declared = None
            if where is not None:
                compiled = where.compile(
                    dialect=dialect, compile_kwargs={"include_table": False, "literal_binds": True}
                )
                declared = _predicate(compiled)
            assert reflected[str(index.name)] == declared, index.name
            compared[str(index.name)] = declared
    assert compared["ix_posts_low_confidence_status_created_at_post_id"] is not None


def _predicate(where: object) -> str | None:
    return None if where is None else str(where).strip().strip("()").strip()


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


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, which a test may migrate up and down at will."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        create: Callable[[], str] = request.getfixturevalue("postgres_databases")
        yield create()


def test_downgrading_the_detected_language_keeps_every_row_and_upgrading_restores_it(
    fresh_database_url: str,
) -> None:
    # Rebuilding `posts` (what batch mode does on SQLite by default) would cascade-delete the
    # hashtags through the foreign key, or fail on the audit log: every step must be in place.
    url = fresh_database_url
    upgrade(url)
    engine = create_db_engine(url)
    unsure = DetectedLanguage(code="fr", confidence=0.4, supported=False)
    post = scored_post(hashtags=["mybrand", "sale"], detected_language=unsure, low_confidence=True)
    try:
        with Session(engine) as session:
            upsert_scored_posts(session, [post])
            session.add(
                ModerationAction(
                    post_id=post.post_id, action=ModerationVerb.APPROVE, actor="ana", at=T0
                )
            )
            session.commit()

        downgrade(url, "0001")
        columns = {c["name"] for c in inspect(engine).get_columns("posts")}
        assert not LANGUAGE_COLUMNS & columns
        assert _row_counts(engine) == (1, 2, 1)

        upgrade(url)
        assert _row_counts(engine) == (1, 2, 1)
        with Session(engine) as session:
            row = session.get(Post, post.post_id)
            assert row is not None
            # What the downgrade dropped is gone; the flag comes back as its server default.
            assert (row.detected_language, row.language_supported, row.low_confidence) == (
                None,
                None,
                False,
            )
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def _row_counts(engine: Engine) -> tuple[int | None, ...]:
    with Session(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Post, PostHashtag, ModerationAction)
        )
