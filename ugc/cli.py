"""The ``ugc`` command: one entry point for every process kind.

Subcommands are imported only when used, so ``ugc --help`` and ``ugc api`` never pay for
importing torch.
"""

from __future__ import annotations

import logging
import os

import click

from ugc.lazy import LazyGroup

_SUBCOMMANDS = {
    "up": (
        "ugc.up",
        "up_command",
        "Run the whole pipeline on this machine (embedded broker, SQLite, demo data).",
    ),
    "api": (
        "curation_api.cli",
        "api_command",
        "Serve the curation API (moderation queue, feeds, docs at /docs).",
    ),
    "sink": (
        "curation_api.cli",
        "sink_command",
        "Consume scored posts into the database (idempotent upserts).",
    ),
    "db": ("curation_api.cli", "db_group", "Database migrations."),
    "ingest": (
        "ingest.cli",
        "ingest",
        "Pull hashtag posts from a source and produce them to Kafka.",
    ),
    "classify": (
        "classify.cli",
        "classify",
        "Score posts: the stream worker, training and offline scoring.",
    ),
    "topics": ("ugc.topics", "topics_group", "Create the Kafka topics."),
    "settings": (
        "ugc.settings_doc",
        "settings_command",
        "List every UGC_* setting with its default.",
    ),
    "rights": (
        "curation_api.rights.cli",
        "rights",
        "Rights to reuse creators' posts: requests, decisions, proofs, the worker.",
    ),
    "alerts": (
        "ugc.alerts",
        "alerts",
        "Negative viral spikes: the detector, backtests, incidents.",
    ),
    "webhooks": (
        "curation_api.webhooks.cli",
        "webhooks",
        "Webhooks: the delivery worker, and a local receiver that checks signatures.",
    ),
    "media": (
        "curation_api.media.cli",
        "media",
        "Media copies: the worker that serves posts' images from our own origin.",
    ),
}


@click.group(cls=LazyGroup, commands=_SUBCOMMANDS)
@click.option(
    "--log-level",
    default=lambda: os.environ.get("UGC_LOG_LEVEL", "INFO"),
    show_default="INFO or $UGC_LOG_LEVEL",
    help="Logging level for this process.",
)
def cli(log_level: str) -> None:
    """UGC hashtag listening and curation pipeline.

    Start with `ugc up`: it runs everything on this machine with the demo data.
    """
    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # The Kafka clients are chatty at INFO; their warnings still show.
    for noisy in ("kafka", "aiokafka", "faust", "mode", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def main() -> None:
    cli(prog_name="ugc")


if __name__ == "__main__":
    main()
