"""Which networks a listening job can use, and how to build a connector for one.

Connector modules are imported by name only when a job needs them, so that listing the
networks never pays for a network's HTTP or websocket stack, and a connector that fails to
import breaks its own jobs only (a :class:`ConfigError` saying so).

A connector module exposes ``NETWORK``, ``REQUIRED_CREDENTIALS`` (names of the secrets a job
needs), ``OPTIONAL_CREDENTIALS`` (used when set), ``OPTIONS`` (option name -> one-line
description) and a ``<Network>Connector`` class with ``from_job(job, **kw)``. A streaming
connector lives in a module of its own (Mastodon's streaming API, Bluesky's Jetstream) or beside
the polling one; its class (or its own module) declares its credentials with the same names.
A job's options are checked against every option the network's connectors read, so that a job
keeps them when it switches between polling and streaming.

TikTok is known only to be refused with the reason. Tests add a fake network with
:func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import Any

from ingest.connectors.base import ConfigError, JobSpec, PollingConnector, StreamingConnector

TIKTOK_UNAVAILABLE = (
    "TikTok's Research API is only for approved non-profit researchers; "
    "it is not available to brands, so TikTok cannot be listened to"
)

#: Networks people ask for that no API open to brands allows, and why.
UNSUPPORTED: dict[str, str] = {"tiktok": TIKTOK_UNAVAILABLE}


class Mode(StrEnum):
    POLL = "poll"
    STREAM = "stream"


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
    default_mode: Mode = Mode.POLL
    polling_class: str | None = None
    #: Options of the streaming connector, for a connector that does not declare them.
    stream_options: Mapping[str, str] = field(default_factory=dict)

    @property
    def modes(self) -> tuple[Mode, ...]:
        modes = [Mode.POLL] if self.polling else []
        if self.streaming_class is not None:
            modes.append(Mode.STREAM)
        return tuple(modes)


@dataclass(frozen=True)
class Description:
    """What a job on a network in a mode needs: secrets and options (names, never values)."""

    network: str
    mode: Mode
    modes: tuple[Mode, ...]
    required_credentials: tuple[str, ...]
    optional_credentials: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def credential_names(self) -> tuple[str, ...]:
        return (*self.required_credentials, *self.optional_credentials)


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
            # Jetstream needs no account; search (polling, backfill) needs a session.
            default_mode=Mode.STREAM,
            stream_options={
                "jetstream_url": "Jetstream websocket to subscribe to "
                "(default wss://jetstream2.us-east.bsky.network/subscribe).",
                "rewind_s": "Seconds replayed before the saved cursor on a reconnection "
                "(default 5): duplicates are dropped, nothing is lost.",
            },
        ),
        Network("x", "ingest.connectors.x"),
        Network("instagram", "ingest.connectors.instagram"),
        Network("reddit", "ingest.connectors.reddit"),
        Network("youtube", "ingest.connectors.youtube"),
    )
}


def known_networks() -> list[str]:
    """Names of the networks a job can listen on, sorted."""
    return sorted(_NETWORKS)


def network(name: str) -> Network:
    """The network called ``name`` (case-insensitive); :class:`ConfigError` saying why not
    for TikTok and other networks brands cannot listen on, or listing the known ones."""
    key = name.strip().casefold()
    if key in UNSUPPORTED:
        raise ConfigError(UNSUPPORTED[key])
    found = _NETWORKS.get(key)
    if found is None:
        raise ConfigError(f"unknown network {name!r}: choose one of {', '.join(known_networks())}")
    return found


def resolve_mode(entry: Network, mode: str | Mode | None) -> Mode:
    """``mode``, or the network's default; :class:`ConfigError` when the network lacks it."""
    if mode is None:
        return entry.default_mode
    try:
        chosen = Mode(mode)
    except ValueError:
        raise ConfigError(f"unknown mode {mode!r}: choose poll or stream") from None
    if chosen not in entry.modes:
        can = " or ".join(entry.modes)
        raise ConfigError(f"{entry.name} cannot {chosen.value}; it can {can}")
    return chosen


