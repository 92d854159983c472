"""docker-compose.yml cannot be run here (no Docker engine); check what can be checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from classify.settings import ClassifySettings
from classify.spikes.settings import SpikeSettings
from contract.settings import KafkaSettings
from curation_api.alerts.settings import AlertsSinkSettings
from curation_api.media.settings import MediaSettings
from curation_api.rights.settings import RightsWorkerSettings
from curation_api.settings import ApiSettings
from curation_api.webhooks.settings import WebhookSettings
from ingest.settings import IngestSettings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"

# What each command reads, and which of its settings have no safe default in production.


class ApiWithMedia(ApiSettings, MediaSettings):
    """The API reads the media settings too (it serves the copies from the store)."""


COMMANDS: dict[str, tuple[type[BaseSettings], set[str]]] = {
    "topics create": (KafkaSettings, {"kafka_bootstrap_servers"}),
    "db upgrade": (ApiSettings, {"database_url"}),
    "api": (ApiWithMedia, {"database_url", "moderator_api_key"}),
    "sink": (ApiSettings, {"kafka_bootstrap_servers", "database_url", "moderator_api_key"}),
    "classify worker": (ClassifySettings, {"kafka_bootstrap_servers"}),
    "rights worker": (
        RightsWorkerSettings,
        {"kafka_bootstrap_servers", "database_url", "rights_public_base_url"},
    ),
    "alerts worker": (SpikeSettings, {"kafka_bootstrap_servers", "database_url"}),
    "alerts sink": (
        AlertsSinkSettings,
        {"kafka_bootstrap_servers", "database_url", "moderator_api_key", "public_base_url"},
    ),
    "webhooks deliver": (WebhookSettings, {"database_url"}),
    "media worker": (MediaSettings, {"database_url", "media_directory"}),
    # Credentials can only come from the secrets file: UGC_CRED_* variables are not settings.
    "ingest run": (
        IngestSettings,
        {"kafka_bootstrap_servers", "database_url", "secrets_file"},
    ),
    "ingest rights": (
        IngestSettings,
        {"kafka_bootstrap_servers", "database_url", "secrets_file"},
    ),
}
NOT_SETTINGS = {"UGC_LOG_LEVEL"}  # read by the `ugc` command itself


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _ugc_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in _compose()["services"].items()
        if service.get("image", "").startswith("ugc-pipeline")
    }


def _command_key(service: dict[str, Any]) -> str:
    words = [w for w in service["command"] if not w.startswith("-")]
    for key in COMMANDS:
        if words[: len(key.split())] == key.split():
            return key
    raise AssertionError(f"unknown command {service['command']}")


def _resolve(value: str) -> str:
    """Interpolate like compose with an empty environment: defaults, and `?` as a real value."""

    def substitute(match: re.Match[str]) -> str:
        operator, word = match.group(2), match.group(3) or ""
        return "set-by-operator-1234" if operator == ":?" else word

    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", substitute, str(value))


def test_every_process_kind_has_a_service() -> None:
    assert {_command_key(s) for s in _ugc_services().values()} == set(COMMANDS)
    assert {"kafka", "postgres"} <= set(_compose()["services"])


@pytest.mark.parametrize("name", sorted(_ugc_services()))
def test_service_sets_every_variable_its_command_requires(name: str) -> None:
    service = _ugc_services()[name]
    settings_class, required = COMMANDS[_command_key(service)]
    env = {k: _resolve(v) for k, v in service["environment"].items()}
    prefix = "UGC_"
    known = {prefix + field.upper() for field in settings_class.model_fields}
    unknown = {k for k in env if k.startswith(prefix)} - known - NOT_SETTINGS
    assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"
    missing = {prefix + f.upper() for f in required} - set(env)
    assert not missing, f"{name} leaves {sorted(missing)} to a laptop default"
    assert env["UGC_ENV"] == "production"
    values = {k[len(prefix) :].lower(): v for k, v in env.items() if k in known}
    settings_class.model_validate(values)  # production values validate


def test_kafka_runs_in_kraft_mode() -> None:
    kafka = _compose()["services"]["kafka"]["environment"]
    assert "controller" in kafka["KAFKA_PROCESS_ROLES"]
    assert not any(key.startswith("KAFKA_ZOOKEEPER") for key in kafka)


def test_dependencies_wait_for_health_or_completion() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert (
            "healthcheck" in service
            or service.get("restart") == "no"
            or name
            in {
                "sink",
                "alerts",
                "alerts-sink",
                "webhooks",
                "media",
                "rights-worker",
                "ingest-rights",
                "classify",
                "ingest-jobs",
            }
        ), f"{name} has no healthcheck"
        for target, rule in (service.get("depends_on") or {}).items():
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            else:
                assert condition == "service_completed_successfully"
                assert services[target].get("restart") == "no", f"{target} is a one-shot job"


def test_jobs_worker_starts_after_the_migrations_and_the_topics() -> None:
    [worker] = [s for s in _ugc_services().values() if _command_key(s) == "ingest run"]
    assert {target: rule["condition"] for target, rule in worker["depends_on"].items()} == {
        "migrate": "service_completed_successfully",
        "topics": "service_completed_successfully",
    }


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> ``host-or-volume[:mode]`` of a service's short-syntax volumes."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *mode = _resolve(volume).split(":")
        mounts[target] = ":".join([source, *mode])
    return mounts


@pytest.mark.parametrize("name", sorted(_ugc_services()))
def test_the_secrets_file_a_service_reads_is_mounted_read_only(name: str) -> None:
    service = _ugc_services()[name]
    path = service["environment"].get("UGC_SECRETS_FILE")
    if path is None:
        return
    assert _mounts(service).get(path, "").endswith(":ro"), f"{name}: {path} is not mounted"


def test_jobs_worker_keeps_its_state_files_in_a_volume() -> None:
    # Instagram's hashtag budget and YouTube's quota ledger default to `.ugc/state`, relative
    # to the working directory: it must be a volume (kept across restarts) the image can write.
    [worker] = [s for s in _ugc_services().values() if _command_key(s) == "ingest run"]
    volume = _mounts(worker)[worker["working_dir"]]
    assert volume in _compose()["volumes"]
