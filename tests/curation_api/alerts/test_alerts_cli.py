"""``ugc alerts list|show|ack|resolve|snooze|unsnooze`` on a real database file."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from curation_api.alerts import service
from curation_api.alerts.cli import COMMANDS
from database.engine import create_db_engine
from database.migrate import upgrade
from tests.curation_api.alerts.alert_factories import T0, alert


@click.group()
def alerts() -> None:
    """The group the lead wires as `ugc alerts`."""


for _command in COMMANDS:
    alerts.add_command(_command)


@pytest.fixture
def incident_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("UGC_DATABASE_URL", url)
    monkeypatch.setenv("UGC_PUBLIC_BASE_URL", "https://ugc.example")
    engine = create_db_engine(url)
    message = alert()
    with Session(engine) as session, session.begin():
        service.apply_alert(session, message, now=T0, base_url="https://ugc.example")
    engine.dispose()
    return message.alert_id


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(alerts, list(args))
    return result.exit_code, result.output


def test_list_show_ack_and_resolve_an_incident(incident_id: str) -> None:
    code, listed = run("list", "--status", "firing")
    assert code == 0, listed
    assert [i["id"] for i in json.loads(listed)["items"]] == [incident_id]

    code, shown = run("show", incident_id)
    assert json.loads(shown)["queue_url"].endswith(quote(incident_id, safe=""))

    code, acked = run("ack", incident_id, "--as", "ana")
    assert json.loads(acked)["acknowledged_by"] == "cli:ana"

    code, resolved = run("resolve", incident_id, "--as", "ana")
    assert (json.loads(resolved)["status"], json.loads(resolved)["resolved_by"]) == (
        "resolved",
        "cli:ana",
    )


def test_a_refused_change_exits_1_with_the_reason(incident_id: str) -> None:
    run("resolve", incident_id)

    code, output = run("ack", incident_id)

    assert code == 1
    assert "is resolved" in output
    assert run("show", "nope:1")[0] == 1


@pytest.mark.usefixtures("incident_id")
def test_snooze_and_unsnooze_a_hashtag() -> None:
    code, snoozed = run("snooze", "#TrailPeak", "--minutes", "30")
    assert code == 0, snoozed
    assert json.loads(snoozed)["snoozed_until"] is not None

    code, cleared = run("unsnooze", "trailpeak")
    assert json.loads(cleared)["snoozed_until"] is None
