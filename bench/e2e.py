"""End-to-end benchmark: ingest → Kafka → classify → Kafka → sink → database.

Pushes a few thousand posts through the real pipeline (embedded broker, the classify worker and
the sink as separate processes, the default model) and prints:

- sustained throughput (posts/s) from the first produce to the last row written;
- p50 / p95 / max latency per post, from the moment ingest produced it (``collected_at``,
  stamped at send time) to the moment its row was written (``ingested_at``), twice: for the
  burst (every post at once, so latency is mostly queueing behind the model) and for a paced
  run at half the measured model throughput (the latency of a pipeline that keeps up);
- a baseline measured in the same run: the scorer alone, in this process, on the same texts
  with the same batch size, and the ratio pipeline / baseline. The model is the expensive step,
  so the ratio says how much the pipeline around it costs.

Usage: python bench/e2e.py [--posts 3000] [--paced-posts 600] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, select

from classify.scoring import Scorer
from classify.settings import ClassifySettings
from contract import RawPost, utcnow
from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.migrate import upgrade
from database.models import Post
from ingest.demo import demo_posts_path
from ingest.producer import PostProducer
from ingest.sources.replay import Pacer, iter_posts
from ugc.broker import EmbeddedBroker
from ugc.console import Console
from ugc.processes import Child

#: A post's id, when it was collected and when its row was written.
Stamps = tuple[str, datetime, datetime]


def make_posts(count: int) -> list[RawPost]:
    """``count`` distinct posts cycled from the demo file, with fresh ids and varied texts."""
    demo = list(iter_posts(demo_posts_path()))
    posts = []
    for i in range(count):
        base = demo[i % len(demo)]
        native_id = f"bench{i:07d}"
        text = base.text if i < len(demo) else f"{base.text} #{i}"
        posts.append(
            base.model_copy(
                update={
                    "native_id": native_id,
                    "post_id": f"{base.platform}:{native_id}",
                    "text": text,
                }
            )
        )
    return posts


def baseline_posts_per_second(posts: list[RawPost], batch_size: int) -> float:
    """The scorer alone on the same texts: the ceiling the pipeline can approach."""
    scorer = Scorer.from_settings(ClassifySettings())
    texts = [p.text for p in posts]
    scorer.score_texts(texts[:batch_size])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        scorer.score_texts(texts[i : i + batch_size])
    return len(texts) / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--paced-posts", type=int, default=600)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="ugc-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    batch_size = ClassifySettings().batch_size
    posts = make_posts(args.posts)
    everything = make_posts(args.posts + args.paced_posts + 20)
    paced = everything[args.posts : args.posts + args.paced_posts]
    warmup = everything[args.posts + args.paced_posts :]

    print(f"baseline: scoring {len(posts)} posts in-process (batch {batch_size})…", flush=True)
    baseline = baseline_posts_per_second(posts, batch_size)
    print(f"baseline: {baseline:.1f} posts/s (model only)", flush=True)

    upgrade(database_url)
    engine = create_engine(database_url)
    with EmbeddedBroker(log_path=workdir / "tansu.log") as broker:
        settings = KafkaSettings(
            kafka_bootstrap_servers=broker.bootstrap_servers, topic_partitions=args.partitions
        )
        create_topics(settings)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "UGC_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
            "UGC_DATABASE_URL": database_url,
            "UGC_SINK_SESSION_TIMEOUT_MS": "6000",
            "UGC_SINK_HEARTBEAT_INTERVAL_MS": "1000",
            "UGC_SESSION_TIMEOUT_S": "6",
            "UGC_HEARTBEAT_INTERVAL_S": "1",
        }
        console = Console((workdir / "children.log").open("w", encoding="utf-8"))
        children = [
            Child("sink", ["sink"], env, workdir, console),
            Child("classify", ["classify", "worker"], env, workdir, console),
        ]
        for child in children:
            child.start()
        try:
            print("warming up the pipeline (model load, group joins)…", flush=True)
            send(settings, warmup)
            wait_for_rows(engine, {p.post_id for p in warmup}, args.timeout, children)
            print(f"pushing {len(posts)} posts…", flush=True)
            started = time.time()
            send(settings, posts)
            rows = wait_for_rows(engine, {p.post_id for p in posts}, args.timeout, children)
            rate = baseline / 2
            print(f"pushing {len(paced)} posts at {rate:.0f} posts/s…", flush=True)
            send(settings, paced, rate=rate)
            paced_rows = wait_for_rows(engine, {p.post_id for p in paced}, args.timeout, children)
        finally:
            for child in reversed(children):
                child.stop()
    finished = max(ingested for _, _, ingested in rows).timestamp()
    throughput = len(rows) / (finished - started)
    print()
    print(f"burst: {len(rows)} posts produced at once")
    print(f"  sustained throughput:  {throughput:.1f} posts/s")
    print_latencies(rows)
    print(f"  baseline (model only): {baseline:.1f} posts/s")
    print(f"  ratio pipeline/model:  {throughput / baseline:.2f}")
    print(f"paced: {len(paced_rows)} posts at {baseline / 2:.0f} posts/s (half the baseline)")
    print_latencies(paced_rows)
    return 0


def print_latencies(rows: Sequence[Stamps]) -> None:
    latencies = [(ingested - collected).total_seconds() for _, collected, ingested in rows]
    print(f"  latency p50:           {statistics.median(latencies):.2f} s")
    print(f"  latency p95:           {percentile(latencies, 0.95):.2f} s")
    print(f"  latency max:           {max(latencies):.2f} s")


def send(settings: KafkaSettings, posts: list[RawPost], rate: float = 0.0) -> None:
    pacer = Pacer(rate)
    with PostProducer(settings) as producer:
        for post in posts:
            pacer.wait()
            # collected_at is the produce time: latency is measured from here to the row.
            producer.send(post.model_copy(update={"collected_at": utcnow()}))
        producer.flush()


def wait_for_rows(
    engine: Engine, post_ids: set[str], timeout: float, children: list[Child]
) -> Sequence[Stamps]:
    """Poll the database until every post has a row; exit if a child died or time ran out."""
    deadline = time.monotonic() + timeout
    rows: Sequence[Stamps] = []
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            rows = (
                conn.execute(
                    select(Post.post_id, Post.collected_at, Post.ingested_at).where(
                        Post.post_id.in_(post_ids)
                    )
                )
                .tuples()
                .all()
            )
        if len(rows) == len(post_ids):
            return rows
        for child in children:
            if child.exited() is not None:
                sys.exit(f"{child.name} exited with {child.exited()}; see its log")
        time.sleep(0.5)
    sys.exit(f"timed out: {len(rows)}/{len(post_ids)} rows after {timeout:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
