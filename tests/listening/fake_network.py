"""``fakenet``: a network known to :mod:`listening.networks` only, for the rules of jobs.

The ingest tests register connectors for it as well (``tests/ingest/jobs_fakes.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from database.enums import ListeningMode
from listening import networks

NETWORK = "fakenet"

FAKENET = networks.Network(
    NETWORK,
    {
        ListeningMode.POLL: networks.Credentials(required=("token",)),
        ListeningMode.STREAM: networks.Credentials(),
    },
    {
        "feed": "Name of the fake feed to read (tests).",
        "preload": "Posts per hashtag a feed made on first use starts with (subprocess tests).",
        "backfill_pages": "Accepted like a real connector's; recorded.",
        "state_dir": "Where a real connector would keep its ledgers; recorded.",
    },
)


@contextmanager
def fake_network_description() -> Iterator[networks.Network]:
    """``fakenet`` known to the listening rules for the duration."""
    with networks.register(FAKENET) as entry:
        yield entry
