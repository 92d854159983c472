"""The repartitioned records of the spike stream: a batch summed per hashtag and bucket, one
record per partition, in time order."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.partitioner import DefaultPartitioner

from classify.faust_app import stream_app
from classify.spikes.model import post_weight
from classify.spikes.records import (
    batch_rows,
    partition_of,
    partition_records,
    post_seen,
    read_record,
)
from classify.spikes.settings import SpikeSettings
from classify.spikes.stream_state import bucket_rows
from classify.spikes.worker import SpikeAgents
from contract import Sentiment
from database.migrate import upgrade
from tests.curation_api.curation_factories import scored_post

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BUCKET_S = 300


def test_a_batch_is_summed_per_hashtag_and_bucket_in_time_order_with_evidence_of_negatives() -> (
    None
):
    later = scored_post(
        hashtags=["trailpeak", "hiking"],
        created_at=T0.replace(minute=7),
        sentiment=Sentiment.NEGATIVE,
        likes=40,
        followers=900,
    )
    same_bucket = scored_post(
        hashtags=["trailpeak"], created_at=T0.replace(minute=6), sentiment=Sentiment.POSITIVE
    )
    earlier = scored_post(
        hashtags=["trailpeak"], created_at=T0, sentiment=Sentiment.POSITIVE, likes=1
    )

    rows = batch_rows([later, same_bucket, earlier], now=T0.timestamp() + 3600, bucket_s=BUCKET_S)

    assert set(rows) == {"trailpeak", "hiking"}
    first, second = rows["trailpeak"]
    assert (first.start, first.total, first.negative) == (T0.timestamp(), 1, 0)
    assert (second.start, second.total, second.negative) == (T0.timestamp() + 300, 2, 1)
    assert (second.first, second.last) == (T0.timestamp() + 360, T0.timestamp() + 420)
    assert second.engagement == post_weight(40 + 1, 900)  # likes and the one repost
    assert [post.post_id for post in second.evidence] == [later.post_id]
    assert first.evidence == []


def test_the_batch_sums_are_those_of_its_posts_one_by_one() -> None:
    posts = [
        scored_post(
            hashtags=["trailpeak", "hiking"] if index % 3 else ["trailpeak"],
            created_at=T0.replace(minute=(index * 7) % 60, second=index % 60),
            sentiment=Sentiment.NEGATIVE if index % 4 == 0 else Sentiment.NEUTRAL,
            likes=index,
            followers=index * 10,
        )
        for index in range(40)
    ]
    now = T0.timestamp() + 1800  # the later posts are from the future

    rows = batch_rows(posts, now=now, bucket_s=BUCKET_S)

    seen = sorted(
        ((post_seen(post, now=now), post.hashtags) for post in posts),
        key=lambda item: item[0].created_at,
    )
    for tag in ("trailpeak", "hiking"):
        one_by_one = bucket_rows([s for s, tags in seen if tag in tags], BUCKET_S)
        assert rows[tag] == one_by_one


def test_a_record_per_partition_holds_its_hashtags_and_reads_back_as_it_was_sent() -> None:
    posts = [
        scored_post(hashtags=[f"tag{index}"], created_at=T0, sentiment=Sentiment.NEGATIVE)
        for index in range(20)
    ]
    rows = batch_rows(posts, now=T0.timestamp(), bucket_s=BUCKET_S)

    records = partition_records(rows, 3)

    assert len(records) == 3
    read = {
        tag: tag_rows
        for partition, value in records.items()
        for tag, tag_rows in read_record(None, json.loads(value), BUCKET_S)
        if partition_of(tag, 3) == partition
    }
    assert read == rows


def test_a_hashtag_lives_on_the_partition_kafkas_default_partitioner_gives_its_name() -> None:
    for tag in ("trailpeak", "hiking", "été", "x" * 255):
        expected = DefaultPartitioner()(tag.encode(), [0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
        assert partition_of(tag, 5) == expected


def test_a_post_from_the_future_counts_as_posted_now() -> None:
    post = scored_post(hashtags=["trailpeak"], created_at=T0)

    rows = batch_rows([post], now=T0.timestamp() - 60, bucket_s=BUCKET_S)

    (row,) = rows["trailpeak"]
    assert row.first == row.last == T0.timestamp() - 60


def test_records_of_older_workers_keyed_by_hashtag_are_still_read() -> None:
    one_post = {
        "created_at": T0.timestamp(),
        "negative": True,
        "hashtag": "trailpeak",
        "post": {
            "post_id": "mastodon:1",
            "text": "the sole cracked",
            "permalink": None,
            "network": "mastodon",
            "engagement": 12,
            "followers": 300,
        },
    }
    many_posts = {"posts": [[T0.timestamp(), 0, 1.0], [T0.timestamp() + 400, 0, 1.0]]}

    ((tag, (row,)),) = read_record(b"trailpeak", one_post, BUCKET_S)
    ((_, rows),) = read_record(b"trailpeak", many_posts, BUCKET_S)

    assert tag == "trailpeak"
    assert row.negative == 1
    assert row.evidence[0].text == "the sole cracked"
    assert row.engagement == post_weight(12, 300)
    assert [r.total for r in rows] == [1, 1]


def test_a_record_the_stream_cannot_read_is_skipped_not_a_crash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    upgrade(url)
    settings = SpikeSettings(database_url=url, kafka_bootstrap_servers="127.0.0.1:1")
    threshold = gc.get_threshold()
    # stream_app sets the process's collector for a worker: put it back for the other tests.
    agents = SpikeAgents(
        stream_app("test-spikes", settings, session_timeout_s=6, heartbeat_interval_s=1), settings
    )

    gc.set_threshold(*threshold)
    gc.unfreeze()

    for value in (b"not json", b'{"tags": {"trailpeak": [[1, 2]]}}', b'{"tags": 3}', b"[1]"):
        assert agents._read(None, value) == []
    assert agents._read(b"trailpeak", b'{"tick": true}') == [("trailpeak", None)]
