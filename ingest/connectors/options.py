"""A listening job's credentials and options, read the same way for every network.

Each reader raises :class:`~ingest.connectors.base.ConfigError` naming the option (or the
credential, never its value), with the network's name first, so that a failing job says what a
person has to change. An option left out, ``None`` or ``""`` takes its default. A connector's
``from_job`` reads everything before it sends a request, so that a job that cannot work is
refused at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ingest.connectors.base import ConfigError, JobSpec
from listening.networks import DEFAULT_STATE_DIR

N = TypeVar("N", int, float)


def required_credential(job: JobSpec, name: str) -> str:
    """The secret ``name`` of the job, stripped; :class:`ConfigError` naming it when absent."""
    value = optional_credential(job, name)
    if value is None:
        raise ConfigError(f"{job.network} job {job.job_id}: the credential '{name}' is missing")
    return value


def optional_credential(job: JobSpec, name: str) -> str | None:
    """The secret ``name`` of the job, stripped, or ``None`` when absent or blank."""
    return (job.credentials.get(name) or "").strip() or None


def _given(job: JobSpec, name: str) -> Any:
    value = job.options.get(name)
    return None if value is None or value == "" else value


def text_option(job: JobSpec, name: str, default: str) -> str:
    """A free-form option (a URL, an id, a user agent)."""
    value = _given(job, name)
    return default if value is None else str(value)


def url_option(
    job: JobSpec, name: str, default: str, *, schemes: Collection[str] = ("http", "https")
) -> str:
    """A URL option, refused unless it has a host and one of ``schemes``."""
    url = text_option(job, name, default)
    try:
        parsed: httpx.URL | None = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in schemes or not parsed.host:
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise ConfigError(
            f"{job.network}: option {name} must be a URL starting with {allowed}, not {url!r}"
        )
    return url


def int_option(
    job: JobSpec, name: str, default: int, *, low: int = 1, high: int | None = None
) -> int:
    """A whole number from ``low`` to ``high`` (text such as ``"20"`` is accepted)."""
    bounds = f"{low} to {high}" if high is not None else f"at least {low}"
    return _number(
        job,
        name,
        default,
        int,
        lambda n: n >= low and (high is None or n <= high),
        f"{bounds} (a whole number)",
    )


def seconds_option(job: JobSpec, name: str, default: float) -> float:
    """A positive number of seconds (text such as ``"900"`` is accepted)."""
    return _number(job, name, default, float, lambda s: s > 0, "a positive number")


def _number(
    job: JobSpec,
    name: str,
    default: N,
    convert: Callable[[Any], N],
    fits: Callable[[N], bool],
    expected: str,
) -> N:
    value = _given(job, name)
    if value is None:
        return default
    try:
        number: N | None = convert(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not fits(number):
        raise ConfigError(f"{job.network}: option {name} must be {expected}, got {value!r}")
    return number


def choice_option(job: JobSpec, name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices``."""
    value = text_option(job, name, default)
    if value not in choices:
        raise ConfigError(
            f"{job.network}: option {name} must be {' or '.join(choices)}, got {value!r}"
        )
    return value


def flag_option(job: JobSpec, name: str, default: bool) -> bool:
    """A yes/no option: ``false``, ``0`` and ``no`` (any case) say no, anything else yes."""
    value = _given(job, name)
    if value is None:
        return default
    return str(value).lower() not in {"false", "0", "no"}


def state_dir_option(job: JobSpec) -> Path:
    """The job's ``state_dir`` option: the worker and ``ugc ingest backfill`` set it to
    ``UGC_STATE_DIR`` when the job does not."""
    return Path(text_option(job, "state_dir", str(DEFAULT_STATE_DIR)))
