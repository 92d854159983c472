"""``ugc settings``: every command that reads a setting is named beside it, and no command of
``ugc`` is left out of the list the table is made from."""

from __future__ import annotations

from collections.abc import Iterator

import click

from ugc.cli import cli
from ugc.settings_doc import READS_NO_SETTINGS, readers, settings_table


def leaf_commands(command: click.Command, path: str, ctx: click.Context) -> Iterator[str]:
    if not isinstance(command, click.Group):
        yield path
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{path} {name}"
        yield from leaf_commands(sub, f"{path} {name}", ctx)


def row(variable: str) -> list[str]:
    [line] = [line for line in settings_table().splitlines() if line.startswith(f"| `{variable}` ")]
    return [cell.strip() for cell in line.split(" | ")]


def test_every_command_is_either_a_reader_or_said_to_read_none() -> None:
    commands = set(leaf_commands(cli, "ugc", click.Context(cli)))
    listed = [command for command, _ in readers()]

    # A command may read several classes (the API reads the webhook settings too), each once.
    assert len(readers()) == len(set(readers()))
    assert set(listed).isdisjoint(READS_NO_SETTINGS)
    assert set(listed) | set(READS_NO_SETTINGS) == commands


def test_the_database_url_names_every_command_that_opens_the_database() -> None:
    assert row("UGC_DATABASE_URL")[1] == (
        "`ugc api`, `ugc sink`, "
        "`ugc rights worker\\|decide\\|inbox\\|proof\\|request\\|revoke\\|sent\\|show`, "
        "`ugc db upgrade`, "
        "`ugc ingest add\\|backfill\\|list\\|replay\\|rights\\|run`, "
        "`ugc alerts worker\\|ack\\|list\\|resolve\\|show\\|sink\\|snooze\\|unsnooze`, "
        "`ugc webhooks deliver`, `ugc media worker`"
    )


def test_a_setting_of_one_deployable_names_only_its_commands() -> None:
    ingest = "`ugc ingest add\\|backfill\\|list\\|replay\\|rights\\|run`"
    assert row("UGC_MODEL_ENCODER")[1] == "`ugc classify eval\\|score\\|train\\|worker`"
    assert row("UGC_JOBS_RELOAD_INTERVAL_S")[1] == ingest


def test_a_renamed_setting_says_which_deprecated_name_is_still_read() -> None:
    assert (
        "Deprecated name, still read: `UGC_SINK_MAX_DEAD_LETTER_RATIO`."
        in (row("UGC_SINK_DLQ_MAX_RATIO")[3])
    )
    assert "`UGC_DLQ_WINDOW`" in row("UGC_CLASSIFY_DLQ_WINDOW")[3]
    variables = [line.split("|")[1].strip() for line in settings_table().splitlines()[2:]]
    assert "`UGC_DLQ_WINDOW`" not in variables
