"""Where listening jobs' secrets are: one setting for the API and the ingest commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation_api.settings import ApiSettings
from ingest.settings import IngestSettings
from listening.settings import SecretsSettings


def test_without_a_secrets_file_only_the_environment_holds_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("UGC_SECRETS_FILE", raising=False)
    assert SecretsSettings().secrets_file is None


@pytest.mark.parametrize("settings_class", [SecretsSettings, ApiSettings, IngestSettings])
def test_the_api_and_ingest_read_the_same_secrets_file(
    settings_class: type[SecretsSettings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UGC_SECRETS_FILE", str(tmp_path / "secrets.toml"))

    assert settings_class().secrets_file == tmp_path / "secrets.toml"


def test_the_api_and_ingest_declare_no_secrets_file_of_their_own() -> None:
    for settings_class in (ApiSettings, IngestSettings):
        assert "secrets_file" not in vars(settings_class).get("__annotations__", {})
