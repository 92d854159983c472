"""``/v1/listening/jobs``: moderators manage listening jobs; secrets stay out of every answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from curation_api.app import create_app
from curation_api.settings import ApiSettings
from database.enums import JobStatus
from database.models import ListeningJobHealth
from listening.credentials import CredentialResolver
from tests.curation_api.curation_factories import MODERATOR
from tests.listening.fake_network import fake_network_description

SECRET = "tok-5e3c7a-do-not-show"
JOBS = "/v1/listening/jobs"


@pytest.fixture
def client(api_settings: ApiSettings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    credentials = CredentialResolver(environ={"UGC_CRED_BRAND_TOKEN": SECRET})
    app = create_app(api_settings, sessions=sessions, credentials=credentials)
    with fake_network_description(), TestClient(app) as client:
        yield client


def job_body(**overrides: Any) -> dict[str, Any]:
    return {
        "network": "fakenet",
        "hashtags": ["#MyBrand", "mybrand", "Sale"],
        "credentials_ref": "brand",
        "poll_interval_s": 30,
        "options": {"feed": "main", "backfill_pages": 2},
        **overrides,
    }


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post(JOBS, json=job_body(**overrides), headers=MODERATOR)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_created_job_reads_back_with_pending_health_and_credential_names(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    job = create(client)

    assert job["network"] == "fakenet"
    assert job["mode"] == "poll"
    assert job["hashtags"] == ["mybrand", "sale"]
    assert job["options"] == {"feed": "main", "backfill_pages": 2}
    assert job["active"] is True
    assert job["revision"] == 1
    assert job["health"]["status"] == "pending"
    assert job["health"]["posts_collected"] == 0
    assert job["health"]["last_success_at"] is None
    assert job["credentials"] == {
        "ref": "brand",
        "required": ["token"],
        "set": ["token"],
        "missing": [],
    }
    fetched = client.get(f"{JOBS}/{job['id']}", headers=MODERATOR)
    assert fetched.json() == job
    assert SECRET not in fetched.text
    assert SECRET not in caplog.text


def test_missing_credentials_are_named_never_valued(client: TestClient) -> None:
    without_ref = create(client, credentials_ref=None)
    unknown_ref = create(client, credentials_ref="other-brand")

    assert without_ref["credentials"]["missing"] == ["token"]
    assert unknown_ref["credentials"] == {
        "ref": "other-brand",
        "required": ["token"],
        "set": [],
        "missing": ["token"],
    }


def test_tiktok_is_refused_with_the_reason(client: TestClient) -> None:
    response = client.post(JOBS, json=job_body(network="tiktok", options={}), headers=MODERATOR)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "TikTok's Research API is only for approved non-profit researchers" in detail
    assert "not available to brands" in detail


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"network": "myspace", "options": {}}, "unknown network 'myspace': choose one of bluesky"),
        ({"options": {"colour": "blue"}}, "fakenet has no option colour"),
        ({"options": {"token": "pasted-here"}}, "token is a credential, not an option"),
        ({"network": "x", "mode": "stream", "options": {}}, "x cannot stream"),
    ],
)
def test_a_job_the_network_cannot_run_is_refused_saying_why(
    client: TestClient, overrides: dict[str, Any], says: str
) -> None:
    response = client.post(JOBS, json=job_body(**overrides), headers=MODERATOR)

    assert response.status_code == 422
    assert says in response.json()["detail"]
    assert "pasted-here" not in response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"hashtags": []},
        {"hashtags": ["#", " "]},
        {"poll_interval_s": 1},
        {"credentials_ref": "../etc"},
        {"secret": "x"},
    ],
)
def test_a_malformed_body_is_a_field_error(client: TestClient, overrides: dict[str, Any]) -> None:
    response = client.post(JOBS, json=job_body(**overrides), headers=MODERATOR)

    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_jobs_are_listed_oldest_first_in_keyset_pages(client: TestClient) -> None:
    ids = [create(client, hashtags=[f"tag{i}"])["id"] for i in range(3)]

    first = client.get(JOBS, params={"limit": 2}, headers=MODERATOR).json()
    second = client.get(
        JOBS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=MODERATOR
    ).json()

    assert [j["id"] for j in first["items"]] == ids[:2]
    assert [j["id"] for j in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    bad = client.get(JOBS, params={"cursor": "nope"}, headers=MODERATOR)
    assert bad.status_code == 400


def test_the_list_filters_by_network_and_activity(client: TestClient) -> None:
    active = create(client)["id"]
    inactive = create(client, active=False)["id"]

    def ids(**params: Any) -> list[int]:
        page = client.get(JOBS, params=params, headers=MODERATOR).json()
        return [j["id"] for j in page["items"]]

    assert ids(active="true") == [active]
    assert ids(active="false") == [inactive]
    assert ids(network="FakeNet") == [active, inactive]
    assert ids(network="x") == []


def test_editing_a_failing_job_clears_the_failure_and_bumps_the_revision(
    client: TestClient, session: Session
) -> None:
    job = create(client, credentials_ref="other-brand")
    health = session.get(ListeningJobHealth, job["id"])
    assert health is not None
    health.status, health.last_error = JobStatus.FAILING, "invalid token"
    session.commit()

    response = client.patch(
        f"{JOBS}/{job['id']}", json={"credentials_ref": "brand"}, headers=MODERATOR
    )

    assert response.status_code == 200
    edited = response.json()
    assert edited["health"]["status"] == "pending"
    assert edited["health"]["last_error"] == "invalid token"  # history is kept
    assert edited["revision"] == 2
    assert edited["credentials"]["missing"] == []
    assert edited["hashtags"] == job["hashtags"]
    assert edited["options"] == job["options"]


def test_a_patch_changes_only_what_it_names(client: TestClient) -> None:
    job = create(client)

    edited = client.patch(
        f"{JOBS}/{job['id']}",
        json={"hashtags": ["#New"], "active": False, "options": {"feed": "other"}},
        headers=MODERATOR,
    ).json()

    assert edited["hashtags"] == ["new"]
    assert edited["active"] is False
    assert edited["options"] == {"feed": "other"}
    assert edited["credentials_ref"] == "brand"
    assert edited["poll_interval_s"] == 30
    cleared = client.patch(f"{JOBS}/{job['id']}", json={"credentials_ref": None}, headers=MODERATOR)
    assert cleared.json()["credentials"]["missing"] == ["token"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"network": "x"}, 422),
        ({"hashtags": None}, 422),
        ({"options": {"colour": "blue"}}, 422),
        ({"mode": "stream"}, 200),
    ],
)
def test_a_patch_is_checked_like_a_creation(
    client: TestClient, body: dict[str, Any], status: int
) -> None:
    job = create(client)

    response = client.patch(f"{JOBS}/{job['id']}", json=body, headers=MODERATOR)

    assert response.status_code == status, response.text


def test_a_deleted_job_is_gone(client: TestClient) -> None:
    job = create(client)

    assert client.delete(f"{JOBS}/{job['id']}", headers=MODERATOR).status_code == 204
    assert client.get(f"{JOBS}/{job['id']}", headers=MODERATOR).status_code == 404
    assert client.delete(f"{JOBS}/{job['id']}", headers=MODERATOR).status_code == 404
    assert client.patch(f"{JOBS}/{job['id']}", json={}, headers=MODERATOR).status_code == 404


def test_every_listening_route_needs_the_moderator_key(client: TestClient) -> None:
    job = create(client)
    for method, path in [
        ("GET", JOBS),
        ("POST", JOBS),
        ("GET", f"{JOBS}/{job['id']}"),
        ("PATCH", f"{JOBS}/{job['id']}"),
        ("DELETE", f"{JOBS}/{job['id']}"),
    ]:
        assert client.request(method, path, json={}).status_code == 401, (method, path)


def test_the_openapi_document_declares_both_kinds_of_422(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create_op = spec["paths"][JOBS]["post"]
    unprocessable = create_op["responses"]["422"]["content"]["application/json"]["schema"]
    refs = {option["$ref"].rsplit("/", 1)[1] for option in unprocessable["anyOf"]}

    assert refs == {"ErrorBody", "FieldErrors"}
    assert {"401", "404", "422"} <= set(spec["paths"][f"{JOBS}/{{job_id}}"]["patch"]["responses"])
