"""``bench/ingest_speed.py`` on a tiny size, so that the benchmark cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import ingest_speed as bench_ingest

ROOT = Path(__file__).resolve().parents[2]
NAMES = (
    "mastodon",
    "bluesky search",
    "bluesky jetstream",
    "x",
    "reddit",
    "instagram",
    "youtube",
)


def table_rows(output: str) -> dict[str, list[str]]:
    """The figures printed for each network, by network name."""
    rows = {}
    for line in output.splitlines():
        for name in NAMES:
            rest = line.removeprefix(name)
            if rest != line and rest[:1] == " " and rest.split()[0].isdigit():
                rows[name] = rest.split()
    return rows


@pytest.mark.broker
def test_prints_a_line_of_figures_per_network_through_the_real_broker(
    broker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--posts", "50", "--batch", "20", "--repeat", "1", "--bootstrap-servers", broker]

    assert bench_ingest.main(argv) == 0

    rows = table_rows(capsys.readouterr().out)
    assert set(rows) == set(NAMES)
    for name, (posts, pages, kilobytes, parse, no_broker, full, ratio) in rows.items():
        assert posts == "50", name
        assert int(pages) > 0, name
        assert float(kilobytes) > 0, name
        assert float(parse) > 0, name
        assert float(no_broker) > 0, name
        assert float(full) > 0, name
        assert ratio.endswith("x"), name
        assert float(ratio[:-1]) > 0, name


def test_runs_as_a_script_without_the_broker() -> None:
    # Run as a script, the way the Makefile runs it.
    command = [sys.executable, "bench/ingest_speed.py", "--posts", "20", "--networks", "x,reddit"]
    result = subprocess.run(
        [*command, "--repeat", "1", "--no-broker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert set(rows) == {"x", "reddit"}
    assert rows["x"][-2:] == ["-", "-"]  # no full path without a broker
