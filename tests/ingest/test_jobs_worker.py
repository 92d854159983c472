"""``ugc ingest run``'s worker: jobs from the database start, change, stop and fail on their own,
while it runs, without a restart; their health lands in the database."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.enums import JobStatus
from database.models import ListeningPosition
from ingest.connectors.base import JobSpec
from ingest.jobs.store import JobDefinition, JobStore
from ingest.jobs.worker import ListeningWorker
from ingest.producer import PostProducer
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobCreate, JobRead, JobUpdate
from tests.conftest import wait_until
from tests.ingest.ingest_fakes import RecordingProducer
from tests.ingest.jobs_fakes import (
    REFUSAL,
    VALID_TOKEN,
    FakeFeed,
    new_feed,
)
from tests.ingest.restart_harness import read_post_ids

WRONG_TOKEN = "wrong-secret-0a1b2c"
CREDENTIALS = CredentialResolver(
    environ={"UGC_CRED_GOOD_TOKEN": VALID_TOKEN, "UGC_CRED_BAD_TOKEN": WRONG_TOKEN}
)


class ClosingRecorder(RecordingProducer):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self, timeout: float | None = None) -> None:  # noqa: ARG002 (PostProducer's signature)
        self.closed = True


class Recorders:
    """One recording producer per started job thread, by job id."""

    def __init__(self) -> None:
        self.by_job: dict[int, list[ClosingRecorder]] = {}

    def __call__(self, job: JobDefinition) -> ClosingRecorder:
        recorder = ClosingRecorder()
        self.by_job.setdefault(job.id, []).append(recorder)
        return recorder

    def post_ids(self, job_id: int) -> list[str]:
        return [p.post_id for r in self.by_job.get(job_id, []) for p in r.posts]


@pytest.fixture
def recorders() -> Recorders:
    return Recorders()


@pytest.fixture
def worker(store: JobStore, recorders: Recorders) -> Iterator[ListeningWorker]:
    """A worker whose sync the test drives (no background loop)."""
    worker = ListeningWorker(store, CREDENTIALS, recorders, restart_delay_s=0.2)
    yield worker
    worker.stop_all()


@pytest.fixture
def running_worker(worker: ListeningWorker) -> Iterator[ListeningWorker]:
    """The same worker rereading the jobs table every 50 ms in a thread of its own."""
    worker.reload_interval_s = 0.05
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    yield worker
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def add_job(
    store: JobStore,
    feed: FakeFeed,
    *tags: str,
    ref: str | None = "good",
    active: bool = True,
    mode: str | None = None,
) -> int:
    body = JobCreate.model_validate(
        {
            "network": "fakenet",
            "hashtags": list(tags),
            "credentials_ref": ref,
            "options": {"feed": feed.name},
            "active": active,
            "mode": mode,
        }
    )
    with store.session() as session:
        job = service.create_job(session, body, CREDENTIALS)
        session.commit()
    return job.id


def update(store: JobStore, job_id: int, **changes: object) -> JobRead:
    with store.session() as session:
        job = service.update_job(session, job_id, JobUpdate.model_validate(changes), CREDENTIALS)
        session.commit()
    return job


def read(store: JobStore, job_id: int) -> JobRead:
    with store.session() as session:
        return service.get_job(session, job_id, CREDENTIALS)


def status_is(store: JobStore, job_id: int, status: JobStatus) -> JobRead | None:
    job = read(store, job_id)
    return job if job.health.status is status else None


@pytest.mark.broker
def test_a_job_added_while_the_worker_runs_produces_to_the_raw_topic_and_reports_health(
    store: JobStore, broker: str
) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=broker, topic_partitions=2)
    create_topics(settings)
    worker = ListeningWorker(
        store,
        CREDENTIALS,
        lambda job: PostProducer(settings, client_id=f"test-job-{job.id}"),
        reload_interval_s=0.05,
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        tag = f"brand{uuid.uuid4().hex[:8]}"
        feed = new_feed(budget_remaining=42)
        published = feed.publish(tag, 3)
        job_id = add_job(store, feed, tag)

        def on_topic() -> list[str]:
            return sorted(set(read_post_ids(broker, JobSpec("x", "fakenet", (tag,)))))

        # The posts reach the partitions one by one: wait for all of them, not for the first.
        wait_until(
            lambda: len(on_topic()) >= len(published),
            timeout=60,
            message="the new job's posts on the raw topic",
        )
        assert on_topic() == sorted(published)
        health = wait_until(lambda: status_is(store, job_id, JobStatus.OK)).health
        assert health.posts_collected == 3
        assert health.last_success_at is not None
        assert health.budget is not None
        assert health.budget.remaining == 42
        assert health.last_error is None
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_deactivating_a_job_stops_it_and_reactivating_resumes_from_its_position(
    store: JobStore, running_worker: ListeningWorker, recorders: Recorders
) -> None:
    feed = new_feed()
    first = feed.publish("brand", 2)
    job_id = add_job(store, feed, "brand")
    wait_until(lambda: recorders.post_ids(job_id) == first, message="the first posts")

    update(store, job_id, active=False)
    wait_until(lambda: job_id not in running_worker.running_jobs, message="the job to stop")
    assert all(r.closed for r in recorders.by_job[job_id])
    fetches = feed.fetch_count()

    later = feed.publish("brand", 2)
    update(store, job_id, active=True)
    wait_until(lambda: recorders.post_ids(job_id) == first + later, message="the later posts")
    # It went on from its saved position: the first posts were not fetched again.
    assert feed.fetches[fetches] == ("brand", "2")


def test_a_refused_job_is_failing_with_the_network_message_until_somebody_changes_it(
    store: JobStore, worker: ListeningWorker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    feed = new_feed()
    feed.publish("brand", 1)
    job_id = add_job(store, feed, "brand", ref="bad")

    worker.sync()
    failing = wait_until(lambda: status_is(store, job_id, JobStatus.FAILING))
    assert failing.health.last_error == REFUSAL
    assert failing.health.last_error_at is not None
    wait_until(lambda: not worker.running_jobs, message="the failing job's thread to end")
    for _ in range(3):
        worker.sync()
    assert feed.fetch_count() == 1  # not polled again
    assert not worker.running_jobs

    changed = update(store, job_id, credentials_ref="good")
    assert changed.health.status is JobStatus.PENDING
    worker.sync()
    healthy = wait_until(lambda: status_is(store, job_id, JobStatus.OK))
    assert healthy.health.posts_collected == 1
    assert feed.tokens_seen == [WRONG_TOKEN, VALID_TOKEN]
    # The secrets went to the network and nowhere else.
    for secret in (WRONG_TOKEN, VALID_TOKEN):
        assert secret not in caplog.text
        assert secret not in healthy.model_dump_json()
        assert secret not in failing.model_dump_json()


def test_missing_credentials_mark_the_job_failing_saying_where_to_set_them(
    store: JobStore, worker: ListeningWorker
) -> None:
    feed = new_feed()
    no_ref = add_job(store, feed, "brand", ref=None)
    unknown_ref = add_job(store, feed, "brand", ref="brand-y")

    worker.sync()
    without = wait_until(lambda: status_is(store, no_ref, JobStatus.FAILING)).health
    unknown = wait_until(lambda: status_is(store, unknown_ref, JobStatus.FAILING)).health

    assert without.last_error is not None
    assert "credentials reference" in without.last_error
    assert unknown.last_error is not None
    assert "UGC_CRED_BRAND_Y_TOKEN" in unknown.last_error
    assert feed.fetch_count() == 0


@pytest.mark.usefixtures("running_worker")
def test_a_job_that_crashes_does_not_stop_the_others_and_is_retried_later(
    store: JobStore, recorders: Recorders
) -> None:
    broken = new_feed(fail_on_build=RuntimeError("connector bug"))
    healthy = new_feed()
    posts = healthy.publish("brand", 2)
    broken_id = add_job(store, broken, "brand")
    healthy_id = add_job(store, healthy, "brand")

    wait_until(lambda: recorders.post_ids(healthy_id) == posts, message="the healthy job's posts")
    backing_off = wait_until(lambda: status_is(store, broken_id, JobStatus.BACKING_OFF)).health
    assert backing_off.last_error is not None
    assert "connector bug" in backing_off.last_error
    wait_until(lambda: len(broken.options_seen) >= 2, message="the crashed job to be retried")

    broken.fail_on_build = None
    wait_until(lambda: status_is(store, broken_id, JobStatus.OK), message="the fixed job")


@pytest.mark.usefixtures("running_worker")
def test_a_changed_job_restarts_with_its_new_definition(
    store: JobStore, recorders: Recorders
) -> None:
    feed = new_feed()
    old = feed.publish("brand", 1)
    new = feed.publish("newbrand", 2)
    job_id = add_job(store, feed, "brand")
    wait_until(lambda: recorders.post_ids(job_id) == old, message="the first definition's posts")

    update(store, job_id, hashtags=["brand", "NewBrand"])

    wait_until(lambda: sorted(recorders.post_ids(job_id)) == sorted(old + new), message="new tag")
    assert len(recorders.by_job[job_id]) == 2  # restarted once, with a fresh producer
    assert recorders.by_job[job_id][0].closed


def test_deleting_a_job_stops_it_and_deletes_its_positions(
    store: JobStore, running_worker: ListeningWorker, recorders: Recorders
) -> None:
    feed = new_feed()
    posts = feed.publish("brand", 1)
    job_id = add_job(store, feed, "brand")
    wait_until(lambda: recorders.post_ids(job_id) == posts, message="the job's posts")
    # The position is saved after the broker acknowledged the post, so a moment after it is seen.
    position = store.positions(job_id)
    wait_until(
        lambda: position.load(("fakenet", str(job_id), "brand")) == "1", message="the position"
    )

    with store.session() as session:
        service.delete_job(session, job_id)
        session.commit()

    wait_until(lambda: job_id not in running_worker.running_jobs, message="the job to stop")
    with store.session() as session:
        left = session.scalar(select(func.count()).where(ListeningPosition.job_id == job_id))
    assert left == 0


@pytest.mark.usefixtures("running_worker")
def test_a_streaming_job_checkpoints_its_stream_and_reports_health(
    store: JobStore, recorders: Recorders
) -> None:
    feed = new_feed()
    posts = feed.publish("brand", 3)
    job_id = add_job(store, feed, "brand", mode="stream")

    wait_until(lambda: recorders.post_ids(job_id) == posts, message="the streamed posts")
    job = wait_until(lambda: status_is(store, job_id, JobStatus.OK))
    assert job.mode == "stream"
    assert job.health.posts_collected == 3
    assert store.positions(job_id).load(("fakenet", str(job_id), "#stream")) == "3"


def test_a_stop_asks_every_job_to_stop_and_closes_what_they_opened(
    store: JobStore, worker: ListeningWorker, recorders: Recorders
) -> None:
    feeds = [new_feed(), new_feed()]
    ids = [add_job(store, feed, "brand") for feed in feeds]
    for feed in feeds:
        feed.publish("brand", 1)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    wait_until(lambda: sorted(worker.running_jobs) == sorted(ids), message="both jobs running")
    wait_until(lambda: all(recorders.post_ids(i) for i in ids), message="both jobs' posts")

    stop.set()
    thread.join(timeout=30)

    assert not thread.is_alive()
    assert worker.running_jobs == []
    assert all(r.closed for i in ids for r in recorders.by_job[i])
    assert all(feed.closed == 1 for feed in feeds)
