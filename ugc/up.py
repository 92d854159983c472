"""``ugc up``: the whole pipeline on one machine, with nothing installed but this package.

Starts the embedded broker (Tansu) on a free port, migrates a SQLite database, and supervises
one child process per kind: the curation API, the sink, the classify worker, the listening-jobs
worker (``ugc ingest run``: every job added through the API or ``ugc ingest add`` starts
listening) and the demo replay. ``--listen NETWORK --hashtag TAG`` (or ``--mastodon URL``)
stores a listening job instead of replaying the demo (:mod:`ugc.up_listen`). Children run in
their own sessions so that Ctrl-C reaches only the supervisor, which then stops them in
pipeline order: the sources first, so that what was already produced can drain.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import click
import httpx

from contract.settings import KafkaSettings
from contract.topics import create_topics
from ingest.jobs.request import credentials_option, options_option
from ugc.broker import EmbeddedBroker, free_port
from ugc.console import Console
from ugc.processes import Child
from ugc.up_alerts import IncidentWatch, register_receiver
from ugc.up_brands import create_brands
from ugc.up_children import UpOptions, child_commands, child_env, stop_rank
from ugc.up_listen import ensure_listening_job, listening_job

DEFAULT_API_KEY = "dev-moderator-key"
MAX_RESTARTS = 5


#: Partitions of the post topics under ``ugc up``: a multiple of the usual core counts, so that
#: ``--classify-workers`` up to 4 get equal shares.
UP_PARTITIONS = 4


@click.command(name="up")
@click.option(
    "--listen",
    "network",
    metavar="NETWORK",
    default=None,
    help="Listen on this network (a listening job) instead of replaying the demo file: "
    "mastodon, bluesky, x, instagram, reddit or youtube (`ugc ingest networks`).",
)
@click.option(
    "--mastodon",
    metavar="URL",
    default=None,
    help="Shorthand for --listen mastodon --option base_url=URL.",
)
@click.option(
    "--hashtag",
    "hashtags",
    multiple=True,
    metavar="TAG",
    help="Hashtag to listen for (repeatable, with or without #).",
)
@credentials_option
@options_option
@click.option(
    "--replay",
    "replay_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSONL file of posts to replay (default: the bundled demo).",
)
@click.option(
    "--rate",
    type=float,
    default=20.0,
    show_default=True,
    help="Replay rate in posts per second (0 = as fast as possible).",
)
@click.option("--port", type=int, default=8000, show_default=True, help="Port of the API.")
@click.option(
    "--partitions",
    type=int,
    default=UP_PARTITIONS,
    show_default=True,
    help="Partitions of the post topics.",
)
@click.option(
    "--classify-workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Classify worker processes; 0: one per CPU core, at most one per partition. Several "
    "workers share the cores between them, which scores more posts per second than one process "
    "using every core (bench/classify_speed.py measures both), at the cost of a model in memory "
    "per worker (about 1 GB each).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".ugc"),
    show_default=True,
    help="Where the SQLite database (with the listening jobs' positions) and logs go.",
)
def up_command(
    network: str | None,
    mastodon: str | None,
    hashtags: tuple[str, ...],
    credentials_ref: str | None,
    options: tuple[str, ...],
    replay_file: Path | None,
    rate: float,
    port: int,
    partitions: int,
    classify_workers: int,
    data_dir: Path,
) -> None:
    """Run the whole pipeline here: broker, classify worker, sink, API and ingest.

    --listen takes one network per run; more listening jobs, on any network, can be added while
    it runs (`ugc ingest add`, POST /v1/listening/jobs) and start within seconds. Missing
    credentials are named at start, before anything runs.

    \b
    Examples:
      ugc up                                   # replay the demo posts
      ugc up --listen bluesky --hashtag coffee # Jetstream: no account needed
      ugc up --listen x --hashtag brand --credentials brand-x
                                               # with UGC_CRED_BRAND_X_BEARER_TOKEN set
      ugc up --mastodon https://mastodon.social --hashtag coffee
                                               # = --listen mastodon --option base_url=URL
    """
    listen = listening_job(network, mastodon, hashtags, credentials_ref, options)
    up_options = UpOptions(
        data_dir=data_dir.resolve(),
        port=port,
        partitions=partitions,
        api_key=os.environ.get("UGC_MODERATOR_API_KEY", DEFAULT_API_KEY),
        replay_file=replay_file,
        rate=rate,
        classify_workers=min(classify_workers or os.cpu_count() or 1, partitions),
        listen=listen,
    )
    sys.exit(Supervisor(up_options).run())


class Supervisor:
    def __init__(self, options: UpOptions) -> None:
        self.options = options
        self.console = Console()
        self.stop_requested = threading.Event()
        self.children: list[Child] = []
        self.database_url = f"sqlite:///{options.data_dir / 'ugc.db'}"

    def run(self) -> int:
        opts = self.options
        started = time.monotonic()
        (opts.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        self.console.say("up", "starting the embedded Kafka broker (Tansu)…")
        broker = EmbeddedBroker(log_path=opts.data_dir / "logs" / "tansu.log")
        broker.start()
        try:
            return self._run_with_broker(broker.bootstrap_servers, started)
        finally:
            self._stop_children()
            broker.stop()
            self.console.say("up", "stopped.")

    def _run_with_broker(self, bootstrap: str, started: float) -> int:
        opts = self.options
        create_topics(
            KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=opts.partitions)
        )
        database_url = self.database_url
        from database.migrate import upgrade

        upgrade(database_url)
        if opts.listen and not ensure_listening_job(database_url, opts.listen, self._say):
            return 1
        env = child_env(opts, bootstrap, database_url)
        self.children = [
            Child(name, args, {**env, **extra}, opts.data_dir / "logs", self.console)
            for name, args, extra in child_commands(opts)
        ]
        for child in self.children:
            child.start()
        api_url = f"http://127.0.0.1:{opts.port}"
        if not self._wait_for_api(api_url):
            return 1
        feeds = self._create_feeds(api_url)
        api = httpx.Client(
            base_url=api_url, headers={"X-API-Key": self.options.api_key}, timeout=10
        )
        with api:
            create_brands(api, feeds, self._say)
            self._start_receiver(api, env)
        self._print_banner(api_url, list(feeds))
        return self._supervise(api_url, started)

    def _start_receiver(self, api: httpx.Client, env: dict[str, str]) -> None:
        """``ugc webhooks listen`` as the child ``hooks``, registered as a signed endpoint."""
        port = free_port()
        secret = register_receiver(api, port, self._say)
        if secret is None:
            return
        args = ["webhooks", "listen", "--port", str(port), "--secret", secret]
        child = Child("hooks", args, env, self.options.data_dir / "logs", self.console)
        self.children.append(child)
        child.start()

    def _wait_for_api(self, api_url: str, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop_requested.is_set():
            try:
                if httpx.get(f"{api_url}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            if self.children[0].exited():
                break
            time.sleep(0.2)
        self.console.say("up", f"the API did not come up at {api_url}; see the [api] lines above")
        return False

    def _feed_hashtags(self) -> list[str]:
        if self.options.listen is not None:
            return self.options.listen.hashtags
        from ingest.sources.replay import iter_posts

        path = self.options.replay_file
        if path is None:
            from ingest.demo import demo_posts_path

            path = demo_posts_path()
        tags: dict[str, int] = {}
        for post in iter_posts(path):
            for tag in post.hashtags:
                tags[tag] = tags.get(tag, 0) + 1
        # Brand hashtags are the ones most posts carry; stray tags would make empty feeds.
        return [tag for tag, count in sorted(tags.items(), key=lambda kv: -kv[1]) if count >= 10]

    def _create_feeds(self, api_url: str) -> dict[str, str]:
        """The feeds it made: slug → hashtag."""
        headers = {"X-API-Key": self.options.api_key}
        slugs: dict[str, str] = {}
        for tag in self._feed_hashtags()[:10]:
            slug = "".join(ch if ch.isalnum() else "-" for ch in tag).strip("-")[:63] or "feed"
            response = httpx.put(
                f"{api_url}/v1/feeds/{slug}",
                headers=headers,
                timeout=10,
                json={"title": f"#{tag}", "hashtags": [tag]},
            )
            if response.status_code < 300:
                slugs[slug] = tag
            else:
                self.console.say("up", f"could not create feed {slug}: {response.text}")
        return slugs

    def _print_banner(self, api_url: str, feeds: list[str]) -> None:
        key = self.options.api_key
        lines = [
            f"API docs:          {api_url}/docs",
            f"moderator API key: {key}"
            + ("   (set UGC_MODERATOR_API_KEY to change it)" if key == DEFAULT_API_KEY else ""),
            f"moderation queue:  curl -H 'X-API-Key: {key}' {api_url}/v1/queue",
        ]
        lines += [f"public feed:       {api_url}/v1/feeds/{slug}/posts" for slug in feeds]
        lines += [
            f"listening jobs:    curl -H 'X-API-Key: {key}' {api_url}/v1/listening/jobs",
            f"                   or UGC_DATABASE_URL={self.database_url} ugc ingest add|list",
        ]
        lines.append(
            "the classify worker is loading its model; scored posts appear below. "
            "Ctrl-C stops everything."
        )
        self.console.banner(lines)

    def _supervise(self, api_url: str, started: float) -> int:
        headers = {"X-API-Key": self.options.api_key}
        with httpx.Client(base_url=api_url, headers=headers, timeout=5) as api:
            return self._watch(api, started)

    def _watch(self, api: httpx.Client, started: float) -> int:
        last_report = ""
        first_scored = False
        incidents = IncidentWatch()
        while not self.stop_requested.wait(1.0):
            for line in incidents.news(api):
                elapsed = time.monotonic() - started
                self.console.say("alert", f"{line}  ({elapsed:.0f}s after start)")
            for child in self.children:
                code = child.exited()
                if code is None or child.finished:
                    continue
                if child.name == "ingest" and code == 0 and self.options.listen is None:
                    child.finished = True
                    self.console.say("up", "the demo replay is done; everything else keeps running")
                elif child.restarts >= MAX_RESTARTS:
                    self.console.say("up", f"{child.name} keeps failing (exit {code}); stopping")
                    return 1
                else:
                    self.console.say("up", f"{child.name} exited with {code}; restarting it")
                    child.restart()
            report = self._stats(api)
            if report and report != last_report:
                if not first_scored:
                    first_scored = True
                    elapsed = time.monotonic() - started
                    self.console.say(
                        "up", f"first scored posts are in the queue after {elapsed:.1f}s"
                    )
                self.console.say("queue", report)
                last_report = report
        return 0

    @staticmethod
    def _stats(api: httpx.Client) -> str:
        try:
            stats = api.get("/v1/stats").json()
        except (httpx.HTTPError, ValueError):
            return ""
        by_status = stats.get("by_status") or {}
        total = sum(int(v) for v in by_status.values())
        if not total:
            return ""
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
        risky = {k: v for k, v in (stats.get("by_risk") or {}).items() if k != "none" and v}
        risk_text = ", ".join(f"{k} {v}" for k, v in sorted(risky.items())) or "none"
        return f"{total} scored posts ({statuses}); brand-safety risk: {risk_text}"

    def _say(self, text: str) -> None:
        self.console.say("up", text)

    def _request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        if self.stop_requested.is_set():
            return
        self.console.say("up", "stopping (this drains and commits; Ctrl-C again is ignored)…")
        self.stop_requested.set()

    def _stop_children(self) -> None:
        for child in sorted(self.children, key=lambda c: stop_rank(c.name)):
            child.stop()
