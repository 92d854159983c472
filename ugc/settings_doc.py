"""``ugc settings``: every ``UGC_*`` environment variable, its default and what it does.

The README's settings table is this command's output; a test keeps the two in step.
"""

from __future__ import annotations

import click
from pydantic_settings import BaseSettings

from ugc.settings import KafkaSettings


def _deployables() -> list[tuple[str, type[BaseSettings]]]:
    from classify.settings import ClassifySettings
    from curation_api.settings import ApiSettings
    from ingest.settings import IngestSettings

    return [
        ("all processes", KafkaSettings),
        ("ingest", IngestSettings),
        ("classify", ClassifySettings),
        ("curation API and sink", ApiSettings),
    ]


def settings_table() -> str:
    """A Markdown table of every setting, each listed once, under the first process using it."""
    rows = ["| variable | used by | default | meaning |", "|---|---|---|---|"]
    seen: set[str] = set()
    for used_by, settings_class in _deployables():
        prefix = str(settings_class.model_config.get("env_prefix", ""))
        for name, field in settings_class.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            default = field.get_default(call_default_factory=True)
            shown = "" if default in (None, "") else f"`{default}`"
            description = (field.description or "").replace("|", "\\|")
            rows.append(f"| `{prefix}{name.upper()}` | {used_by} | {shown} | {description} |")
    return "\n".join(rows)


@click.command(name="settings")
def settings_command() -> None:
    """Print every UGC_* setting as a Markdown table."""
    click.echo(settings_table())
