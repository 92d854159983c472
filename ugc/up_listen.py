"""``ugc up --listen NETWORK --hashtag TAG``: the listening job ``ugc up`` starts with.

The words are read and checked by the same code as ``ugc ingest add``
(:mod:`ingest.jobs.request`), and a job that cannot run is refused before the broker starts:
TikTok or an unknown network as a usage error, missing credentials by name with where to set
them (never a value). The job is stored like any other, and reused when the same one exists, so
that running the same ``ugc up`` again does not add a second job doing the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from listening.schemas import JobCreate


def listening_job(
    network: str | None,
    mastodon: str | None,
    hashtags: tuple[str, ...],
    credentials_ref: str | None,
    options: tuple[str, ...],
) -> JobCreate | None:
    """The job these flags ask for, or ``None`` (replay the demo) when they name no network.

    ``--mastodon URL`` is ``--listen mastodon --option base_url=URL``; an explicit
    ``--option base_url=`` wins, as a later option does in ``ugc ingest add``.
    """
    from ingest.jobs.request import (
        credential_resolver,
        job_request,
        load_settings,
        missing_credentials,
    )

    flag = "--listen"
    if mastodon is not None:
        if network is not None and network.strip().casefold() != "mastodon":
            raise click.UsageError(
                "--mastodon URL is --listen mastodon: `ugc up` listens on one network "
                "(add more jobs with `ugc ingest add` while it runs)"
            )
        flag, network, options = "--mastodon", "mastodon", (f"base_url={mastodon}", *options)
    if network is None:
        stray = {"--hashtag": hashtags, "--credentials": credentials_ref, "--option": options}
        for name, value in stray.items():
            if value:
                raise click.UsageError(f"{name} goes with --mastodon URL or --listen NETWORK")
        return None
    if not hashtags:
        raise click.UsageError(f"{flag} needs at least one --hashtag")
    body = job_request(network, hashtags, credentials_ref=credentials_ref, options=options)
    resolver = credential_resolver(load_settings())
    problem = missing_credentials(body, resolver, ref_hint="--credentials REF")
    if problem is not None:
        raise click.ClickException(problem)
    return body


def ensure_listening_job(database_url: str, body: JobCreate, say: Callable[[str], None]) -> bool:
    """Store (or reactivate) ``body``'s job for the jobs worker child to run; it stays listed
    in ``ugc ingest list``. False, having said why, when the database refuses it."""
    from sqlalchemy.orm import Session

    from database.engine import create_db_engine
    from database.errors import DomainError
    from ingest.jobs.request import job_summary
    from listening import service
    from listening.credentials import CredentialResolver

    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            # The credentials were checked at start; the status answered here is not shown.
            job, created = service.ensure_job(session, body, CredentialResolver())
            session.commit()
    except DomainError as exc:
        say(f"cannot listen on {body.network}: {exc.detail}")
        return False
    finally:
        engine.dispose()
    options = "".join(f" {key}={value}" for key, value in sorted(job.options.items()))
    say(f"{'added' if created else 'using'} listening {job_summary(job)}{options}")
    return True
