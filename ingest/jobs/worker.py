"""``ugc ingest run``: every active listening job of the database, each in a thread of its own.

The worker rereads the jobs table every few seconds and reconciles: a new or reactivated job
starts, a changed one (its revision grew) restarts with its new definition once the old thread
has finished, a deactivated or deleted one stops. Nothing needs a restart of the worker.

A job that fails never takes the others down:

- :class:`~ingest.connectors.base.ConfigError` / ``AuthFailed`` (bad credentials, a missing
  secret, an option the network refuses): the job is marked *failing* with the message and is
  not started again until somebody changes it (any change clears the status);
- anything else escaping a runner (a bug, no broker): the job is marked backing off and
  restarted after a delay that doubles with each crash;
- a stop (SIGINT/SIGTERM) asks every job to stop: each one finishes the step in hand, flushes,
  checkpoints and closes its producer.

Each job produces through a producer of its own: a flush then answers for that job's posts
only, which is what lets its checkpoint advance safely.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from database.enums import JobStatus, ListeningMode
from ingest.connectors import registry
from ingest.connectors.base import ConfigError, JobSpec, JobStopped
from ingest.connectors.runner import PollingRunner, stoppable_sleep
from ingest.jobs.store import JobDefinition, JobHealth, JobStore
from ingest.producer import PostSink
from listening.credentials import CredentialResolver, CredentialsError, missing_credentials_message

log = logging.getLogger(__name__)

SinkFactory = Callable[[JobDefinition], PostSink]

#: The option through which connectors that keep ledgers learn where (see :func:`job_spec`).
STATE_DIR_OPTION = "state_dir"


@dataclass
class _Running:
    job: JobDefinition
    stop: threading.Event
    thread: threading.Thread


@dataclass
class _Crash:
    revision: int
    count: int
    retry_at: float


class ListeningWorker:
    """Runs the active jobs of a :class:`JobStore` until stopped."""

    def __init__(
        self,
        store: JobStore,
        credentials: CredentialResolver,
        sinks: SinkFactory,
        *,
        reload_interval_s: float = 5.0,
        restart_delay_s: float = 5.0,
        restart_delay_cap_s: float = 300.0,
        stop_timeout_s: float = 30.0,
        state_dir: Path | None = None,
    ) -> None:
        self._store = store
        self._credentials = credentials
        self._sinks = sinks
        self.reload_interval_s = reload_interval_s
        self._restart_delay_s = restart_delay_s
        self._restart_delay_cap_s = restart_delay_cap_s
        self._stop_timeout_s = stop_timeout_s
        self._state_dir = state_dir
        self._running: dict[int, _Running] = {}
        self._stopping: list[_Running] = []
        self._crashes: dict[int, _Crash] = {}
        self._lock = threading.Lock()
        self._said_idle = False

    @property
    def running_jobs(self) -> list[int]:
        """Ids of the jobs whose thread is running (for tests and the log)."""
        return sorted(i for i, r in self._running.items() if r.thread.is_alive())

    def run(self, stop: threading.Event) -> None:
        """Reconcile every ``reload_interval_s`` until ``stop`` is set, then stop every job."""
        log.info("listening worker: reading jobs every %.0fs", self.reload_interval_s)
        try:
            while not stop.is_set():
                self.sync()
                stop.wait(self.reload_interval_s)
        finally:
            self.stop_all()

    def sync(self) -> None:
        """Start, restart and stop job threads so that they match the jobs table."""
        try:
            jobs = {job.id: job for job in self._store.jobs()}
        except SQLAlchemyError as exc:
            # The database is away for a moment: the running jobs go on as they were.
            log.warning("could not read the listening jobs (%s); trying again later", exc)
            return
        self._stopping = [r for r in self._stopping if r.thread.is_alive()]
        for job_id, running in list(self._running.items()):
            reason = _stop_reason(jobs.get(job_id), running.job)
            if reason is not None:
                log.info("%s: stopping (%s)", running.job.label, reason)
                running.stop.set()
                self._stopping.append(running)
                del self._running[job_id]
            elif not running.thread.is_alive():
                del self._running[job_id]  # failing, or crashed: decided below
        finishing = {r.job.id for r in self._stopping}
        for job in jobs.values():
            idle = job.active and job.id not in self._running and job.id not in finishing
            if idle and self._may_start(job):
                self._start(job)
        self._say_idle(not jobs)

    def stop_all(self) -> None:
        """Ask every job to stop and wait (up to ``stop_timeout_s`` in all) for them to flush."""
        everything = [*self._running.values(), *self._stopping]
        for running in everything:
            running.stop.set()
        deadline = time.monotonic() + self._stop_timeout_s
        for running in everything:
            running.thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [r.job.label for r in everything if r.thread.is_alive()]
        if stuck:
            log.warning("did not stop within %.0fs: %s", self._stop_timeout_s, ", ".join(stuck))
        self._running.clear()
        self._stopping.clear()

    def _may_start(self, job: JobDefinition) -> bool:
        if job.status is JobStatus.FAILING:
            return False  # until somebody changes the job (which clears the status)
        with self._lock:
            crash = self._crashes.get(job.id)
        return crash is None or crash.revision != job.revision or time.monotonic() >= crash.retry_at

    def _start(self, job: JobDefinition) -> None:
        stop = threading.Event()
        thread = threading.Thread(
            target=self._run_job, args=(job, stop), name=f"job-{job.id}", daemon=True
        )
        self._running[job.id] = _Running(job, stop, thread)
        log.info("%s: starting (%s, revision %d)", job.label, job.mode.value, job.revision)
        thread.start()

    def _run_job(self, job: JobDefinition, stop: threading.Event) -> None:
        """A job's thread: build its runner, run it until stopped; never raises."""
        health = self._store.health(job)
        try:
            with ExitStack() as resources:
                runner = self._runner(job, health, stop, resources)
                runner.run(stop)
        except JobStopped:
            pass
        except ConfigError as exc:  # AuthFailed included
            log.error("%s failing: %s", job.label, exc)
            health.job_failing(error=str(exc))
        except Exception as exc:
            delay = self._record_crash(job)
            log.exception("%s crashed; restarting it in %.0fs", job.label, delay)
            health.poll_failed(error=repr(exc), backoff_s=delay)
        else:
            if not stop.is_set():
                log.info("%s: ended", job.label)

    def _runner(
        self, job: JobDefinition, health: JobHealth, stop: threading.Event, resources: ExitStack
    ) -> Any:
        positions = self._store.positions(job.id)
        sleep = stoppable_sleep(stop)  # rate-limit waits end at once on a stop
        if job.mode is ListeningMode.STREAM:
            spec = self._spec(job, ListeningMode.STREAM)
            sink = self._sink(job, resources)
            stream = registry.streaming_connector(spec, sleep=sleep)
            if stream is None:
                raise ConfigError(f"{job.network} cannot stream; set the job's mode to poll")
            resources.callback(_quietly, stream.close, job, "closing its stream")
            from ingest.connectors.stream_runner import StreamRunner

            fallback = self._polling_fallback(job, sink, health, sleep)
            return StreamRunner(spec, stream, sink, positions, health, fallback=fallback)
        spec = self._spec(job, ListeningMode.POLL)
        sink = self._sink(job, resources)
        connector = registry.polling_connector(spec, sleep=sleep)
        resources.callback(_quietly, connector.close, job, "closing its connector")
        return PollingRunner(spec, connector, sink, positions, health)

    def _polling_fallback(
        self, job: JobDefinition, sink: PostSink, health: JobHealth, sleep: Any
    ) -> Callable[[threading.Event], None] | None:
        """Polling to take over when the stream keeps failing, where the network can poll
        with the secrets the job has (Mastodon: yes; Bluesky search: only with a session)."""
        if ListeningMode.POLL not in registry.network(job.network).modes:
            return None
        try:
            spec = self._spec(job, ListeningMode.POLL)
        except ConfigError as exc:
            log.info("%s: no polling fallback (%s)", job.label, exc)
            return None

        def poll(stop: threading.Event) -> None:
            connector = registry.polling_connector(spec, sleep=sleep)
            try:
                positions = self._store.positions(job.id)
                PollingRunner(spec, connector, sink, positions, health).run(stop)
            finally:
                _quietly(connector.close, job, "closing its polling connector")

        return poll

    def _spec(self, job: JobDefinition, mode: ListeningMode) -> JobSpec:
        return job_spec(job, mode, self._credentials, state_dir=self._state_dir)

    def _sink(self, job: JobDefinition, resources: ExitStack) -> PostSink:
        sink = self._sinks(job)
        close = getattr(sink, "close", None)
        if callable(close):
            resources.callback(_quietly, close, job, "closing its producer")
        return sink

    def _record_crash(self, job: JobDefinition) -> float:
        with self._lock:
            previous = self._crashes.get(job.id)
            count = previous.count + 1 if previous and previous.revision == job.revision else 1
            delay = min(self._restart_delay_cap_s, self._restart_delay_s * 2.0 ** (count - 1))
            self._crashes[job.id] = _Crash(job.revision, count, time.monotonic() + delay)
        return delay

    def _say_idle(self, idle: bool) -> None:
        if idle and not self._said_idle:
            log.info(
                "no listening jobs yet: add one with `ugc ingest add` or POST /v1/listening/jobs"
            )
        self._said_idle = idle


