"""The connector registry: which networks exist, what they need, and how connectors are built."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest

from database.enums import ListeningMode
from ingest.connectors import registry
from ingest.connectors.base import ConfigError, JobSpec
from ingest.connectors.spec import ConnectorSpec
from listening import networks
from tests.ingest.jobs_fakes import (
    VALID_TOKEN,
    FakenetConnector,
    FakenetStreamConnector,
    fake_network,
    new_feed,
)

BROKEN = networks.Network("broken", {ListeningMode.POLL: networks.Credentials()}, {})


@pytest.mark.parametrize("name", ["tiktok", "TikTok", " tiktok "])
def test_tiktok_is_refused_because_its_api_is_not_open_to_brands(name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        registry.network(name)

    message = str(refused.value)
    assert "Research API" in message
    assert "non-profit researchers" in message
    assert "not available to brands" in message


def test_an_unknown_network_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as refused:
        registry.network("myspace")

    for name in ("mastodon", "bluesky", "x", "instagram", "reddit", "youtube"):
        assert name in str(refused.value)


def test_the_six_networks_are_known_and_only_mastodon_and_bluesky_stream() -> None:
    assert registry.known_networks() == [
        "bluesky",
        "instagram",
        "mastodon",
        "reddit",
        "x",
        "youtube",
    ]
    streaming = {n for n in registry.known_networks() if "stream" in registry.network(n).modes}
    assert streaming == {"mastodon", "bluesky"}
    assert registry.network("bluesky").default_mode is ListeningMode.STREAM
    assert registry.network("x").default_mode is ListeningMode.POLL


def test_a_mode_the_network_lacks_is_refused() -> None:
    with pytest.raises(ConfigError, match="x cannot stream"):
        registry.describe("x", "stream")


def test_describe_reads_names_from_the_registered_description() -> None:
    with fake_network():
        polling = registry.describe("fakenet")
        streaming = registry.describe("fakenet", "stream")

    assert polling.mode is ListeningMode.POLL
    assert polling.required_credentials == ("token",)
    assert streaming.required_credentials == ()  # the description says so per mode
    assert {"feed", "preload", "backfill_pages"} <= set(polling.options)
    assert polling.options == streaming.options


def test_the_real_mastodon_connector_describes_itself() -> None:
    described = registry.describe("mastodon")

    assert described.required_credentials == ()
    assert "access_token" in described.optional_credentials
    assert "base_url" in described.options


def test_connectors_are_built_from_a_job_by_network_name() -> None:
    feed = new_feed()
    job = JobSpec(
        "1", "fakenet", ("brand",), options={"feed": feed.name}, credentials={"token": VALID_TOKEN}
    )
    with fake_network():
        connector = registry.polling_connector(job)
        stream = registry.streaming_connector(job)

    assert isinstance(connector, FakenetConnector)
    assert stream is not None
    assert stream.network == "mastodon"
    assert registry.streaming_connector(JobSpec("2", "x", ("brand",))) is None


def test_registering_a_network_lasts_only_for_the_block() -> None:
    with fake_network():
        assert "fakenet" in registry.known_networks()
    assert "fakenet" not in registry.known_networks()


def test_a_connector_package_that_cannot_be_imported_breaks_only_its_own_jobs() -> None:
    # Known to the API, but `ingest.connectors.broken` does not exist.
    with networks.register(BROKEN), pytest.raises(ConfigError) as failed:
        registry.polling_connector(JobSpec("1", "broken", ("brand",)))

    assert "the broken connector cannot be loaded (" in str(failed.value)
    assert "ingest.connectors.broken" in str(failed.value)
    mastodon = registry.polling_connector(JobSpec("2", "mastodon", ("brand",)))
    mastodon.close()
    assert mastodon.network == "mastodon"


def test_a_package_whose_import_fails_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # What Python does with a package whose import failed earlier in the process.
    monkeypatch.setitem(sys.modules, "ingest.connectors.broken", None)
    with networks.register(BROKEN), pytest.raises(ConfigError, match="cannot be loaded"):
        registry.streaming_connector(JobSpec("1", "broken", ("brand",)))


@pytest.mark.parametrize("spec", ["not a spec", None, "another network's"])
def test_a_package_without_its_own_spec_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, spec: str | None
) -> None:
    package = ModuleType("ingest.connectors.broken")
    if spec == "another network's":
        package.SPEC = ConnectorSpec(networks.network("x"), polling=FakenetConnector)  # type: ignore[attr-defined]
    elif spec is not None:
        package.SPEC = spec  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingest.connectors.broken", package)

    with networks.register(BROKEN), pytest.raises(ConfigError, match="has no SPEC for it"):
        registry.polling_connector(JobSpec("1", "broken", ("brand",)))


@pytest.mark.parametrize("name", networks.known_networks())
def test_each_network_package_exports_the_spec_of_its_network(name: str) -> None:
    package = importlib.import_module(f"ingest.connectors.{name}")
    spec = registry.connectors(name)

    assert package.SPEC is spec
    assert spec.network is networks.network(name)
    assert (spec.polling is not None) == (ListeningMode.POLL in spec.network.modes)
    assert (spec.streaming is not None) == (ListeningMode.STREAM in spec.network.modes)
    assert "SPEC" in package.__all__
    assert all(hasattr(package, exported) for exported in package.__all__)
    for built in (spec.polling, spec.streaming):
        assert built is None or built.__name__ in package.__all__


def test_a_spec_names_a_class_for_each_mode_of_its_network_and_no_other() -> None:
    with pytest.raises(ValueError, match="lacks a stream class"):
        ConnectorSpec(networks.network("mastodon"), polling=FakenetConnector)
    with pytest.raises(ValueError, match="has a stream class"):
        ConnectorSpec(BROKEN, polling=FakenetConnector, streaming=FakenetStreamConnector)
    with pytest.raises(ValueError, match="lacks a poll class"):
        ConnectorSpec(BROKEN)
