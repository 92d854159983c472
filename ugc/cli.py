"""The ``ugc`` command: one entry point for every process kind.

Subcommands are imported only when used, so ``ugc --help`` and ``ugc api`` never pay for
importing torch.
"""

from __future__ import annotations

import importlib
import logging
import os

import click
from typing_extensions import override

_SUBCOMMANDS = {
    "up": ("ugc.up", "up_command"),
    "api": ("curation_api.cli", "api_command"),
    "sink": ("curation_api.cli", "sink_command"),
    "db": ("curation_api.cli", "db_group"),
    "ingest": ("ingest.cli", "ingest"),
    "classify": ("classify.cli", "classify"),
    "topics": ("ugc.topics", "topics_group"),
    "settings": ("ugc.settings_doc", "settings_command"),
    "rights": ("curation_api.rights.cli", "rights"),
}

_HELP = {
    "up": "Run the whole pipeline on this machine (embedded broker, SQLite, demo data).",
    "api": "Serve the curation API (moderation queue, feeds, docs at /docs).",
    "sink": "Consume scored posts into the database (idempotent upserts).",
    "db": "Database migrations.",
    "ingest": "Pull hashtag posts from a source and produce them to Kafka.",
    "classify": "Score posts: the stream worker, training and offline scoring.",
    "topics": "Create the Kafka topics.",
    "settings": "List every UGC_* setting with its default.",
    "rights": "Rights to reuse creators' posts: requests, decisions, proofs, the worker.",
}


class LazyGroup(click.Group):
    @override
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    @override
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return command

    @override
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help text comes from a table so that listing commands imports none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, _HELP[name]) for name in sorted(_SUBCOMMANDS)])


@click.group(cls=LazyGroup)
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
