"""``ugc settings``: every ``UGC_*`` environment variable, the commands that read it, its default
and what it does.

The README's settings table is this command's output; a test keeps the two in step, and another
that every ``ugc`` command is in :func:`readers` or in :data:`READS_NO_SETTINGS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click
from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

#: The commands that load no settings class of their own, and why.
READS_NO_SETTINGS = {
    "ugc up": "runs the other commands, passing its environment on",
    "ugc settings": "prints this table",
    "ugc ingest networks": "prints what the code knows of each network",
    "ugc ingest mastodon": "removed; it only prints what replaces it",
    "ugc rights check-reply": "reads replies from a file or stdin, no service",
    "ugc alerts backtest": "reads a series from a CSV file, no service",
    "ugc webhooks listen": "a local receiver; its options are all it needs",
}


def readers() -> list[tuple[str, type[BaseSettings]]]:
    """Each command that loads settings, with the class it loads: the command reads (and
    validates, at start) every setting of that class."""
    from classify.settings import ClassifySettings
    from classify.spikes.settings import SpikeSettings
    from contract.settings import KafkaSettings
    from curation_api.alerts.settings import AlertsSinkSettings
    from curation_api.media.settings import MediaSettings
    from curation_api.rights.commands import RightsCommandSettings
    from curation_api.rights.settings import RightsWorkerSettings
    from curation_api.settings import ApiSettings
    from curation_api.webhooks.settings import WebhookSettings
    from database.settings import DatabaseSettings
    from ingest.settings import IngestSettings

    return [
        ("ugc api", ApiSettings),
        ("ugc api", WebhookSettings),
        ("ugc sink", ApiSettings),
        ("ugc rights worker", RightsWorkerSettings),
        *((f"ugc rights {name}", RightsCommandSettings) for name in _RIGHTS_COMMANDS),
        ("ugc db upgrade", DatabaseSettings),
        *((f"ugc ingest {name}", IngestSettings) for name in _INGEST_COMMANDS),
        *((f"ugc classify {name}", ClassifySettings) for name in _CLASSIFY_COMMANDS),
        ("ugc topics create", KafkaSettings),
        ("ugc alerts worker", SpikeSettings),
        *((f"ugc alerts {name}", AlertsSinkSettings) for name in _ALERTS_COMMANDS),
        ("ugc webhooks deliver", WebhookSettings),
        ("ugc api", MediaSettings),
        ("ugc media worker", MediaSettings),
    ]


_RIGHTS_COMMANDS = ("decide", "inbox", "proof", "request", "revoke", "sent", "show")
_INGEST_COMMANDS = ("add", "backfill", "list", "replay", "rights", "run")
_CLASSIFY_COMMANDS = ("eval", "score", "train", "worker")
_ALERTS_COMMANDS = ("ack", "list", "resolve", "show", "sink", "snooze", "unsnooze")


def _table_order() -> list[type[BaseSettings]]:
    # Settings shared by many commands first, then each deployable's own.
    from classify.settings import ClassifySettings
    from classify.spikes.settings import SpikeSettings
    from contract.settings import KafkaSettings
    from curation_api.alerts.settings import AlertsSinkSettings
    from curation_api.media.settings import MediaSettings
    from curation_api.rights.settings import RightsWorkerSettings
    from curation_api.settings import ApiSettings
    from curation_api.webhooks.settings import WebhookSettings
    from database.settings import DatabaseSettings
    from ingest.settings import IngestSettings
    from listening.settings import SecretsSettings

    return [
        KafkaSettings,
        DatabaseSettings,
        SecretsSettings,
        IngestSettings,
        ClassifySettings,
        ApiSettings,
        RightsWorkerSettings,
        SpikeSettings,
        AlertsSinkSettings,
        WebhookSettings,
        MediaSettings,
    ]


def variables(prefix: str, name: str, field: FieldInfo) -> list[str]:
    """The environment variables of a setting: the one to use, then deprecated ones still read."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice.upper() for choice in alias.choices if isinstance(choice, str)]
    if isinstance(alias, str):
        return [alias.upper()]
    return [f"{prefix}{name}".upper()]


def settings_table() -> str:
    """A Markdown table of every setting, each listed once, with every command that reads it."""
    commands = readers()
    rows = ["| variable | read by | default | meaning |", "|---|---|---|---|"]
    seen: set[str] = set()
    for settings_class in _table_order():
        prefix = str(settings_class.model_config.get("env_prefix", ""))
        for name, field in settings_class.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            variable, *deprecated = variables(prefix, name, field)
            read_by = _command_list(c for c, cls in commands if name in cls.model_fields)
            default = field.get_default(call_default_factory=True)
            shown = "" if default in (None, "") else f"`{default}`"
            description = field.description or ""
            if deprecated:
                names = ", ".join(f"`{old}`" for old in deprecated)
                description += f" Deprecated name, still read: {names}."
            cells = (f"`{variable}`", read_by, shown, description)
            rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def _command_list(commands: Iterable[str]) -> str:
    """```ugc api`, `ugc ingest add|run```: the subcommands of one group share an entry."""
    groups: dict[str, list[str]] = {}
    for command in commands:
        *parent, leaf = command.split()
        if len(parent) > 1:
            groups.setdefault(" ".join(parent), []).append(leaf)
        else:
            groups[command] = []
    return ", ".join(
        f"`{name} {'|'.join(leaves)}`" if leaves else f"`{name}`" for name, leaves in groups.items()
    )


START_MARK = "<!-- settings-table:start -->"
END_MARK = "<!-- settings-table:end -->"


def with_settings_table(document: str) -> str:
    """``document`` with the text between the settings-table markers replaced by the table."""
    head, start, rest = document.partition(START_MARK)
    _, end, tail = rest.partition(END_MARK)
    if not start or not end:
        raise ValueError(f"the document has no {START_MARK} … {END_MARK} section")
    return f"{head}{start}\n{settings_table()}\n{end}{tail}"


@click.command(name="settings")
@click.option(
    "--write",
    "document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Rewrite the settings table inside this Markdown file (e.g. README.md).",
)
def settings_command(document: Path | None) -> None:
    """Print every UGC_* setting, and the commands that read it, as a Markdown table."""
    if document is None:
        click.echo(settings_table())
        return
    document.write_text(with_settings_table(document.read_text(encoding="utf-8")), "utf-8")
    click.echo(f"updated the settings table in {document}")
