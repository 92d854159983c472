"""``ingest``: the commands that bring posts into the raw topic (``ugc.posts.raw``).

The listening-job commands live in :mod:`ingest.jobs.commands`. ``replay`` loads
:class:`IngestSettings` once (options override it), produces to the broker at
``UGC_KAFKA_BOOTSTRAP_SERVERS``, and treats SIGINT/SIGTERM as a request to stop: the loop ends,
the producer waits for the broker's acknowledgement, and the command exits 0. ``mastodon`` is
what is left of a removed command: it says what replaces it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from kafka.errors import KafkaError
from pydantic import ValidationError

from contract import normalize_hashtag
from ingest.process import producer_for, stop_on_signals
from ingest.producer import DeliveryFailed
from ingest.settings import IngestSettings
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
    """Bring posts into the raw topic: run the listening jobs (`add`, `list`, `run`), or replay
    a file of posts."""
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
def rights() -> None:
    """Send rights requests to creators and read their replies, until Ctrl-C.

    Consumes ugc.rights.commands and reports on ugc.rights.events. Mastodon requests are sent
    from the brand's account (UGC_RIGHTS_MASTODON_BASE_URL, UGC_RIGHTS_MASTODON_CREDENTIALS);
    every other network's become manual sends, with the reason.
    """
    import os

    from contract.topics import create_topics
    from ingest.rights.network import RightsConfigError
    from ingest.rights.run import run_rights

    settings = _load_settings()
    try:
        create_topics(settings)
    except KafkaError as exc:
        log.warning("could not create the topics (%s); consuming anyway", exc)
    with stop_on_signals() as stop:
        try:
            run_rights(settings, stop, os.environ)
        except RightsConfigError as exc:
            raise click.ClickException(str(exc)) from None


#: ``ugc ingest mastodon`` polled one instance with file checkpoints, outside the listening
#: jobs; it was removed for the Mastodon listening job, which does the same and more.
_MASTODON_REPLACEMENT = """\
`ugc ingest mastodon` was removed: Mastodon hashtags are followed by a listening job now.
Add the job once, then run the jobs worker (it runs every job in the database):

  ugc ingest add mastodon {tags} --option base_url={base_url}
  ugc ingest run

or, on one machine with nothing installed:

  ugc up --mastodon {base_url} {tags}

The old variables are not read: UGC_MASTODON_POLL_INTERVAL_S is `--interval` (default 60),
UGC_MASTODON_PAGE_LIMIT and UGC_MASTODON_BACKFILL_PAGES are `--option page_limit=N` and
`--option backfill_pages=N`, and an access token goes under a credentials reference
(`--credentials REF` with UGC_CRED_<REF>_ACCESS_TOKEN set). The job keeps its position in the
database, not in UGC_CHECKPOINT_DIR: its first poll takes the newest page again."""


@ingest.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    short_help="Removed: prints the listening-job commands that replace it.",
)
@click.option("--base-url", default=None, help="The instance the old command polled.")
@click.option("--hashtag", "hashtags", multiple=True, metavar="TAG", help="A followed hashtag.")
@click.pass_context
def mastodon(ctx: click.Context, base_url: str | None, hashtags: tuple[str, ...]) -> None:
    """Removed: follow Mastodon hashtags with a listening job instead.

    Prints the commands that replace this one (`ugc ingest add mastodon --hashtag TAG --option
    base_url=URL`, then `ugc ingest run`; or `ugc up --mastodon URL --hashtag TAG`), filled in
    with the --base-url and --hashtag given, and exits 2.
    """
    tags = " ".join(f"--hashtag {normalize_hashtag(tag) or 'TAG'}" for tag in hashtags)
    click.echo(
        _MASTODON_REPLACEMENT.format(tags=tags or "--hashtag TAG", base_url=base_url or "URL"),
        err=True,
    )
    ctx.exit(2)


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
