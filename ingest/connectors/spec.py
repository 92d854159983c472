"""What a network's connector package exports: :class:`ConnectorSpec`, its description and classes.

Each package under ``ingest/connectors/<network>/`` ends with ``SPEC = ConnectorSpec(...)``:
the network's description from :mod:`listening.networks` (its modes, options and credential
names, kept there once) and the classes that build its connectors from a job. The registry reads
it; nothing looks a class up by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Unpack

from database.enums import ListeningMode
from ingest.connectors.base import JobSpec, PollingConnector, StreamingConnector
from ingest.connectors.from_job import Hooks
from listening.networks import Network


class BuildsPolling(Protocol):
    """A polling connector class: ``from_job`` builds one for a job (see :class:`Hooks`)."""

    def from_job(self, job: JobSpec, /, **hooks: Unpack[Hooks]) -> PollingConnector: ...


class BuildsStreaming(Protocol):
    """A streaming connector class: ``from_job`` builds one for a job (see :class:`Hooks`)."""

    def from_job(self, job: JobSpec, /, **hooks: Unpack[Hooks]) -> StreamingConnector: ...


@dataclass(frozen=True)
class ConnectorSpec:
    """One network's description and its connector classes (``None``: no such connector).

    A class is given exactly for the modes the description lists, so that a job the API accepts
    always has a connector to run it, and no connector runs a mode the API refuses.
    """

    network: Network
    polling: BuildsPolling | None = None
    streaming: BuildsStreaming | None = None

    def __post_init__(self) -> None:
        for mode, connector in (
            (ListeningMode.POLL, self.polling),
            (ListeningMode.STREAM, self.streaming),
        ):
            if (mode in self.network.modes) != (connector is not None):
                has = "has" if connector is not None else "lacks"
                raise ValueError(
                    f"{self.network.name}: the connector {has} a {mode.value} class, but the "
                    f"network's modes are {', '.join(self.network.modes)}"
                )

    @property
    def name(self) -> str:
        return self.network.name
