"""X (API v2): recent search, polled (:mod:`~ingest.connectors.x.search`); a tweet joined with
its expansions is normalized by :mod:`~ingest.connectors.x.tweet`."""

from ingest.connectors.spec import ConnectorSpec
from ingest.connectors.x.search import XConnector
from listening.networks import X

SPEC = ConnectorSpec(X, polling=XConnector)

__all__ = ["SPEC", "XConnector"]
