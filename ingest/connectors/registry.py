"""How to build a connector for a listening job's network.

What each network needs (modes, options, credential names) is data in :mod:`listening.networks`,
shared with the API. Its connectors live in the package ``ingest.connectors.<network>``, whose
``SPEC`` (a :class:`~ingest.connectors.spec.ConnectorSpec`) names them; this module finds that
package by the network's name and reads its ``SPEC``, nothing else, nothing found by string.

The package is imported on the first use of its network, not when the registry is: a package
that fails to import (a missing dependency, a bad deploy) breaks its own network's jobs only,
each with a :class:`ConfigError` saying so, while the other networks' jobs run on. Tests add a
fake network (its description and its connectors) with :func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Unpack

from database.enums import ListeningMode
from ingest.connectors.base import ConfigError, JobSpec, PollingConnector, StreamingConnector
from ingest.connectors.from_job import Hooks
from ingest.connectors.spec import ConnectorSpec
from listening import networks
from listening.networks import Description, NetworkRefused

#: Specs registered by tests, ahead of the packages.
_REGISTERED: dict[str, ConnectorSpec] = {}


def known_networks() -> list[str]:
    """Names of the networks a job can listen on, sorted."""
    return networks.known_networks()


def network(name: str) -> networks.Network:
    """The network called ``name``; :class:`ConfigError` saying why no job can run there."""
    try:
        return networks.network(name)
    except NetworkRefused as exc:
        raise ConfigError(str(exc)) from None


def describe(name: str, mode: str | ListeningMode | None = None) -> Description:
    """Credentials and options of a job on network ``name`` in ``mode`` (default: the
    network's own); :class:`ConfigError` when no job can run there."""
    try:
        return networks.describe(name, mode)
    except NetworkRefused as exc:
        raise ConfigError(str(exc)) from None


def connectors(name: str) -> ConnectorSpec:
    """The connector classes of network ``name``: its package's ``SPEC``, imported now if it
    was not yet; :class:`ConfigError` when the network is refused or its package is broken."""
    entry = network(name)
    registered = _REGISTERED.get(entry.name)
    if registered is not None:
        return registered
    package = f"ingest.connectors.{entry.name}"
    try:
        module = importlib.import_module(package)
    except Exception as exc:  # a missing module, a missing dependency, a bad SPEC: all its own
        raise ConfigError(f"the {entry.name} connector cannot be loaded ({exc})") from exc
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, ConnectorSpec) or spec.network.name != entry.name:
        raise ConfigError(
            f"the {entry.name} connector cannot be loaded ({package} has no SPEC for it)"
        )
    return spec


def polling_connector(job: JobSpec, **hooks: Unpack[Hooks]) -> PollingConnector:
    """A polling connector for ``job`` (``hooks`` go to ``from_job``: ``client``, ``now``…)."""
    spec = connectors(job.network)
    if spec.polling is None:
        raise ConfigError(f"{spec.name} has no polling connector")
    return spec.polling.from_job(job, **hooks)


def streaming_connector(job: JobSpec, **hooks: Unpack[Hooks]) -> StreamingConnector | None:
    """A streaming connector for ``job``, or ``None`` when its network has none."""
    spec = connectors(job.network)
    if spec.streaming is None:
        return None
    return spec.streaming.from_job(job, **hooks)


@contextmanager
def register(spec: ConnectorSpec) -> Iterator[ConnectorSpec]:
    """Make ``spec``'s network known, described and built from ``spec`` while the block runs
    (tests add fake networks)."""
    from unittest.mock import patch  # only tests register: kept out of a worker's imports

    with patch.dict(_REGISTERED, {spec.name: spec}), networks.register(spec.network):
        yield spec
