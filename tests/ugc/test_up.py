"""``ugc up`` as a user runs it: everything comes up, posts get scored, Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ingest.demo import demo_posts_path
from tests.conftest import wait_until
from ugc.broker import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

POSTS = 60


def _running_children(data_dir: Path) -> list[str]:
    """Command lines of processes still holding files in the run's data directory open."""
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    mine = str(os.getpid())
    return [
        line
        for line in ps.stdout.splitlines()[1:]
        if "ugc.cli" in line and line.split()[0] != mine and str(data_dir) in _environ(line)
    ]


def _environ(ps_line: str) -> str:
    try:
        return Path(f"/proc/{ps_line.split()[0]}/environ").read_text(errors="replace")
    except OSError:
        return ""


def test_up_runs_the_demo_and_stops_every_child_on_ctrl_c(tmp_path: Path) -> None:
    replay = tmp_path / "posts.jsonl"
    lines = demo_posts_path().read_text(encoding="utf-8").splitlines()[:POSTS]
    replay.write_text("\n".join(lines) + "\n", encoding="utf-8")
    port = free_port()
    data_dir = tmp_path / "data"
    key = "up-test-key"
    log = (tmp_path / "up.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ugc.cli",
            "up",
            "--replay",
            str(replay),
            "--rate",
            "0",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
            "--partitions",
            "1",
        ],
        env={**os.environ, "UGC_MODERATOR_API_KEY": key},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    api = f"http://127.0.0.1:{port}"

    def scored() -> bool:
        try:
            stats = httpx.get(f"{api}/v1/stats", headers={"X-API-Key": key}, timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return False
        stored: int = sum(stats.get("by_status", {}).values())
        return stored >= POSTS

    try:
        wait_until(scored, timeout=180, interval=0.5, message=f"{POSTS} scored posts")
        feeds = httpx.get(f"{api}/v1/feeds", headers={"X-API-Key": key}).json()["items"]
        assert {f["slug"] for f in feeds} >= {"brewnorth"}
        output = (tmp_path / "up.log").read_text()
        assert f"moderator API key: {key}" in output
        assert f"{api}/docs" in output
        assert "loading model" in output

        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert process.wait(timeout=90) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    assert "stopped." in (tmp_path / "up.log").read_text()
    assert _running_children(data_dir) == []


def test_up_demo_fires_the_trailpeak_alert_and_the_receiver_verifies_it(tmp_path: Path) -> None:
    """The whole demo replay: the #TrailPeak recall burst fires an incident, the console shows
    it, and the local receiver prints the signed delivery with its signature checked."""
    port = free_port()
    data_dir = tmp_path / "data"
    log_path = tmp_path / "up.log"
    log = log_path.open("w")
    command = [sys.executable, "-m", "ugc.cli", "up", "--rate", "0", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir), "--partitions", "1"],
        env={**os.environ, "UGC_MODERATOR_API_KEY": "up-alert-key"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def shown() -> bool:
        output = log_path.read_text()
        return "#trailpeak FIRED" in output and "signature ok" in output

    try:
        wait_until(shown, timeout=300, interval=0.5, message="the demo alert, delivered")
        output = log_path.read_text()
        [line] = [line for line in output.splitlines() if "#trailpeak FIRED" in line]
        print(f"\n{line}")
        assert "[alert]" in line
        assert "queue: http://127.0.0.1:" in line
        assert "[hooks]" in output
        assert "alert.fired" in output
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=90) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    assert _running_children(data_dir) == []
