import subprocess
import sys

import pytest
from click.testing import CliRunner

from ugc.cli import cli

SUBCOMMANDS = [
    ["up"],
    ["api"],
    ["sink"],
    ["db"],
    ["db", "upgrade"],
    ["topics", "create"],
    ["ingest"],
    ["ingest", "replay"],
    ["ingest", "mastodon"],
    ["classify"],
    ["classify", "worker"],
    ["classify", "train"],
    ["classify", "score"],
    ["settings"],
]


@pytest.mark.parametrize("words", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(words: list[str]) -> None:
    result = CliRunner().invoke(cli, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_top_level_help_lists_commands_without_importing_torch() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from ugc.cli import cli; "
        "r = CliRunner().invoke(cli, ['--help']); "
        "assert r.exit_code == 0 and 'classify' in r.output, r.output; "
        "assert 'torch' not in sys.modules, 'help imported torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_up_refuses_a_hashtag_without_an_instance() -> None:
    result = CliRunner().invoke(cli, ["up", "--hashtag", "coffee"])
    assert result.exit_code == 2
    assert "--hashtag goes with --mastodon" in result.output
