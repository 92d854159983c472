"""The engine: SQLite tuned for the API and the sink writing at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from curation_api.kit import Moderator
from curation_api.moderation import service
from curation_api.sink.repository import upsert_scored_posts
from database.engine import create_db_engine, create_session_factory
from database.migrate import upgrade
from database.models import ModerationVerb
from tests.curation_api.curation_factories import scored_post


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1


def test_sink_and_moderators_writing_at_once_never_see_database_is_locked(
    sqlite_engine: Engine,
) -> None:
    # A moderation reads the post, then writes it. Under a deferred BEGIN, a sink commit
    # between the two fails the write at once with SQLITE_BUSY, whatever the busy timeout.
    sessions = create_session_factory(sqlite_engine)
    posts = [scored_post() for _ in range(20)]
    with sessions.begin() as session:
        upsert_scored_posts(session, posts)
    errors: list[BaseException] = []

    def sink() -> None:
        for round_ in range(1, 40):
            rescored = [
                p.model_copy(update={"scored_at": p.scored_at + timedelta(seconds=round_)})
                for p in posts
            ]
            with sessions.begin() as session:
                upsert_scored_posts(session, rescored)

    def moderators() -> None:
        for round_ in range(40):
            verb = ModerationVerb.APPROVE if round_ % 2 else ModerationVerb.REJECT
            with sessions.begin() as session:
                for post in posts[:5]:
                    service.moderate(session, post.post_id, verb, Moderator(name="ana"), None)

    threads = [threading.Thread(target=guarded(work, errors)) for work in (sink, moderators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []


def guarded(work: Callable[[], None], errors: list[BaseException]) -> Callable[[], None]:
    """``work`` for a thread, with whatever it raises kept in ``errors`` for the test to see."""

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    return run
