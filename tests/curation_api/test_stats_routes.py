"""Stats for supervisors, and the health check."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from contract import RiskLevel
from tests.curation_api.curation_factories import MODERATOR, T0, scored_post, store


def test_stats_count_posts_by_status_and_risk(client: TestClient, session: Session) -> None:
    posts = store(
        session,
        scored_post(risk=RiskLevel.HIGH, scored_at=T0 + timedelta(hours=1)),
        scored_post(risk=RiskLevel.HIGH, scored_at=T0 + timedelta(hours=3)),
        scored_post(risk=RiskLevel.NONE, scored_at=T0 + timedelta(hours=2)),
    )
    client.post(f"/v1/posts/{posts[0].post_id}/approve", headers=MODERATOR)

    stats = client.get("/v1/stats", headers=MODERATOR).json()

    assert stats["total"] == 3
    assert stats["by_status"] == {"pending": 2, "approved": 1, "rejected": 0}
    assert stats["by_risk"] == {"floor": 0, "high": 2, "medium": 0, "low": 0, "none": 1}
    assert stats["latest_scored_at"] == "2025-06-01T15:00:00Z"
    assert stats["latest_ingested_at"] is not None


def test_stats_of_an_empty_database_are_zeros(client: TestClient) -> None:
    stats = client.get("/v1/stats", headers=MODERATOR).json()
    assert stats["total"] == 0
    assert stats["latest_scored_at"] is None


def test_stats_need_the_moderator_key(client: TestClient) -> None:
    assert client.get("/v1/stats").status_code == 401


def test_healthz_answers_without_a_key_when_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    from curation_api.app import create_app
    from curation_api.settings import ApiSettings

    settings = ApiSettings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}
