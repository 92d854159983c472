"""How to build a connector for a listening job's network.

What each network needs (modes, options, credential names) is data in :mod:`listening.networks`,
shared with the API; this module maps a network to the connector classes that run its jobs.
Connector modules are imported by name only when a job needs them, so that a connector that
fails to import breaks its own jobs only (a :class:`ConfigError` saying so). Tests add a fake
network with :func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from database.models import ListeningMode
from ingest.connectors.base import ConfigError, JobSpec, PollingConnector, StreamingConnector
from listening import networks
from listening.networks import Description, NetworkRefused


@dataclass(frozen=True)
class Network:
    """Where one network's connectors live (module paths and class names, imported lazily).

    ``polling_class``/``streaming_class`` of ``None`` mean the network has no such connector;
    a class name of ``None`` with a module means "the class named ``<network>Connector``"
    (matched case-insensitively, so ``YouTubeConnector`` and ``YoutubeConnector`` both do).
    """

    name: str
    module: str
    polling: bool = True
    streaming_module: str | None = None
    streaming_class: str | None = None
    polling_class: str | None = None


_NETWORKS: dict[str, Network] = {
    n.name: n
    for n in (
        Network(
            "mastodon",
            "ingest.connectors.mastodon",
            streaming_module="ingest.connectors.mastodon_stream",
            streaming_class="MastodonStreamConnector",
        ),
        Network(
            "bluesky",
            "ingest.connectors.bluesky",
            streaming_module="ingest.connectors.bluesky_jetstream",
            streaming_class="BlueskyStreamConnector",
        ),
        Network("x", "ingest.connectors.x"),
        Network("instagram", "ingest.connectors.instagram"),
        Network("reddit", "ingest.connectors.reddit"),
        Network("youtube", "ingest.connectors.youtube"),
    )
}


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


def _connectors(name: str) -> Network:
    found = _NETWORKS.get(network(name).name)
    if found is None:
        raise ConfigError(f"{name} has no connector")
    return found


def polling_connector(job: JobSpec, **kwargs: Any) -> PollingConnector:
    """A polling connector for ``job`` (``kwargs`` go to ``from_job``: ``client``, ``now``…)."""
    entry = _connectors(job.network)
    if not entry.polling:
        raise ConfigError(f"{entry.name} has no polling connector")
    cls = _class(_import(entry, entry.module), entry.polling_class, entry.name)
    connector: PollingConnector = cls.from_job(job, **kwargs)
    return connector


def streaming_connector(job: JobSpec, **kwargs: Any) -> StreamingConnector | None:
    """A streaming connector for ``job``, or ``None`` when its network has none."""
    entry = _connectors(job.network)
    if entry.streaming_class is None:
        return None
    module = _import(entry, entry.streaming_module or entry.module)
    cls = _class(module, entry.streaming_class, entry.name)
    connector: StreamingConnector = cls.from_job(job, **kwargs)
    return connector


@contextmanager
def register(entry: Network, description: networks.Network) -> Iterator[Network]:
    """Make ``entry`` a known network while the block runs (tests add fake networks)."""
    previous = _NETWORKS.get(entry.name)
    _NETWORKS[entry.name] = entry
    try:
        with networks.register(description):
            yield entry
    finally:
        if previous is None:
            _NETWORKS.pop(entry.name, None)
        else:
            _NETWORKS[entry.name] = previous


def _import(entry: Network, module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"the {entry.name} connector cannot be loaded ({exc})") from exc


def _class(module: ModuleType, class_name: str | None, network_name: str) -> Any:
    if class_name is not None:
        found = getattr(module, class_name, None)
    else:
        wanted = f"{network_name}connector".casefold()
        found = next((v for k, v in vars(module).items() if k.casefold() == wanted), None)
    if found is None:
        raise ConfigError(f"{module.__name__} has no {class_name or 'connector class'}")
    return found
