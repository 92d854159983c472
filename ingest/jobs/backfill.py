"""``ugc ingest backfill``: pull a job's history where its network allows, once.

History is what a connector takes on the first poll of a hashtag (no saved position): its
newest pages, as many as its ``backfill_pages`` option says where it has one (Mastodon), or
what its search API returns for the recent past (X's last 7 days, Instagram's last 24 hours,
Bluesky's search with a session). The job's saved positions are neither read nor moved: the
running job goes on from where it was, and the posts fetched twice are dropped downstream by
``post_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from database.enums import ListeningMode
from ingest.connectors import registry
from ingest.connectors.base import ConfigError, JobSpec
from ingest.connectors.runner import MemoryHealth, PollingRunner
from ingest.producer import PostSink

log = logging.getLogger(__name__)

BACKFILL_OPTION = "backfill_pages"


class MemoryPositions:
    """Positions kept for one backfill only: it starts fresh and leaves the job's alone."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, ...], str] = {}

    def load(self, key: Sequence[str]) -> str | None:
        return self.saved.get(tuple(key))

    def save(self, key: Sequence[str], position: str) -> None:
        self.saved[tuple(key)] = position


@dataclass
class BackfillResult:
    posts: int = 0
    per_tag: dict[str, int] = field(default_factory=dict)


def backfill_spec(spec: JobSpec, pages: int | None) -> JobSpec:
    """``spec`` asking for ``pages`` pages of history, where the connector has that option."""
    if pages is None:
        return spec
    options = registry.describe(spec.network, ListeningMode.POLL).options
    if BACKFILL_OPTION not in options:
        log.info("%s takes no page count for its history; --pages is not used", spec.network)
        return spec
    return replace(spec, options={**spec.options, BACKFILL_OPTION: pages})


def backfill(
    spec: JobSpec,
    sink: PostSink,
    *,
    on_tag: Callable[[str, int], None] = lambda _tag, _posts: None,
) -> BackfillResult:
    """Fetch each hashtag's history with the job's polling connector and produce it.

    ``on_tag(tag, posts)`` is called after each hashtag (the command moves its progress bar).
    Raises :class:`ConfigError` when the network keeps no history reachable by polling.
    """
    if ListeningMode.POLL not in registry.network(spec.network).modes:
        raise ConfigError(f"{spec.network} has no history API to backfill from")
    result = BackfillResult()
    connector = registry.polling_connector(spec)
    try:
        for tag in spec.hashtags:
            one_tag = replace(spec, hashtags=(tag,))
            health = MemoryHealth()
            runner = PollingRunner(one_tag, connector, sink, MemoryPositions(), health)
            posts = runner.poll_once()  # raises what the connector raised: the command says it
            result.posts += posts
            result.per_tag[tag] = posts
            on_tag(tag, posts)
    finally:
        connector.close()
    return result
