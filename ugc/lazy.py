"""A click group whose subcommands are imported only when one of them runs.

``ugc --help`` and ``ugc api`` must not pay for importing torch, and ``ugc alerts backtest``
must not pay for faust or the API: each subcommand is named by its module and attribute, and
help comes from a table, so listing commands imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click
from typing_extensions import override


class LazyGroup(click.Group):
    """``commands`` maps a subcommand's name to ``(module, attribute, one-line help)``."""

    def __init__(self, *args: Any, commands: Mapping[str, tuple[str, str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(commands)

    @override
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    @override
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy_commands.get(cmd_name)
        if target is None:
            return None
        module_name, attribute, _help = target
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}.{attribute} is not a click command")
        return command

    @override
    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(
                [(name, self.lazy_commands[name][2]) for name in sorted(self.lazy_commands)]
            )
