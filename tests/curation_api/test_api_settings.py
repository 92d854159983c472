"""Settings of the curation API and sink."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from curation_api.settings import ApiSettings


def test_production_refuses_the_placeholder_moderator_key() -> None:
    with pytest.raises(ValidationError, match="UGC_MODERATOR_API_KEY"):
        ApiSettings(env="production")


def test_production_accepts_a_real_key() -> None:
    assert ApiSettings(env="production", moderator_api_key="s3cr3t-from-vault").env == "production"


def test_development_defaults_work_on_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UGC_DATABASE_URL", "UGC_MODERATOR_API_KEY", "UGC_ENV", "UGC_CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    settings = ApiSettings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.cors_origin_list == ["*"]


def test_settings_are_read_from_ugc_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGC_SINK_BATCH_SIZE", "50")
    monkeypatch.setenv("UGC_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = ApiSettings()
    assert settings.sink_batch_size == 50
    assert settings.cors_origin_list == ["https://a.example", "https://b.example"]


def test_every_setting_is_described_for_the_readme() -> None:
    undocumented = [n for n, f in ApiSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_the_moderator_key_stays_out_of_repr() -> None:
    assert "hunter2" not in repr(ApiSettings(moderator_api_key="hunter2"))


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_plain_postgresql_url_uses_psycopg_3(scheme: str) -> None:
    settings = ApiSettings(database_url=f"{scheme}://ugc:pw@db:5432/ugc")
    assert settings.database_url == "postgresql+psycopg://ugc:pw@db:5432/ugc"


def test_the_sink_dead_letter_cap_reads_its_new_names_and_the_deprecated_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UGC_SINK_MAX_DEAD_LETTER_RATIO", "0.2")
    assert ApiSettings().sink_dlq_max_ratio == 0.2

    monkeypatch.setenv("UGC_SINK_DLQ_MAX_RATIO", "0.3")
    monkeypatch.setenv("UGC_SINK_DLQ_WINDOW", "400")
    settings = ApiSettings()
    assert (settings.sink_dlq_max_ratio, settings.sink_dlq_window) == (0.3, 400)


def test_the_sink_dead_letter_cap_defaults_to_half_of_the_last_thousand_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("UGC_SINK_DLQ_MAX_RATIO", "UGC_SINK_MAX_DEAD_LETTER_RATIO", "UGC_SINK_DLQ_WINDOW"):
        monkeypatch.delenv(name, raising=False)
    settings = ApiSettings()
    assert (settings.sink_dlq_max_ratio, settings.sink_dlq_window) == (0.5, 1000)
