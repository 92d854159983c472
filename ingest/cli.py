"""``ingest``: the commands that bring posts into the raw topic (``ugc.posts.raw``).

Both commands load :class:`IngestSettings` once (options override it), produce to the broker at
``UGC_KAFKA_BOOTSTRAP_SERVERS``, and treat SIGINT/SIGTERM as a request to stop: the loop ends,
the producer waits for the broker's acknowledgement, and the command exits 0.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from ingest.connectors.base import ConfigError
from ingest.process import producer_for, stop_on_signals
from ingest.producer import DeliveryFailed
from ingest.settings import IngestSettings
from ingest.sources.mastodon import MastodonSource
from ingest.sources.replay import replay as replay_posts

log = logging.getLogger(__name__)


# Listening-job commands (ingest/jobs/commands.py) load on first use: a replay needs none of
# the database and API code they bring in.
_JOB_COMMANDS = {
    "add": "add_job",
    "list": "list_jobs",
    "run": "run_jobs",
    "backfill": "backfill_job",
    "networks": "networks_command",
}


class _IngestGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_JOB_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _JOB_COMMANDS:
            from ingest.jobs import commands

            command = getattr(commands, _JOB_COMMANDS[cmd_name])
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(name="ingest", cls=_IngestGroup)
def ingest() -> None:
    """Bring posts into the raw topic: run the listening jobs (`add`, `list`, `run`), replay a
    file of posts, or follow Mastodon hashtags directly."""
    _configure_logging()


@ingest.command()
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSONL file of posts, one RawPost per line.  [default: the bundled demo posts]",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0),
    default=None,
    help="Posts per second; 0 sends as fast as possible.  [default: UGC_REPLAY_RATE or 20]",
)
@click.option(
    "--no-retime",
    is_flag=True,
    help="Keep the recorded created_at dates instead of moving them so the newest is now.",
)
def replay(path: Path | None, rate: float | None, no_retime: bool) -> None:
    """Replay a JSONL file of posts into the raw topic at a steady pace.

    Lines that are not valid posts go to the dead-letter topic (ugc.posts.dlq) with the reason.
    Ctrl-C stops early, once the posts already sent are acknowledged.
    """
    settings = _load_settings(replay_rate=rate)
    if path is None:
        from ingest.demo import demo_posts_path  # only the demo needs the bundled data

        path = demo_posts_path()
    with stop_on_signals() as stop, producer_for(settings) as producer:
        pace = f"{settings.replay_rate:g} posts/s" if settings.replay_rate else "full speed"
        log.info("replaying %s at %s", path, pace)
        try:
            stats = replay_posts(
                path, producer, rate=settings.replay_rate, retime=not no_retime, stop=stop
            )
        except DeliveryFailed as exc:
            raise click.ClickException(f"the broker did not take the posts: {exc}") from None
    stopped = " (stopped early)" if stop.is_set() else ""
    click.echo(
        f"replay: {stats.sent} posts sent, {stats.dead_lettered} dead-lettered from {path}{stopped}"
    )


@ingest.command()
@click.option(
    "--base-url",
    default=None,
    help="Mastodon instance to poll.  [default: UGC_MASTODON_BASE_URL or https://mastodon.social]",
)
@click.option(
    "--hashtag",
    "hashtags",
    multiple=True,
    metavar="TAG",
    help="Hashtag to follow, with or without '#'; repeat for several.  "
    "[default: UGC_MASTODON_HASHTAGS, comma-separated]",
)
@click.option(
    "--once",
    is_flag=True,
    help="Poll each hashtag once and exit, instead of every UGC_MASTODON_POLL_INTERVAL_S.",
)
def mastodon(base_url: str | None, hashtags: tuple[str, ...], once: bool) -> None:
    """Follow hashtags on a Mastodon instance and produce their new posts to the raw topic.

    The first poll of a hashtag takes its newest page(s) (UGC_MASTODON_BACKFILL_PAGES); later
    polls take only newer posts. After a restart it resumes from its checkpoint in
    UGC_CHECKPOINT_DIR. Instances that require login need UGC_MASTODON_ACCESS_TOKEN.
    """
    settings = _load_settings(
        mastodon_base_url=base_url, mastodon_hashtags=",".join(hashtags) or None
    )
    if not settings.mastodon_hashtag_list:
        raise click.UsageError("no hashtag to follow: pass --hashtag or set UGC_MASTODON_HASHTAGS")
    with stop_on_signals() as stop, producer_for(settings) as producer:
        source = MastodonSource(settings, producer, stop=stop)
        try:
            if once:
                source.poll_once()
            else:
                source.run(stop)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            source.close()
    tags = ", ".join(f"#{tag}" for tag in source.tags)
    click.echo(
        f"mastodon: {source.produced_total} posts produced from {tags} "
        f"on {settings.mastodon_base_url}"
    )


def _load_settings(**overrides: Any) -> IngestSettings:
    """Settings from the environment, with the options that were given taking precedence."""
    try:
        return IngestSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise click.ClickException(f"invalid settings: {exc}") from None


def _configure_logging() -> None:
    # When the `ugc` command (or a host application) configured logging, keep its choices.
    if logging.getLogger().handlers:
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)  # its INFO is per-connection chatter
