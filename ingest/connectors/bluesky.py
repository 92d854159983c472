"""Bluesky: Jetstream (streaming, the default, no account needed) and search (polling, backfill).

- :class:`BlueskyStreamConnector` (:mod:`ingest.connectors.bluesky_jetstream`) follows the
  Jetstream firehose and matches the job's hashtags on each post's tag facets and ``tags``;
- :class:`BlueskyConnector` (:mod:`ingest.connectors.bluesky_search`) pages
  ``app.bsky.feed.searchPosts``, which needs a session: credentials ``identifier`` and
  ``app_password``, checked when a search is made (Jetstream needs neither).

Both normalize the same record with :mod:`ingest.connectors.bluesky_post`, so a post found by
both is one post (``native_id`` is its AT URI).
"""

from __future__ import annotations

from ingest.connectors.bluesky_jetstream import BlueskyStreamConnector
from ingest.connectors.bluesky_search import BlueskyConnector

NETWORK = "bluesky"
REQUIRED_CREDENTIALS: tuple[str, ...] = ()
#: Search is refused without a session in practice; Jetstream ignores these.
OPTIONAL_CREDENTIALS: tuple[str, ...] = ("identifier", "app_password")
OPTIONS: dict[str, str] = {
    "jetstream_url": "Jetstream websocket to stream from "
    "(default wss://jetstream2.us-east.bsky.network/subscribe).",
    "rewind_s": "Seconds replayed before the saved cursor on reconnect (default 5).",
    "base_url": "XRPC base URL for search (default https://bsky.social/xrpc).",
    "backfill_pages": "Search pages (100 posts each) taken on the first poll (default 1).",
    "max_pages": "Search pages read per poll before checkpointing (default 10).",
    "overlap_s": "Seconds each search window re-reads for late-indexed posts (default 60).",
}

__all__ = [
    "NETWORK",
    "OPTIONAL_CREDENTIALS",
    "OPTIONS",
    "REQUIRED_CREDENTIALS",
    "BlueskyConnector",
    "BlueskyStreamConnector",
]
