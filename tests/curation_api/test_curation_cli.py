"""The `db upgrade`, `api` and `sink` commands that `ugc` mounts."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from curation_api.cli import api_command, db_group, sink_command
from curation_api.settings import ApiSettings
from database.engine import Base, create_db_engine


def test_db_upgrade_creates_the_schema_in_the_configured_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("UGC_DATABASE_URL", url)

    result = CliRunner().invoke(db_group, ["upgrade"])

    assert result.exit_code == 0, result.output
    assert "revision head" in result.output
    engine = create_db_engine(url)
    try:
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_hides_the_database_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("database.migrate.upgrade", lambda _url, _revision: None)
    monkeypatch.setenv("UGC_DATABASE_URL", "postgresql+psycopg://ugc:hunter2@db/ugc")
    result = CliRunner().invoke(db_group, ["upgrade"])
    assert result.exit_code == 0
    assert "hunter2" not in result.output


def test_db_upgrade_reads_only_the_database_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production refuses the placeholder moderator key, but migrating needs no key at all.
    monkeypatch.setattr("database.migrate.upgrade", lambda _url, _revision: None)
    monkeypatch.setenv("UGC_ENV", "production")
    monkeypatch.delenv("UGC_MODERATOR_API_KEY", raising=False)
    monkeypatch.setenv("UGC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")

    result = CliRunner().invoke(db_group, ["upgrade"])

    assert result.exit_code == 0, result.output


def test_api_serves_on_the_host_and_port_given(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[ApiSettings] = []
    monkeypatch.setattr("curation_api.app.serve", served.append)

    result = CliRunner().invoke(api_command, ["--host", "0.0.0.0", "--port", "9001"])

    assert result.exit_code == 0, result.output
    assert (served[0].api_host, served[0].api_port) == ("0.0.0.0", 9001)


@pytest.mark.parametrize("command", [api_command, sink_command, db_group])
def test_commands_explain_themselves(command: click.Command) -> None:
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    assert result.output.strip()
