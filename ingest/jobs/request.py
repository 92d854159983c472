"""A listening job as the command line asks for it: ``ugc ingest add`` and ``ugc up --listen``.

Both read the same words (hashtags, ``--credentials REF``, ``--option KEY=VALUE``) into the
API's :class:`JobCreate` and check it against the network the same way, so that a job refused
by one is refused by the other with the same message, before anything is stored or started.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import click
from pydantic import ValidationError

from contract import summarize_validation_error
from database.errors import DomainError
from ingest.settings import IngestSettings
from listening import service
from listening.credentials import CredentialResolver, missing_credentials_message
from listening.schemas import JobCreate, JobRead

#: ``--credentials REF`` (the job's ``credentials_ref``), for every command that makes a job.
credentials_option = click.option(
    "--credentials",
    "credentials_ref",
    metavar="REF",
    default=None,
    help="Name of the job's secrets: UGC_CRED_<REF>_<NAME> variables or UGC_SECRETS_FILE.",
)

#: ``--option KEY=VALUE`` (repeatable), read by :func:`parse_options`.
options_option = click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Network option (e.g. base_url=https://mastodon.social); `ugc ingest networks` lists "
    "them. VALUE is read as JSON when it is JSON (numbers, true), else as text.",
)


def job_request(
    network: str,
    hashtags: Iterable[str],
    *,
    credentials_ref: str | None = None,
    interval: float = 60.0,
    mode: str | None = None,
    options: Iterable[str] = (),
    active: bool = True,
) -> JobCreate:
    """The job these words ask for, if its network can run it; :class:`click.UsageError`
    saying why not (TikTok, an unknown network or option, a bad hashtag or interval)."""
    try:
        body = JobCreate.model_validate(
            {
                "network": network,
                "hashtags": list(hashtags),
                "credentials_ref": credentials_ref,
                "poll_interval_s": interval,
                "mode": mode,
                "options": parse_options(options),
                "active": active,
            }
        )
    except ValidationError as exc:
        raise click.UsageError(summarize_validation_error(exc)) from None
    try:
        service.check_job(body.network, body.mode, body.options)
    except DomainError as exc:
        raise click.UsageError(exc.detail) from None
    return body


def missing_credentials(
    body: JobCreate, credentials: CredentialResolver, *, ref_hint: str = "credentials_ref"
) -> str | None:
    """What the job lacks to run (the required credential names and where to set them), or
    ``None`` when nothing is missing. Names and places only: values are never read out."""
    description = service.check_job(body.network, body.mode, body.options)
    status = credentials.status(body.credentials_ref, description.required_credentials)
    if not status.missing:
        return None
    return missing_credentials_message(
        description.network, body.credentials_ref, status.missing, ref_hint=ref_hint
    )


def job_summary(job: JobRead) -> str:
    """One line naming what a stored job listens for and how often (never its secrets)."""
    tags = " ".join(f"#{t}" for t in job.hashtags)
    how = "streaming" if job.mode == "stream" else f"every {job.poll_interval_s:g}s"
    return f"job {job.id}: {job.network} {tags} ({how}){'' if job.active else ', inactive'}"


def parse_options(pairs: Iterable[str]) -> dict[str, object]:
    """``KEY=VALUE`` words as a job's options; VALUE is JSON when it reads as JSON, else text."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def load_settings() -> IngestSettings:
    try:
        return IngestSettings()
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


def credential_resolver(settings: IngestSettings) -> CredentialResolver:
    # The one place the job secrets' variables (UGC_CRED_*) are read, like settings: once.
    return CredentialResolver(environ=os.environ, secrets_file=settings.secrets_file)
