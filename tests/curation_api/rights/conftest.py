"""Fixtures of the rights worker tests: sessions that commit for real, and the topics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.engine import create_db_engine, create_session_factory
from database.models import (
    Brand,
    BrandHashtag,
    ModerationAction,
    OutboxMessage,
    Post,
    PostHashtag,
    RightsAttachment,
    RightsProof,
    RightsRequest,
    RightsTemplate,
    RightsTransition,
    TermsVersion,
)


@pytest.fixture
def committed(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions that commit for real (the worker's own see them); wiped afterwards."""
    engine: Engine = create_db_engine(database_url)
    yield create_session_factory(engine)
    with engine.begin() as connection:
        for model in (
            OutboxMessage,
            RightsAttachment,
            RightsProof,
            RightsTransition,
            RightsRequest,
            RightsTemplate,
            TermsVersion,
            BrandHashtag,
            Brand,
            ModerationAction,
            PostHashtag,
            Post,
        ):
            connection.execute(delete(model))
    engine.dispose()


@pytest.fixture
def topics(kafka_settings: KafkaSettings) -> KafkaSettings:
    create_topics(kafka_settings)
    return kafka_settings
