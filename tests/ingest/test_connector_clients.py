"""One rule for every connector, polling and streaming: ``close()`` closes an HTTP client the
connector made, never one it was given (its caller may still be using it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from database.enums import ListeningMode
from ingest.connectors import registry
from ingest.connectors.base import JobSpec
from listening import networks

#: What each network's ``from_job`` needs to build without asking anything.
NEEDS: dict[str, dict[str, Any]] = {
    "mastodon": {},
    "bluesky": {},
    "x": {"credentials": {"bearer_token": "x-token"}},
    "instagram": {"credentials": {"access_token": "ig-token"}, "options": {"ig_user_id": "17"}},
    "reddit": {},
    "youtube": {"credentials": {"api_key": "yt-key"}},
}
CONNECTORS = [
    pytest.param(name, mode, id=f"{name}-{mode.value}")
    for name in networks.known_networks()
    for mode in networks.network(name).modes
]


def test_every_network_is_covered() -> None:
    assert set(NEEDS) == set(networks.known_networks())


def build(name: str, mode: ListeningMode, tmp_path: Path, **hooks: Any) -> Any:
    needs = NEEDS[name]
    job = JobSpec(
        job_id=f"{name}-clients",
        network=name,
        hashtags=("brand",),
        options={"state_dir": str(tmp_path), **needs.get("options", {})},
        credentials=needs.get("credentials", {}),
    )
    if mode is ListeningMode.STREAM:
        return registry.streaming_connector(job, **hooks)
    return registry.polling_connector(job, **hooks)


@pytest.mark.parametrize(("name", "mode"), CONNECTORS)
def test_a_client_passed_in_stays_open_after_close(
    name: str, mode: ListeningMode, tmp_path: Path
) -> None:
    with httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(503))) as client:
        connector = build(name, mode, tmp_path, client=client)
        connector.close()

        assert not client.is_closed


@pytest.mark.parametrize(("name", "mode"), CONNECTORS)
def test_a_client_the_connector_made_is_closed_by_close(
    name: str, mode: ListeningMode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[httpx.Client] = []
    make = httpx.Client.__init__

    def recording(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        make(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(httpx.Client, "__init__", recording)
    connector = build(name, mode, tmp_path)

    # Jetstream is a websocket: no HTTP client at all. Mastodon's stream shares one with its
    # REST catch-up.
    assert len(made) == (0 if (name, mode) == ("bluesky", ListeningMode.STREAM) else 1)
    assert not any(client.is_closed for client in made)
    connector.close()
    assert all(client.is_closed for client in made)
