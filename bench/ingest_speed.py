"""Ingest throughput per connector: recorded pages to the broker, against JSON parsing alone.

For each network (Mastodon, Bluesky search, Bluesky Jetstream, X, Reddit, Instagram, YouTube)
the fakes of ``tests/ingest`` serve ``--posts`` realistic posts (generated in memory from a seed:
``bench/ingest_open_pages.py``, ``bench/ingest_platform_pages.py``) to the production connector
once, and its HTTP exchanges are recorded. Then, per network, best of ``--repeat`` runs of each:

- baseline: ``json.loads`` of every recorded page (or frame), the floor cost of reading the data;
- no broker: the recorded pages replayed by an ``httpx.MockTransport`` to a fresh connector under
  ``PollingRunner.poll_once()`` (HTTP client, paging, envelope checks, ``normalize``, checkpoint
  files), with the posts dropped instead of produced: where the time goes without Kafka;
- full: the same with ``PostProducer.send`` to a real broker and the runner's ``flush`` before
  each checkpoint (an embedded Tansu broker unless ``--bootstrap-servers``).

Posts arrive in batches of ``--batch`` between polls; the first poll is a backfill, the next ones
go on from the saved position. Jetstream frames (``--noise`` frames without the tag per tagged
post) are handed to the stream connector in memory in place of a websocket, so the websocket's
own frame decoding is not measured, and run through ``StreamRunner`` (a flush every 100 posts).

Prints posts/s for each path and the ratio full/baseline: how many times the cost of parsing
the JSON the whole path to the broker costs. The machines are noisy; the ratio is the figure to
compare between runs.

Usage: python bench/ingest_speed.py [--posts 2000] [--batch 500] [--repeat 3] [--noise 1]
                              [--networks mastodon,x,...] [--bootstrap-servers HOST:PORT]
                              [--no-broker]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NETWORKS = (
    "mastodon",
    "bluesky-search",
    "bluesky-jetstream",
    "x",
    "reddit",
    "instagram",
    "youtube",
)


@dataclass(frozen=True)
class Figures:
    name: str
    posts: int
    pages: int
    kilobytes: float
    parse_s: float
    no_broker_s: float
    full_s: float | None


def record(name: str, posts: int, batch: int, noise: int, seed: int) -> Any:
    """The recorded pages (or frames) of one network."""
    from bench import ingest_open_pages as open_pages
    from bench import ingest_platform_pages as platform_pages
    from bench.ingest_corpus import Corpus

    corpus = Corpus(seed)
    if name == "bluesky-jetstream":
        return open_pages.jetstream_frames(corpus, posts=posts, noise=noise)
    builders: dict[str, Callable[..., Any]] = {
        "mastodon": open_pages.record_mastodon,
        "bluesky-search": open_pages.record_bluesky_search,
        "x": platform_pages.record_x,
        "reddit": platform_pages.record_reddit,
        "instagram": platform_pages.record_instagram,
        "youtube": platform_pages.record_youtube,
    }
    return builders[name](corpus, posts=posts, batch=batch)


def measure(recording: Any, producer: Any, repeat: int) -> Figures:
    """Best of ``repeat`` for the baseline, the path without broker and the full path."""
    from bench.ingest_replay import NullSink, PollingRecording, parse_seconds, replay

    bodies = recording.bodies
    replay(recording, NullSink())  # warm-up: imports, pydantic's validators, the file cache
    parse, no_broker, full = [], [], []
    for _ in range(repeat):
        parse.append(parse_seconds(bodies))
        no_broker.append(replay(recording, NullSink())[0])
        if producer is not None:
            full.append(replay(recording, producer)[0])
    pages = (
        sum(len(r.exchanges) for r in recording.rounds)
        if isinstance(recording, PollingRecording)
        else len(bodies)
    )
    size = sum(len(b) for b in bodies) / 1024
    return Figures(
        recording.name,
        recording.posts,
        pages,
        size,
        min(parse),
        min(no_broker),
        min(full) if full else None,
    )


@contextlib.contextmanager
def broker(args: argparse.Namespace) -> Iterator[Any]:
    """A producer to the broker asked for (or an embedded one), ``None`` with ``--no-broker``."""
    if args.no_broker:
        yield None
        return
    from contract.settings import KafkaSettings
    from contract.topics import create_topics
    from ingest.producer import PostProducer
    from ugc.broker import EmbeddedBroker

    with contextlib.ExitStack() as stack:
        servers = args.bootstrap_servers
        if servers is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ugc-bench-")))
            servers = stack.enter_context(EmbeddedBroker(log_path=workdir / "tansu.log"))
            servers = servers.bootstrap_servers
        settings = KafkaSettings(kafka_bootstrap_servers=servers)
        create_topics(settings)
        yield stack.enter_context(PostProducer(settings, client_id="ugc-bench-ingest"))


def print_table(rows: list[Figures]) -> None:
    print()
    print(
        f"{'network':<18} {'posts':>6} {'pages':>6} {'KB':>7} {'parse posts/s':>14} "
        f"{'no broker posts/s':>18} {'full posts/s':>13} {'full/parse cost':>16}"
    )
    for row in rows:
        parse_rate = row.posts / row.parse_s
        no_broker_rate = row.posts / row.no_broker_s
        if row.full_s is None:
            full_rate, ratio = "-", "-"
        else:
            full_rate, ratio = f"{row.posts / row.full_s:.0f}", f"{row.full_s / row.parse_s:.1f}x"
        print(
            f"{row.name:<18} {row.posts:>6} {row.pages:>6} {row.kilobytes:>7.0f} "
            f"{parse_rate:>14.0f} {no_broker_rate:>18.0f} {full_rate:>13} {ratio:>16}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts per network")
    parser.add_argument("--batch", type=int, default=500, help="posts published between polls")
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; the best counts")
    parser.add_argument("--noise", type=int, default=1, help="untagged Jetstream frames per post")
    parser.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--bootstrap-servers", default=None, help="default: an embedded broker")
    parser.add_argument("--no-broker", action="store_true", help="skip the full path")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.networks.split(",") if n.strip()]
    unknown = set(names) - set(NETWORKS)
    if unknown:
        parser.error(f"unknown networks {sorted(unknown)}: choose from {', '.join(NETWORKS)}")
    # The connectors' own warnings (a YouTube poll interval that outruns the daily quota with
    # these options, for one) are about production settings, not about these figures.
    logging.basicConfig(level=logging.ERROR)

    recordings = []
    for name in names:
        recording = record(name, args.posts, args.batch, args.noise, args.seed)
        print(f"recorded {recording.name}: {recording.posts} posts", flush=True)
        recordings.append(recording)
    rows = []
    with broker(args) as producer:
        for recording in recordings:
            rows.append(measure(recording, producer, max(1, args.repeat)))
            print(f"measured {recording.name}", flush=True)
    print_table(rows)
    print(
        f"\nbest of {max(1, args.repeat)} runs each; posts arrive {args.batch} per poll; "
        "pages = HTTP answers replayed (Jetstream: frames); parse = json.loads of every page "
        "(the baseline); full/parse cost = full time / parse time"
    )
    return 0


if __name__ == "__main__":
    # `python bench/ingest_speed.py` puts bench/ first on the import path, where the bench's own
    # `ingest_*` modules live: the project root goes there instead, as for `python -m`.
    sys.path[0] = str(Path(__file__).resolve().parents[1])
    sys.exit(main())
