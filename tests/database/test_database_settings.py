"""Where the database is: one setting, read the same way by every command that opens it."""

from __future__ import annotations

import pytest

from curation_api.settings import ApiSettings
from database.settings import DatabaseSettings
from ingest.settings import IngestSettings

OPENERS: list[type[DatabaseSettings]] = [DatabaseSettings, ApiSettings, IngestSettings]


def test_the_default_is_a_sqlite_file_that_works_on_a_laptop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UGC_DATABASE_URL", raising=False)
    assert DatabaseSettings().database_url == "sqlite:///./ugc.db"


@pytest.mark.parametrize("settings_class", OPENERS)
@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_every_command_reads_a_plain_postgresql_url_as_psycopg_3(
    settings_class: type[DatabaseSettings], scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UGC_DATABASE_URL", f"{scheme}://ugc:pw@db:5432/ugc")

    settings = settings_class()

    assert settings.database_url == "postgresql+psycopg://ugc:pw@db:5432/ugc"


def test_the_api_and_ingest_declare_no_database_url_of_their_own() -> None:
    declared = DatabaseSettings.model_fields["database_url"]
    for settings_class in (ApiSettings, IngestSettings):
        field = settings_class.model_fields["database_url"]
        assert (field.default, field.description) == (declared.default, declared.description)
        assert "database_url" not in vars(settings_class).get("__annotations__", {})
