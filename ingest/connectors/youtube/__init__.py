"""YouTube: ``search.list`` for ``#tag``, polled (:mod:`~ingest.connectors.youtube.search`)
within the key's daily unit quota (:mod:`~ingest.connectors.youtube.quota`)."""

from ingest.connectors.spec import ConnectorSpec
from ingest.connectors.youtube.search import YouTubeConnector
from listening.networks import YOUTUBE

SPEC = ConnectorSpec(YOUTUBE, polling=YouTubeConnector)

__all__ = ["SPEC", "YouTubeConnector"]