def describe(name: str, mode: str | Mode | None = None) -> Description:
    """Credentials and options of a job on network ``name`` in ``mode`` (default: the
    network's own). Imports the connector; :class:`ConfigError` if it cannot be imported."""
    entry = network(name)
    chosen = resolve_mode(entry, mode)
    sources = _attribute_sources(entry, chosen)
    return Description(
        network=entry.name,
        mode=chosen,
        modes=entry.modes,
        required_credentials=tuple(_first(sources, "REQUIRED_CREDENTIALS", ())),
        optional_credentials=tuple(_first(sources, "OPTIONAL_CREDENTIALS", ())),
        options=_all_options(entry, chosen),
    )


def polling_connector(job: JobSpec, **kwargs: Any) -> PollingConnector:
    """A polling connector for ``job`` (``kwargs`` go to ``from_job``: ``client``, ``now``…)."""
    entry = network(job.network)
    if not entry.polling:
        raise ConfigError(f"{entry.name} has no polling connector")
    cls = _class(_import(entry, entry.module), entry.polling_class, entry.name)
    connector: PollingConnector = cls.from_job(job, **kwargs)
    return connector


def streaming_connector(job: JobSpec, **kwargs: Any) -> StreamingConnector | None:
    """A streaming connector for ``job``, or ``None`` when its network has none."""
    entry = network(job.network)
    if entry.streaming_class is None:
        return None
    module = _import(entry, entry.streaming_module or entry.module)
    cls = _class(module, entry.streaming_class, entry.name)
    connector: StreamingConnector = cls.from_job(job, **kwargs)
    return connector


@contextmanager
def register(entry: Network) -> Iterator[Network]:
    """Make ``entry`` a known network while the block runs (tests add fake networks)."""
    previous = _NETWORKS.get(entry.name)
    _NETWORKS[entry.name] = entry
    try:
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


def _attribute_sources(entry: Network, mode: Mode) -> list[Any]:
    """Where a mode's credential names are read, most specific first."""
    if mode is Mode.POLL:
        return [_import(entry, entry.module)]
    module = _import(entry, entry.streaming_module or entry.module)
    sources: list[Any] = [_class(module, entry.streaming_class, entry.name)]
    if entry.streaming_module is not None:
        sources.append(module)
    else:
        # Polling and streaming share a module: its plain names describe polling, and
        # `STREAM_*` names (if any) streaming.
        sources.append(_StreamDefaults(module))
    return sources


def _all_options(entry: Network, mode: Mode) -> dict[str, str]:
    """Every option any of the network's connectors reads: a job keeps its options when it
    switches between polling and streaming. Only the chosen mode's connector must load."""
    options: dict[str, str] = {}
    for each in entry.modes:
        try:
            options.update(_options(entry, each))
        except ConfigError:
            if each is mode:
                raise
    return options


def _options(entry: Network, mode: Mode) -> dict[str, str]:
    if mode is Mode.POLL:
        return dict(getattr(_import(entry, entry.module), "OPTIONS", None) or {})
    module = _import(entry, entry.streaming_module or entry.module)
    stream_class = _class(module, entry.streaming_class, entry.name)
    declared = getattr(stream_class, "OPTIONS", None) or getattr(module, "STREAM_OPTIONS", None)
    if declared is None and entry.streaming_module is not None:
        declared = getattr(module, "OPTIONS", None)
    return {**entry.stream_options, **(declared or {})}


class _StreamDefaults:
    """``STREAM_<NAME>`` attributes of a shared module, read as the streaming ones."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, f"STREAM_{name}")


def _first(sources: list[Any], name: str, default: Any) -> Any:
    for source in sources:
        value = getattr(source, name, None)
        if value is not None:
            return value
    return default
