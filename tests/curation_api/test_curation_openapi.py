"""The OpenAPI document tells the truth about auth and errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from curation_api.app import create_app
from curation_api.settings import ApiSettings


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    # The document does not touch the database: the default SQLite URL is never opened.
    app = create_app(ApiSettings(database_url="sqlite:///unused.db"))
    document: dict[str, Any] = TestClient(app).get("/openapi.json").json()
    return document


def operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def test_both_ways_of_sending_the_moderator_key_are_declared(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKey"]["description"],
    }
    assert schemes["Bearer"]["scheme"] == "bearer"


def test_every_route_but_the_public_ones_requires_the_key(spec: dict[str, Any]) -> None:
    public = {
        "GET /v1/feeds/{slug}/posts",
        "HEAD /v1/feeds/{slug}/posts",
        "GET /terms/{slug}/{version}",
        "GET /healthz",
        "GET /media/{copy_id}/{width}.webp",
        "GET /widget.js",
        "GET /embed/{slug}",
        "POST /v1/feeds/{slug}/posts/{post_id}/report",
    }
    for name, operation in operations(spec).items():
        if name in public:
            assert "security" not in operation, name
        else:
            assert {"ApiKey": []} in operation["security"], name
            assert "401" in operation["responses"], name


def test_routes_on_one_post_or_feed_declare_their_404(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    for name in (
        "GET /v1/posts/{post_id}",
        "POST /v1/posts/{post_id}/approve",
        "POST /v1/posts/{post_id}/reject",
        "GET /v1/posts/{post_id}/actions",
        "GET /v1/feeds/{slug}/posts",
        "DELETE /v1/feeds/{slug}",
        "GET /v1/feeds/{slug}/embed",
        "POST /v1/feeds/{slug}/posts/{post_id}/report",
    ):
        not_found = ops[name]["responses"]["404"]
        assert not_found["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_paged_routes_declare_the_400_of_a_bad_cursor(spec: dict[str, Any]) -> None:
    ops = operations(spec)
    for name in ("GET /v1/queue", "GET /v1/feeds", "GET /v1/feeds/{slug}/posts"):
        assert "400" in ops[name]["responses"], name


def test_the_public_feed_documents_its_page_schema_and_304(spec: dict[str, Any]) -> None:
    responses = operations(spec)["GET /v1/feeds/{slug}/posts"]["responses"]
    assert "304" in responses
    ref = responses["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("Page_FeedPost_")


def test_docs_page_is_served() -> None:
    app = create_app(ApiSettings(database_url="sqlite:///unused.db"))
    assert "swagger" in TestClient(app).get("/docs").text.lower()


def test_the_queue_documents_its_low_confidence_filter(spec: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in operations(spec)["GET /v1/queue"]["parameters"]}
    low_confidence = parameters["low_confidence"]
    assert low_confidence["in"] == "query"
    assert not low_confidence["required"]
    assert {"type": "boolean"} in low_confidence["schema"]["anyOf"]
    assert "guess" in low_confidence["description"]


def test_posts_document_their_detected_language_but_public_feed_posts_do_not(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    post = schemas["PostRead"]["properties"]
    assert {"$ref": "#/components/schemas/DetectedLanguage"} in post["detected_language"]["anyOf"]
    assert post["low_confidence"]["type"] == "boolean"
    assert {"detected_language", "low_confidence"} <= set(schemas["PostRead"]["required"])
    assert set(schemas["DetectedLanguage"]["properties"]) == {"code", "confidence", "supported"}
    assert not {"detected_language", "low_confidence"} & set(schemas["FeedPost"]["properties"])


def test_every_operation_has_its_own_id(spec: dict[str, Any]) -> None:
    ids = [operation["operationId"] for operation in operations(spec).values()]
    assert len(ids) == len(set(ids))
