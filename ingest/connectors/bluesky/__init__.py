"""Bluesky: Jetstream (streaming, the default, no account needed) and search (polling, backfill).

- :class:`BlueskyStreamConnector` (:mod:`~ingest.connectors.bluesky.jetstream`) follows the
  Jetstream firehose and matches the job's hashtags on each post's tag facets and ``tags``;
- :class:`BlueskyConnector` (:mod:`~ingest.connectors.bluesky.search`) pages
  ``app.bsky.feed.searchPosts``, which needs a session: credentials ``identifier`` and
  ``app_password``, checked when a search is made (Jetstream needs neither).

Both normalize the same record with :mod:`~ingest.connectors.bluesky.post`, so a post found by
both is one post (``native_id`` is its AT URI).
"""

from ingest.connectors.bluesky.jetstream import BlueskyStreamConnector
from ingest.connectors.bluesky.search import BlueskyConnector
from ingest.connectors.spec import ConnectorSpec
from listening.networks import BLUESKY

SPEC = ConnectorSpec(BLUESKY, polling=BlueskyConnector, streaming=BlueskyStreamConnector)

__all__ = ["SPEC", "BlueskyConnector", "BlueskyStreamConnector"]
