"""The public feed under load: cached pages against a trivial ASGI app, and the cost of a miss.

For each database (a SQLite file, a fresh PostgreSQL database), the real API runs as
``ugc api --workers N`` (uvicorn with uvloop and httptools where installed, access log off), with
a brand and a feed ``trailpeak`` of 40 posts approved and granted through the API. Then:

- ``wrk`` on the feed's first page (a cache hit after the first request) for ``--duration``
  seconds at ``--connections``: requests/s, p50 / p99 latency, errors (socket errors, timeouts
  and non-2xx/3xx answers);
- the baseline in the same run: ``bench/feed_baseline.py``, a constant body of the page's size
  under the same server settings, measured the same way; the ratio feed / baseline;
- on PostgreSQL with ``--miss-posts`` more posts loaded (1,000,000 by default: a tenth approved
  with rights, all on the feed's hashtag), the latency of cache misses: one client walks
  ``--miss-pages`` pages of the feed by cursor, each page rendered for the first time.

Needs ``wrk`` (Debian: ``apt-get install wrk``) and, for PostgreSQL, ``--postgres-admin-url``.

Usage: python bench/feed.py [--databases sqlite,postgresql] [--workers 1] [--connections 32]
       [--duration 15] [--miss-posts 1000000] [--miss-pages 200]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.feed_data import load_posts, publish_posts
from database.migrate import upgrade
from ugc.broker import free_port

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-feed-key"
FEED = "/v1/feeds/trailpeak/posts"


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int

    def line(self, name: str) -> str:
        return (
            f"  {name:<22} {self.requests_per_s:9.0f} req/s   p50 {self.p50_ms:6.2f} ms   "
            f"p99 {self.p99_ms:6.2f} ms   errors {self.errors}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--miss-posts", type=int, default=1_000_000)
    parser.add_argument("--miss-pages", type=int, default=200)
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get(
            "UGC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    print(
        f"{args.workers} API worker(s), wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, on {os.cpu_count()} cores",
        flush=True,
    )
    for kind in args.databases.split(","):
        with (
            tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp,
            database(kind, Path(tmp), args.postgres_admin_url) as url,
        ):
            run(kind, url, Path(tmp), args)
    return 0


def run(kind: str, url: str, tmp: Path, args: argparse.Namespace) -> None:
    upgrade(url)
    print(f"\n{kind}:", flush=True)
    with api(url, args.workers, tmp) as base:
        client = httpx.Client(base_url=base, headers={"X-API-Key": API_KEY}, timeout=60)
        publish_posts(client, url, count=40)
        if kind == "postgresql" and args.miss_posts:
            started = time.monotonic()
            load_posts(url, args.miss_posts)
            print(f"  loaded {args.miss_posts} more posts in {time.monotonic() - started:.0f} s")
        page = client.get(FEED)
        page.raise_for_status()
        size = len(page.content)
        feed = wrk(f"{base}{FEED}", args)
        misses = walk_misses(client, args.miss_pages) if kind == "postgresql" else []
        client.close()
    with baseline(size, args.workers, tmp) as base:
        trivial = wrk(f"{base}/", args)
    print(f"  page of {len(page.json()['items'])} posts, {size} bytes")
    print(feed.line("cached feed page"))
    print(trivial.line("baseline (constant)"))
    ratio = feed.requests_per_s / trivial.requests_per_s if trivial.requests_per_s else 0.0
    print(
        f"  ratio feed / baseline: {ratio:.2f} (targets: >= 5000 req/s, >= 0.6, "
        f"p99 <= 15 ms, 0 errors)"
    )
    if misses:
        p50 = statistics.median(misses)
        p90 = statistics.quantiles(misses, n=10)[-1]
        print(
            f"  cache miss (a page rendered for the first time, {len(misses)} pages deep into "
            f"the feed): p50 {p50:.2f} ms, p90 {p90:.2f} ms (target p50 <= 10 ms)"
        )


@contextmanager
def database(kind: str, tmp: Path, admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'ugc.db'}"
        return
    if kind != "postgresql":
        raise SystemExit(f"--databases: sqlite or postgresql, not {kind!r}")
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"bench_feed_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def api(url: str, workers: int, tmp: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "UGC_DATABASE_URL": url,
        "UGC_MODERATOR_API_KEY": API_KEY,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "ugc.cli", "api", "--port", str(port)]
    with served([*command, "--workers", str(workers)], env, tmp / "api.log", port) as base:
        yield base


@contextmanager
def baseline(size: int, workers: int, tmp: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "BENCH_FEED_BODY_BYTES": str(size), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "uvicorn", "bench.feed_baseline:app", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log"]
    with served(command, env, tmp / "baseline.log", port) as base:
        yield base


@contextmanager
def served(command: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[str]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited: {log.read_text()[-3000:]}")
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    message = f"{command} did not answer: {log.read_text()[-3000:]}"
                    raise RuntimeError(message) from exc
                time.sleep(0.2)  # a server starting, not a result to wait for
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk(url: str, args: argparse.Namespace) -> Load:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    result = subprocess.run(
        [*command, "--latency", url], capture_output=True, text=True, check=True
    )
    return parse_wrk(result.stdout)


def parse_wrk(output: str) -> Load:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {
        int(p): _ms(value, unit)
        for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    }
    errors = 0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        errors += int(bad.group(1))
    return Load(rate, percentiles[50], percentiles[99], errors)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def walk_misses(client: httpx.Client, pages: int) -> list[float]:
    """Milliseconds per page, walking the feed by cursor from its second page on (each page
    is rendered for the first time: a miss)."""
    cursor = client.get(FEED).json()["next_cursor"]
    timings: list[float] = []
    while cursor and len(timings) < pages:
        started = time.perf_counter()
        response = client.get(FEED, params={"cursor": cursor})
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
    return timings


if __name__ == "__main__":
    sys.exit(main())
