"""``ugc ingest add|list|run|backfill|networks``: listening jobs from the command line.

Jobs live in the curation database (``UGC_DATABASE_URL``, the API's), so a job added here is
the same as one added with ``POST /v1/listening/jobs``, checked by the same rules
(:mod:`listening.service`), and a running ``ugc ingest run`` picks it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from kafka.errors import KafkaError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from database.enums import ListeningMode
from database.errors import DomainError
from ingest.connectors.base import ConfigError, ConnectorError
from ingest.jobs.request import (
    credential_resolver,
    credentials_option,
    job_request,
    job_summary,
    load_settings,
    options_option,
)
from ingest.jobs.store import JobDefinition, JobStore, SchemaMissing
from ingest.jobs.table import jobs_table
from ingest.settings import IngestSettings
from listening import networks, service
from listening.schemas import JobRead


@click.command("add")
@click.argument("network")
@click.option(
    "--hashtag",
    "hashtags",
    multiple=True,
    required=True,
    metavar="TAG",
    help="Hashtag to listen for, with or without '#'; repeat for several.",
)
@credentials_option
@click.option(
    "--interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between two polls.",
)
@click.option(
    "--mode",
    type=click.Choice(["poll", "stream"]),
    default=None,
    help="Poll, or stream where the network can.  [default: the network's own]",
)
@options_option
@click.option("--inactive", is_flag=True, help="Store the job without running it yet.")
def add_job(
    network: str,
    hashtags: tuple[str, ...],
    credentials_ref: str | None,
    interval: float,
    mode: str | None,
    options: tuple[str, ...],
    inactive: bool,
) -> None:
    """Add a listening job: NETWORK is mastodon, bluesky, x, instagram, reddit or youtube.

    A running `ugc ingest run` (and `ugc up`) starts it within seconds.
    """
    body = job_request(
        network,
        hashtags,
        credentials_ref=credentials_ref,
        interval=interval,
        mode=mode,
        options=options,
        active=not inactive,
    )
    settings = load_settings()
    with _store(settings) as store, store.session() as session:
        try:
            job = service.create_job(session, body, credential_resolver(settings))
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        session.commit()
    click.echo(job_summary(job))
    if job.credentials.missing:
        click.echo(f"missing credentials: {', '.join(job.credentials.missing)}", err=True)


@click.command("list")
def list_jobs() -> None:
    """Every listening job with its health (status, last poll, posts, errors)."""
    settings = load_settings()
    credentials = credential_resolver(settings)
    rows: list[JobRead] = []
    with _store(settings) as store, store.session() as session:
        cursor = None
        while True:
            page = service.list_jobs(session, credentials, cursor=cursor, limit=200)
            rows += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    if not rows:
        click.echo("no listening jobs: add one with `ugc ingest add NETWORK --hashtag TAG`")
        return
    click.echo(jobs_table(rows))


@click.command("run")
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between two reads of the jobs table.  [default: UGC_JOBS_RELOAD_INTERVAL_S]",
)
def run_jobs(reload_interval: float | None) -> None:
    """Run every active listening job until SIGINT/SIGTERM, picking up changes as they come.

    Jobs added, changed, deactivated or deleted (API or `ugc ingest add`) are started,
    restarted or stopped within the reload interval. A failing job (refused credentials, a
    missing secret) stays stopped until it is changed; the others go on.
    """
    from contract.topics import create_topics
    from ingest.jobs.worker import ListeningWorker
    from ingest.process import stop_on_signals
    from ingest.producer import PostProducer

    settings = load_settings()
    if reload_interval is not None:
        settings = settings.model_copy(update={"jobs_reload_interval_s": reload_interval})
    try:
        create_topics(settings)
    except KafkaError as exc:
        click.echo(f"could not create the topics ({exc}); producing anyway", err=True)

    def sink(job: JobDefinition) -> PostProducer:
        # One producer per job: its flush answers for that job's posts only.
        return PostProducer(settings, client_id=f"ugc-ingest-job-{job.id}")

    with _store(settings) as store, stop_on_signals() as stop:
        worker = ListeningWorker(
            store,
            credential_resolver(settings),
            sink,
            reload_interval_s=settings.jobs_reload_interval_s,
            state_dir=settings.state_dir,
        )
        worker.run(stop)
    click.echo("ingest run: stopped")


@click.command("backfill")
@click.argument("job_id", type=int)
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    default=None,
    help="Pages of history per hashtag, where the network pages its history (Mastodon).",
)
def backfill_job(job_id: int, pages: int | None) -> None:
    """Pull a job's history where its network allows, with a progress bar.

    Takes what a first poll takes (the newest pages, or the search API's recent window) for
    every hashtag of the job, without moving the job's own positions: a running job goes on
    from where it was, and posts fetched twice are dropped downstream.
    """
    from tqdm import tqdm

    from ingest.jobs.backfill import backfill, backfill_spec
    from ingest.jobs.worker import job_spec
    from ingest.process import producer_for

    settings = load_settings()
    with _store(settings) as store:
        job = store.job(job_id)
    if job is None:
        raise click.ClickException(f"no listening job {job_id}")
    try:
        spec = job_spec(
            job, ListeningMode.POLL, credential_resolver(settings), state_dir=settings.state_dir
        )
        spec = backfill_spec(spec, pages)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    with (
        producer_for(settings) as producer,
        tqdm(total=len(job.hashtags), unit="hashtag", desc=f"job {job_id}") as bar,
    ):

        def progress(tag: str, posts: int) -> None:
            bar.set_postfix_str(f"#{tag}: {posts} posts")
            bar.update(1)

        try:
            result = backfill(spec, producer, on_tag=progress)
        except ConnectorError as exc:
            raise click.ClickException(f"{job.label}: {exc}") from None
    click.echo(f"backfill: {result.posts} posts from {job.label}")


@click.command("networks")
def networks_command() -> None:
    """The networks a job can listen on: modes, credentials and options (from
    :mod:`listening.networks` alone: no connector is imported)."""
    for name in networks.known_networks():
        entry = networks.network(name)
        modes = " or ".join(entry.modes)
        click.echo(f"{name}: {modes} (default {entry.default_mode.value})")
        options: dict[str, str] = {}
        for mode in entry.modes:
            description = networks.describe(name, mode)
            options.update(description.options)
            needed = ", ".join(description.required_credentials) or "none"
            optional = ", ".join(description.optional_credentials)
            extra = f" (optional: {optional})" if optional else ""
            click.echo(f"  {mode.value}: credentials {needed}{extra}")
        for option, meaning in sorted(options.items()):
            click.echo(f"  --option {option}=...  {meaning}")
    for name, why in networks.UNSUPPORTED.items():
        click.echo(f"{name}: not supported. {why}.")


@contextmanager
def _store(settings: IngestSettings) -> Iterator[JobStore]:
    try:
        store = JobStore.connect(settings.database_url)
    except SchemaMissing as exc:
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        raise click.ClickException(f"cannot open the database at {shown}: {exc}") from None
    try:
        yield store
    finally:
        store.close()
