"""``ugc ingest add|list|networks|backfill|run``: listening jobs from the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.enums import JobStatus
from ingest.cli import ingest
from ingest.jobs.store import JobStore
from listening import service
from listening.credentials import CredentialResolver
from listening.schemas import JobRead
from tests.conftest import wait_until
from tests.ingest.jobs_fakes import VALID_TOKEN, fake_network, migrated_sqlite_url, new_feed
from tests.ingest.restart_harness import read_post_ids
from ugc.up_children import child_commands, stop_rank

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fake_network():
        yield migrated_sqlite_url(tmp_path)


def invoke(database_url: str, *args: str, **env: str) -> Result:
    return CliRunner().invoke(
        ingest,
        list(args),
        env={"UGC_DATABASE_URL": database_url, "UGC_CRED_GOOD_TOKEN": VALID_TOKEN, **env},
    )


def jobs(database_url: str) -> list[JobRead]:
    store = JobStore.connect(database_url)
    try:
        with store.session() as session:
            return service.list_jobs(session, CredentialResolver()).items
    finally:
        store.close()


def test_add_stores_a_job_that_list_shows_with_its_health(database_url: str) -> None:
    feed = new_feed()
    added = invoke(
        database_url,
        "add",
        "fakenet",
        "--hashtag",
        "#Brand",
        "--hashtag",
        "sale",
        "--credentials",
        "good",
        "--interval",
        "30",
        "--option",
        f"feed={feed.name}",
        "--option",
        "backfill_pages=3",
    )

    assert added.exit_code == 0, added.output
    assert added.output.strip() == "job 1: fakenet #brand #sale (every 30s)"
    (job,) = jobs(database_url)
    assert job.options == {"feed": feed.name, "backfill_pages": 3}
    assert job.credentials_ref == "good"
    assert job.poll_interval_s == 30

    listed = invoke(database_url, "list")
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.strip().splitlines()
    assert header.split()[:5] == ["ID", "NETWORK", "MODE", "ACTIVE", "STATUS"]
    assert row.split()[:7] == ["1", "fakenet", "poll", "yes", "pending", "#brand", "#sale"]
    assert "never" in row
    assert VALID_TOKEN not in listed.output


def test_add_says_which_credentials_are_still_missing(database_url: str) -> None:
    result = invoke(database_url, "add", "fakenet", "--hashtag", "brand", "--option", "feed=f")

    assert result.exit_code == 0
    assert "missing credentials: token" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["add", "tiktok", "--hashtag", "brand"], "not available to brands"),
        (["add", "myspace", "--hashtag", "brand"], "choose one of"),
        (["add", "fakenet", "--hashtag", "brand", "--option", "colour=blue"], "no option colour"),
        (["add", "fakenet", "--hashtag", "brand", "--option", "colour"], "not KEY=VALUE"),
        (["add", "fakenet", "--hashtag", "#"], "at least one non-empty hashtag"),
        (["add", "fakenet", "--hashtag", "b", "--interval", "1"], "poll_interval_s"),
    ],
)
def test_add_refuses_a_job_the_network_cannot_run(
    database_url: str, args: list[str], says: str
) -> None:
    result = invoke(database_url, *args)

    assert result.exit_code != 0
    assert says in result.output
    assert jobs(database_url) == []


def test_list_without_jobs_says_how_to_add_one(database_url: str) -> None:
    result = invoke(database_url, "list")

    assert result.exit_code == 0
    assert "ugc ingest add NETWORK --hashtag TAG" in result.output


def test_commands_on_a_database_never_migrated_say_to_migrate(tmp_path: Path) -> None:
    result = invoke(f"sqlite:///{tmp_path / 'empty.db'}", "list")

    assert result.exit_code == 1
    assert "ugc db upgrade" in result.output


def test_networks_lists_credentials_options_and_why_tiktok_is_missing() -> None:
    result = CliRunner().invoke(ingest, ["networks"])

    assert result.exit_code == 0, result.output
    assert "mastodon: poll or stream (default poll)" in result.output
    assert "x: poll (default poll)" in result.output
    assert "credentials bearer_token" in result.output
    assert "--option base_url=" in result.output
    assert "tiktok: not supported" in result.output
    assert "non-profit researchers" in result.output


@pytest.mark.broker
def test_backfill_takes_the_history_without_moving_the_job_positions(
    database_url: str, broker: str
) -> None:
    create_topics(KafkaSettings(kafka_bootstrap_servers=broker))
    feed = new_feed()
    tag = f"history{os.getpid()}{feed.name}"
    published = feed.publish(tag, 4)
    invoke(database_url, "add", "fakenet", "--hashtag", tag, "--credentials", "good",
           "--option", f"feed={feed.name}")  # fmt: skip

    result = invoke(
        database_url, "backfill", "1", "--pages", "2", UGC_KAFKA_BOOTSTRAP_SERVERS=broker
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"backfill: 4 posts from job 1 (fakenet #{tag})")
    assert feed.options_seen[-1]["backfill_pages"] == 2
    assert feed.fetches == [(tag, None)]
    store = JobStore.connect(database_url)
    try:
        assert store.positions(1).load(("fakenet", "1", tag)) is None
    finally:
        store.close()
    from ingest.connectors.base import JobSpec

    on_topic = read_post_ids(broker, JobSpec("1", "fakenet", (tag,)))
    assert sorted(set(on_topic)) == sorted(published)


def test_backfill_of_an_unknown_job_or_without_credentials_explains(database_url: str) -> None:
    missing = invoke(database_url, "backfill", "7")
    invoke(database_url, "add", "fakenet", "--hashtag", "brand", "--option", "feed=f")
    no_token = invoke(database_url, "backfill", "1")

    assert missing.exit_code == 1
    assert "no listening job 7" in missing.output
    assert no_token.exit_code == 1
    assert "credentials reference" in no_token.output


@pytest.mark.broker
def test_run_serves_the_jobs_until_sigterm_then_exits_cleanly(
    database_url: str, broker: str, tmp_path: Path
) -> None:
    tag = f"running{os.getpid()}"
    added = invoke(database_url, "add", "fakenet", "--hashtag", tag, "--credentials", "good",
                   "--option", "feed=subprocess-feed", "--option", "preload=2")  # fmt: skip
    assert added.exit_code == 0, added.output
    log_path = tmp_path / "run.log"
    script = (
        "from tests.ingest.jobs_fakes import fake_network\n"
        "from ingest.cli import ingest\n"
        "with fake_network():\n"
        "    ingest(['run', '--reload-interval', '0.2'])\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "UGC_KAFKA_BOOTSTRAP_SERVERS": broker,
        "UGC_DATABASE_URL": database_url,
        "UGC_CRED_GOOD_TOKEN": VALID_TOKEN,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log
        )
        try:
            healthy = wait_until(
                lambda: [j for j in jobs(database_url) if j.health.status is JobStatus.OK],
                timeout=60,
                message="the job to report a successful poll",
            )
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=60)
        finally:
            process.kill()

    logged = log_path.read_text()
    assert process.returncode == 0, logged
    assert b"ingest run: stopped" in stdout
    assert healthy[0].health.posts_collected == 2
    assert f"job 1 (fakenet #{tag}): starting" in logged
    assert VALID_TOKEN not in logged


@pytest.fixture
def up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UpRun:
    """``ugc up`` as typed, up to the listening job it stores: the supervisor stores the job in
    a migrated database and stops there, so no broker or child process starts."""
    from ugc.up import Supervisor
    from ugc.up_listen import ensure_listening_job

    run = UpRun(migrated_sqlite_url(tmp_path))

    def store_the_job_only(supervisor: Supervisor) -> int:
        run.started.append(supervisor)
        listen = supervisor.options.listen
        stored = listen is None or ensure_listening_job(run.database_url, listen, supervisor._say)
        return 0 if stored else 1

    monkeypatch.setattr(Supervisor, "run", store_the_job_only)
    return run


@dataclass
class UpRun:
    database_url: str
    started: list[Any] = field(default_factory=list)

    def __call__(self, *args: str, **env: str | None) -> Result:
        from ugc.cli import cli

        # No job secrets but the test's own (None removes a variable for the call).
        env = {"UGC_SECRETS_FILE": None, "UGC_CRED_BRAND_X_BEARER_TOKEN": None, **env}
        return CliRunner().invoke(cli, ["up", *args], env=env)


def test_up_listen_bluesky_stores_a_jetstream_job_that_needs_no_credentials(up: UpRun) -> None:
    first = up("--listen", "bluesky", "--hashtag", "#Coffee")
    again = up("--listen", "Bluesky", "--hashtag", "coffee")  # a second `ugc up` reuses it

    assert first.exit_code == 0, first.output
    assert "added listening job 1: bluesky #coffee (streaming)" in first.output
    assert again.exit_code == 0, again.output
    assert "using listening job 1: bluesky #coffee (streaming)" in again.output
    (job,) = jobs(up.database_url)
    assert (job.network, job.mode.value, job.hashtags) == ("bluesky", "stream", ["coffee"])
    assert job.credentials_ref is None
    assert job.credentials.missing == []
    supervisor = up.started[0]
    names = [name for name, _, _ in child_commands(supervisor.options)]
    assert "listen" in names
    assert "ingest" not in names
    assert supervisor._feed_hashtags() == ["coffee"]  # one feed per followed hashtag


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--credentials", "brand-x"],
            "x needs the credential(s) bearer_token under reference 'brand-x': "
            "set UGC_CRED_BRAND_X_BEARER_TOKEN or add it to the secrets file",
        ),
        (
            [],
            "x needs the credential(s) bearer_token: give the job a credentials reference "
            "(--credentials REF), then set UGC_CRED_<REF>_BEARER_TOKEN",
        ),
    ],
)
def test_up_listen_x_without_its_token_names_what_is_missing_and_starts_nothing(
    up: UpRun, args: list[str], says: str
) -> None:
    secret = "x-token-of-another-brand-71c2"
    result = up("--listen", "x", "--hashtag", "brand", *args, UGC_CRED_OTHER_BEARER_TOKEN=secret)

    assert result.exit_code == 1
    assert says in result.output
    assert secret not in result.output
    assert up.started == []
    assert jobs(up.database_url) == []


def test_up_listen_x_with_its_token_stores_the_job_without_showing_the_token(up: UpRun) -> None:
    secret = "x-bearer-token-5e0d"
    result = up(
        "--listen", "x", "--hashtag", "brand", "--credentials", "brand-x",
        "--option", "max_results=50", UGC_CRED_BRAND_X_BEARER_TOKEN=secret,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert secret not in result.output
    (job,) = jobs(up.database_url)
    assert (job.network, job.credentials_ref, job.options) == ("x", "brand-x", {"max_results": 50})


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--listen", "tiktok", "--hashtag", "brand"], "not available to brands"),
        (["--listen", "myspace", "--hashtag", "brand"], "choose one of"),
        (["--listen", "bluesky"], "--listen needs at least one --hashtag"),
        (["--mastodon", "https://social.example"], "--mastodon needs at least one --hashtag"),
        (["--listen", "bluesky", "--hashtag", "b", "--option", "colour=1"], "no option colour"),
        (["--listen", "x", "--mastodon", "https://m.example", "--hashtag", "b"], "one network"),
        (["--credentials", "brand-x"], "--credentials goes with --mastodon URL or --listen"),
        (["--hashtag", "coffee"], "--hashtag goes with --mastodon URL or --listen NETWORK"),
    ],
)
def test_up_refuses_what_it_cannot_listen_on_before_starting(
    up: UpRun, args: list[str], says: str
) -> None:
    result = up(*args)

    assert result.exit_code == 2, result.output
    assert says in result.output
    assert up.started == []


def test_up_with_mastodon_stores_one_listening_job_run_by_the_jobs_worker(up: UpRun) -> None:
    args = ["--mastodon", "https://social.example", "--hashtag", "coffee", "--hashtag", "tea"]
    first, again = up(*args), up(*args)  # a second `ugc up` reuses the job

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert "base_url=https://social.example" in first.output
    (job,) = jobs(up.database_url)
    assert (job.network, job.mode.value, job.hashtags, job.options) == (
        "mastodon",
        "poll",
        ["coffee", "tea"],
        {"base_url": "https://social.example"},
    )
    assert [name for name, _, _ in child_commands(up.started[0].options)].count("ingest") == 0
    demo = up()
    assert demo.exit_code == 0
    assert up.started[-1].options.listen is None
    assert {"listen", "ingest"} <= {name for name, _, _ in child_commands(up.started[-1].options)}


def test_up_can_run_several_single_threaded_classify_workers(
    up: UpRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ugc.up.os.cpu_count", lambda: 2)
    assert up("--classify-workers", "2").exit_code == 0
    assert up("--classify-workers", "1").exit_code == 0
    two, one = child_commands(up.started[0].options), child_commands(up.started[1].options)

    classify = [(name, extra) for name, args, extra in two if args == ["classify", "worker"]]
    assert classify == [
        ("classify", {"UGC_TORCH_THREADS": "1"}),
        ("classify-2", {"UGC_TORCH_THREADS": "1"}),
    ]
    # One worker keeps the runtime's own thread count (every core).
    assert [(n, e) for n, a, e in one if a == ["classify", "worker"]] == [("classify", {})]


@pytest.mark.parametrize(
    ("cores", "expected"),
    [
        (1, [("classify", {})]),
        (2, [("classify", {"UGC_TORCH_THREADS": "1"}), ("classify-2", {"UGC_TORCH_THREADS": "1"})]),
        # More cores than partitions (4 under `ugc up`): four workers share them out.
        (
            8,
            [
                (n, {"UGC_TORCH_THREADS": "2"})
                for n in ("classify", "classify-2", "classify-3", "classify-4")
            ],
        ),
    ],
)
def test_up_runs_one_classify_worker_per_core_by_default(
    up: UpRun,
    monkeypatch: pytest.MonkeyPatch,
    cores: int,
    expected: list[tuple[str, dict[str, str]]],
) -> None:
    monkeypatch.setattr("ugc.up.os.cpu_count", lambda: cores)
    assert up().exit_code == 0
    commands = child_commands(up.started[0].options)
    assert [(n, e) for n, a, e in commands if a == ["classify", "worker"]] == expected


def test_up_runs_both_rights_workers_and_stops_them_after_the_api(up: UpRun) -> None:
    assert up().exit_code == 0
    names = [name for name, _, _ in child_commands(up.started[0].options)]
    assert {"rights", "ingest-rights"} <= set(names)
    order = sorted(names, key=stop_rank)
    assert order.index("ingest") < order.index("classify") < order.index("sink")
    assert order.index("sink") < order.index("api") < order.index("ingest-rights")
    # The rights worker applies what the ingest side reported; then the deliveries go out.
    assert order.index("ingest-rights") < order.index("rights")
    assert order.index("classify") < order.index("alerts") < order.index("alerts-sink")
    assert order[-1] == "webhooks"
