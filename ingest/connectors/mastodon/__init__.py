"""Mastodon: hashtag timelines polled over REST, or pushed by the streaming API.

- :class:`MastodonConnector` (:mod:`~ingest.connectors.mastodon.timeline`) polls
  ``/api/v1/timelines/tag/{tag}``; no token needed on most instances;
- :class:`MastodonStreamConnector` (:mod:`~ingest.connectors.mastodon.stream`) follows the
  hashtag streams (a user token is required) and catches up over REST on every connect.

Both normalize a status with :mod:`~ingest.connectors.mastodon.status`.
"""

from ingest.connectors.mastodon.stream import MastodonStreamConnector
from ingest.connectors.mastodon.timeline import MastodonConnector
from ingest.connectors.spec import ConnectorSpec
from listening.networks import MASTODON

SPEC = ConnectorSpec(MASTODON, polling=MastodonConnector, streaming=MastodonStreamConnector)

__all__ = ["SPEC", "MastodonConnector", "MastodonStreamConnector"]
