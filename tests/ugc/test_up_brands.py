"""``ugc up``'s demo brands: each feed gets its brand, approval hashtag and first terms, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.settings import ApiSettings
from tests.curation_api.curation_factories import MODERATOR_KEY
from ugc.up_brands import brand_name, create_brands

HEADERS = {"X-API-Key": MODERATOR_KEY}


@pytest.fixture
def client(database_url: str, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """The real API on the test's database (rolled back afterwards)."""
    settings = ApiSettings(database_url=database_url, moderator_api_key=MODERATOR_KEY)
    with TestClient(create_app(settings, sessions=sessions)) as client:
        yield client


def test_each_feed_gets_its_brand_with_an_approval_hashtag_and_terms(client: TestClient) -> None:
    said: list[str] = []
    client.headers.update(HEADERS)

    ready = create_brands(
        client, {"brewnorth": "brewnorth", "trail-peak": "trail_peak"}, said.append
    )

    assert ready == ["brewnorth", "trail-peak"]
    assert said == []
    brand = client.get("/v1/brands/brewnorth").json()
    assert brand["approval_hashtag"] == "#YesBrewNorth"
    assert brand["hashtags"] == ["brewnorth"]
    assert brand["latest_terms_version"] == 1
    terms = client.get("/terms/brewnorth/1")
    assert terms.status_code == 200
    assert "#YesBrewNorth" in terms.text
    assert client.get("/v1/brands/trail-peak").json()["approval_hashtag"] == "#YesTrailPeak"
    [thank_you] = brand["templates"]
    assert thank_you["kind"] == "thank_you"
    assert "{handle}" in thank_you["text"]


def test_running_it_again_keeps_the_brand_and_adds_no_terms_version(client: TestClient) -> None:
    client.headers.update(HEADERS)
    create_brands(client, {"glowlab": "glowlab"}, print)
    client.put(
        "/v1/brands/glowlab",
        json={"name": "GlowLab", "hashtags": ["glowlab"], "approval_hashtag": "#OkGlowLab"},
    )

    create_brands(client, {"glowlab": "glowlab"}, print)

    brand = client.get("/v1/brands/glowlab").json()
    assert brand["approval_hashtag"] == "#OkGlowLab"  # the moderator's change stays
    assert brand["latest_terms_version"] == 1
    assert client.get("/terms/glowlab/2").status_code == 404


def test_a_brand_the_api_refuses_is_reported_and_skipped(client: TestClient) -> None:
    said: list[str] = []
    client.headers.update(HEADERS)

    ready = create_brands(client, {"bad slug!": "x"}, said.append)

    assert ready == []
    assert len(said) == 1


def test_demo_names_are_spelled_as_the_brands_spell_them() -> None:
    assert brand_name("glowlab") == "GlowLab"
    assert brand_name("coffee") == "Coffee"
