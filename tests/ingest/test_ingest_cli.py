"""The ``ingest`` commands: help, options over settings, the broker, and stopping on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract import RawPost, encode
from ingest.checkpoint import CheckpointStore
from ingest.cli import ingest
from ingest.sources import mastodon as mastodon_module
from tests.conftest import wait_until
from tests.ingest.fake_mastodon import FakeMastodon


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
        (["mastodon"], ["--base-url", "--hashtag", "--once", "UGC_MASTODON_ACCESS_TOKEN"]),
    ],
)
def test_every_command_explains_itself(command: list[str], mentions: list[str]) -> None:
    result = CliRunner().invoke(ingest, [*command, "--help"])

    assert result.exit_code == 0
    for mention in mentions:
        assert mention in result.output


def test_mastodon_without_a_hashtag_is_a_usage_error() -> None:
    result = CliRunner().invoke(ingest, ["mastodon", "--once"], env={"UGC_MASTODON_HASHTAGS": ""})

    assert result.exit_code == 2
    assert "no hashtag" in result.output


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
def test_mastodon_once_polls_the_followed_hashtags_and_checkpoints(
    broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeMastodon(now=lambda: datetime.now(UTC))
    server.post_many(2, tags=["brand"])
    server.post_many(1, tags=["other"])
    monkeypatch.setattr(mastodon_module, "make_client", lambda settings: server.client())

    result = CliRunner().invoke(
        ingest,
        ["mastodon", "--base-url", server.base_url, "--hashtag", "#Brand", "--once"],
        env={
            "UGC_KAFKA_BOOTSTRAP_SERVERS": broker,
            "UGC_CHECKPOINT_DIR": str(tmp_path),
            "UGC_MASTODON_HASHTAGS": "ignored-because-overridden",
        },
    )

    assert result.exit_code == 0, result.output
    assert "mastodon: 2 posts produced from #brand" in result.output
    assert CheckpointStore(tmp_path).load(("mastodon", "social.example", "brand")) is not None


@pytest.mark.broker
def test_mastodon_configuration_error_exits_with_the_instance_answer(
    broker: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = FakeMastodon(now=lambda: datetime.now(UTC))
    server.not_found_next()
    monkeypatch.setattr(mastodon_module, "make_client", lambda settings: server.client())

    result = CliRunner().invoke(
        ingest,
        ["mastodon", "--hashtag", "brand"],
        env={"UGC_KAFKA_BOOTSTRAP_SERVERS": broker, "UGC_CHECKPOINT_DIR": str(tmp_path)},
    )

    assert result.exit_code == 1
    assert "Record not found" in result.output


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
