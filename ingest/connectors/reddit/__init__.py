"""Reddit: search sorted by new, polled with OAuth or anonymously
(:mod:`~ingest.connectors.reddit.search`); a result counts only when it carries the hashtag
(:mod:`~ingest.connectors.reddit.post`)."""

from ingest.connectors.reddit.search import RedditConnector
from ingest.connectors.spec import ConnectorSpec
from listening.networks import REDDIT

SPEC = ConnectorSpec(REDDIT, polling=RedditConnector)

__all__ = ["SPEC", "RedditConnector"]
