"""The ``ingest`` commands: help, options over settings, the broker, stopping on a signal, and
what replaced a removed command."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract import RawPost, encode
from ingest.cli import ingest
from tests.conftest import wait_until


def write_posts(path: Path, count: int, *, bad_lines: int = 0) -> Path:
    now = datetime.now(UTC)
    lines = [
        encode(
            RawPost(
                platform="mastodon",
                native_id=f"cli-{i}",
                post_id=f"mastodon:cli-{i}",
                hashtags=["brand"],
                text="hi",
                author={"id": "1", "handle": "alice"},
                created_at=now,
                collected_at=now,
            )
        )
        for i in range(count)
    ]
    lines += [b"not a post"] * bad_lines
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        ([], ["replay", "mastodon"]),
        (["replay"], ["--file", "--rate", "--no-retime", "dead-letter"]),
    ],
)
def test_every_command_explains_itself(command: list[str], mentions: list[str]) -> None:
    result = CliRunner().invoke(ingest, [*command, "--help"])

    assert result.exit_code == 0
    for mention in mentions:
        assert mention in result.output


def test_the_removed_mastodon_command_prints_the_listening_job_that_replaces_it() -> None:
    result = CliRunner().invoke(
        ingest,
        ["mastodon", "--base-url", "https://social.example", "--hashtag", "#Brand", "--once"],
    )

    assert result.exit_code == 2
    assert "`ugc ingest mastodon` was removed" in result.output
    assert (
        "ugc ingest add mastodon --hashtag brand --option base_url=https://social.example\n"
        "  ugc ingest run\n"
    ) in result.output
    assert "ugc up --mastodon https://social.example --hashtag brand\n" in result.output


def test_the_removed_mastodon_command_without_options_names_what_to_fill_in() -> None:
    result = CliRunner().invoke(ingest, ["mastodon"])

    assert result.exit_code == 2
    assert "ugc ingest add mastodon --hashtag TAG --option base_url=URL" in result.output
    assert "ugc up --mastodon URL --hashtag TAG" in result.output


@pytest.mark.broker
def test_replay_sends_the_file_and_prints_one_summary_line(broker: str, tmp_path: Path) -> None:
    path = write_posts(tmp_path / "posts.jsonl", 3, bad_lines=1)

    result = CliRunner().invoke(
        ingest,
        ["replay", "--file", str(path), "--rate", "0"],
        env={"UGC_KAFKA_BOOTSTRAP_SERVERS": broker},
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"replay: 3 posts sent, 1 dead-lettered from {path}"


@pytest.mark.broker
def test_sigterm_stops_a_replay_after_acknowledgement_and_exits_zero(
    broker: str, tmp_path: Path
) -> None:
    path = write_posts(tmp_path / "posts.jsonl", 100)
    log_path = tmp_path / "stderr.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from ingest.cli import ingest; ingest()",
                "replay",
                "--file",
                str(path),
                "--rate",
                "2",
            ],
            env={"UGC_KAFKA_BOOTSTRAP_SERVERS": broker, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            wait_until(
                lambda: b"replaying" in log_path.read_bytes(),
                timeout=60,
                message="the replay to start",
            )
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=60)
        finally:
            process.kill()

    assert process.returncode == 0, log_path.read_text()
    assert b"(stopped early)" in stdout
    sent = int(stdout.split(b"replay: ")[1].split(b" posts sent")[0])
    assert sent < 100
