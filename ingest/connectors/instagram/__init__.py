"""Instagram: Graph API hashtag search and its media edges, polled
(:mod:`~ingest.connectors.instagram.hashtag_media`), within the account's hashtag budget
(:mod:`~ingest.connectors.instagram.budget`)."""

from ingest.connectors.instagram.hashtag_media import InstagramConnector
from ingest.connectors.spec import ConnectorSpec
from listening.networks import INSTAGRAM

SPEC = ConnectorSpec(INSTAGRAM, polling=InstagramConnector)

__all__ = ["SPEC", "InstagramConnector"]
