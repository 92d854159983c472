"""The connector registry: which networks exist, what they need, and how connectors are built."""

from __future__ import annotations

import pytest

from database.models import ListeningMode
from ingest.connectors import registry
from ingest.connectors.base import ConfigError, JobSpec
from listening import networks
from tests.ingest.jobs_fakes import VALID_TOKEN, FakenetConnector, fake_network, new_feed


@pytest.mark.parametrize("name", ["tiktok", "TikTok", " tiktok "])
def test_tiktok_is_refused_because_its_api_is_not_open_to_brands(name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        registry.network(name)

    message = str(refused.value)
    assert "Research API" in message and "non-profit researchers" in message
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


def test_describe_reads_names_from_the_connector_module() -> None:
    with fake_network():
        polling = registry.describe("fakenet")
        streaming = registry.describe("fakenet", "stream")

    assert polling.mode is ListeningMode.POLL
    assert polling.required_credentials == ("token",)
    assert streaming.required_credentials == ()  # the stream class says so itself
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
    assert stream is not None and stream.network == "mastodon"
    assert registry.streaming_connector(JobSpec("2", "x", ("brand",))) is None


def test_registering_a_network_lasts_only_for_the_block() -> None:
    with fake_network():
        assert "fakenet" in registry.known_networks()
    assert "fakenet" not in registry.known_networks()


def test_a_connector_that_cannot_be_imported_is_a_config_error() -> None:
    broken = registry.Network("broken", "ingest.connectors.does_not_exist")
    described = networks.Network("broken", {ListeningMode.POLL: networks.Credentials()}, {})
    with registry.register(broken, described), pytest.raises(ConfigError, match="cannot be loaded"):
        registry.polling_connector(JobSpec("1", "broken", ("brand",)))
