"""Apply the Alembic migrations that ship inside the package, without an ``alembic.ini``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration built in code, so that it works from an installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Handed over as an attribute, not a main option: ConfigParser would choke on the '%' of a
    # URL-encoded password.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` up to ``revision`` (all migrations by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)