def job_spec(
    job: JobDefinition,
    mode: ListeningMode,
    credentials: CredentialResolver,
    *,
    state_dir: Path | None = None,
) -> JobSpec:
    """The job as its ``mode``'s connector sees it, with its secrets resolved (never logged);
    :class:`ConfigError` naming what is missing, or why the network cannot run it.

    ``state_dir`` (``UGC_STATE_DIR``) becomes the ``state_dir`` option of a job whose network
    reads one and that does not set its own, so that Instagram's hashtag budget and YouTube's
    quota ledger live where the deployment keeps its state, whoever runs the job."""
    description = registry.describe(job.network, mode)
    try:
        secrets = credentials.resolve(job.credentials_ref, description.credential_names)
    except CredentialsError as exc:
        raise ConfigError(str(exc)) from None
    missing = [n for n in description.required_credentials if n not in secrets]
    if missing:
        raise ConfigError(missing_credentials_message(job.network, job.credentials_ref, missing))
    options = dict(job.options)
    if state_dir is not None and STATE_DIR_OPTION in description.options:
        options[STATE_DIR_OPTION] = options.get(STATE_DIR_OPTION) or str(state_dir)
    return JobSpec(
        job_id=str(job.id),
        network=job.network,
        hashtags=job.hashtags,
        poll_interval_s=job.poll_interval_s,
        options=options,
        credentials=secrets,
    )


def _stop_reason(current: JobDefinition | None, running: JobDefinition) -> str | None:
    if current is None:
        return "deleted"
    if not current.active:
        return "deactivated"
    if current.revision != running.revision:
        return "changed"
    return None


def _quietly(close: Callable[[], object], job: JobDefinition, what: str) -> None:
    try:
        close()
    except Exception:
        log.exception("%s: failed %s", job.label, what)
