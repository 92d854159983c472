"""``ugc settings``: every ``UGC_*`` environment variable, its default and what it does.

The README's settings table is this command's output; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path

import click
from pydantic_settings import BaseSettings

from contract.settings import KafkaSettings


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
    """Print every UGC_* setting as a Markdown table."""
    if document is None:
        click.echo(settings_table())
        return
    document.write_text(with_settings_table(document.read_text(encoding="utf-8")), "utf-8")
    click.echo(f"updated the settings table in {document}")
