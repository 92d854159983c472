"""``ugc ingest rights`` builds the brand's account on every network it configured, and only
those; building one makes no request (the login happens at the first send)."""

from __future__ import annotations

import httpx
import pytest

from ingest.connectors.from_job import Wiring
from ingest.rights.network import RightsConfigError
from ingest.rights.run import networks_from_settings
from ingest.settings import IngestSettings

ALL = {
    "UGC_CRED_M_ACCESS_TOKEN": "m",
    "UGC_CRED_B_IDENTIFIER": "brand.bsky.social",
    "UGC_CRED_B_APP_PASSWORD": "pw",
    "UGC_CRED_R_CLIENT_ID": "id",
    "UGC_CRED_R_CLIENT_SECRET": "secret",
    "UGC_CRED_R_REFRESH_TOKEN": "refresh",
    "UGC_CRED_Y_CLIENT_ID": "id",
    "UGC_CRED_Y_CLIENT_SECRET": "secret",
    "UGC_CRED_Y_REFRESH_TOKEN": "refresh",
    "UGC_CRED_X_ACCESS_TOKEN": "x",
    "UGC_CRED_I_ACCESS_TOKEN": "i",
    "UGC_CRED_I_IG_USER_ID": "178",
}


def _configured(**extra: object) -> IngestSettings:
    return IngestSettings(
        rights_mastodon_base_url="https://brand.example",
        rights_mastodon_credentials="m",
        rights_bluesky_credentials="b",
        rights_reddit_credentials="r",
        rights_youtube_credentials="y",
        rights_x_credentials="x",
        rights_instagram_credentials="i",
        secrets_file=None,
        **extra,  # type: ignore[arg-type]
    )


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"building an account made a request: {request.url}")


def test_every_configured_network_is_built_without_a_request() -> None:
    client = httpx.Client(transport=httpx.MockTransport(_refuse))
    networks = networks_from_settings(_configured(), ALL, Wiring(client=client))
    assert sorted(networks) == ["bluesky", "instagram", "mastodon", "reddit", "x", "youtube"]
    assert all(name == n.network for name, n in networks.items())
    assert len({n.account for n in networks.values()}) == 6
    for network in networks.values():
        network.close()
    client.close()


def test_no_configured_network_means_every_request_is_manual() -> None:
    assert networks_from_settings(IngestSettings(secrets_file=None), ALL, Wiring()) == {}


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        ("UGC_CRED_B_APP_PASSWORD", "UGC_CRED_B_APP_PASSWORD"),
        ("UGC_CRED_R_REFRESH_TOKEN", "UGC_CRED_R_REFRESH_TOKEN"),
        ("UGC_CRED_I_IG_USER_ID", "UGC_CRED_I_IG_USER_ID"),
    ],
)
def test_a_missing_secret_is_named_before_anything_starts(missing: str, words: str) -> None:
    environ = {k: v for k, v in ALL.items() if k != missing}
    with pytest.raises(RightsConfigError, match=words):
        networks_from_settings(_configured(), environ, Wiring())


def test_a_blank_credentials_reference_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker-compose passes an unset variable as "".
    monkeypatch.setenv("UGC_RIGHTS_X_CREDENTIALS", "")
    monkeypatch.setenv("UGC_RIGHTS_MASTODON_BASE_URL", " ")
    settings = IngestSettings(secrets_file=None)
    assert (settings.rights_x_credentials, settings.rights_mastodon_base_url) == (None, None)
    assert networks_from_settings(settings, ALL, Wiring()) == {}
