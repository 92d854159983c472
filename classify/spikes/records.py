"""The records of the spike stream's repartition topic, and the partition of a hashtag.

The repartition step sums each batch of scored posts per hashtag and per bucket
(:class:`.BucketRow`: posts, negative posts, their engagement weights, first and last
``created_at``, the negative posts' evidence) and sends one record per partition of the topic,
holding the rows of every hashtag of the batch that lives on that partition::

    {"tags": {"trailpeak": [[start, total, negative, engagement, first, last,
                             [[post_id, text, permalink, network, engagement, followers], ...]],
                            ...]}}

So the detector's side reads one record per partition per batch, not one per post or per
hashtag, and its cost does not grow with the number of hashtags a batch touches. A hashtag's
partition is the one Kafka's default partitioner gives its name (murmur2), which is also where a
record keyed by the hashtag goes (the quiet-period ticks, and the one-record-per-hashtag records
of older workers, still read here), and where its table entries are written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from aiokafka.partitioner import murmur2

from classify.spikes.evidence import EvidencePost
from classify.spikes.model import post_weight
from classify.spikes.stream_state import BucketRow, PostSeen, bucket_rows, floor_to
from contract import ScoredPost, Sentiment

MAX_HASHTAG_LENGTH = 255  # what the incidents and post tables hold
TEXT_KEPT = 500  # characters of a negative post's text in the evidence
# The evidence fields of a negative post in a record, in order (the fields of EvidencePost).
_EVIDENCE_FIELDS = ("post_id", "text", "permalink", "network", "engagement", "followers")


@functools.lru_cache(maxsize=65536)
def partition_of(hashtag: str, partitions: int) -> int:
    """The partition of the repartition topic (and of the tables) that holds ``hashtag``."""
    hashed: int = murmur2(hashtag.encode())
    return (hashed & 0x7FFFFFFF) % partitions


def post_seen(post: ScoredPost, *, now: float) -> PostSeen:
    """What the stream counts of one scored post. A post from the future (a skewed clock)
    counts as posted now: it must not close every bucket up to its date."""
    created = min(post.created_at.timestamp(), now)
    if post.sentiment.label is not Sentiment.NEGATIVE:
        return PostSeen(created, False)
    weight, evidence = _negative(post)
    return PostSeen(created, True, weight, evidence)


def _negative(post: ScoredPost) -> tuple[float, EvidencePost]:
    """A negative post's engagement weight and what the evidence keeps of it."""
    e = post.engagement
    engagement = (e.likes or 0) + (e.reposts or 0) + (e.replies or 0) + (e.quotes or 0)
    followers = post.author.followers
    evidence = EvidencePost(
        post_id=post.post_id,
        text=post.text[:TEXT_KEPT],
        permalink=post.permalink,
        network=post.platform.value,
        engagement=engagement,
        followers=followers,
    )
    return post_weight(engagement, followers), evidence


def batch_rows(
    posts: Sequence[ScoredPost], *, now: float, bucket_s: int
) -> dict[str, list[BucketRow]]:
    """A batch's posts summed per hashtag and bucket, each hashtag's rows in bucket order
    (the evidence of a row in ``created_at`` order). The same as :func:`post_seen` and
    :meth:`BucketRow.add` per post, without the intermediate objects (this runs per post)."""
    timed = sorted(((min(post.created_at.timestamp(), now), post) for post in posts), key=_first)
    by_tag: dict[str, dict[float, BucketRow]] = {}
    for created, post in timed:
        start = floor_to(created, bucket_s)
        weight: float | None = None
        evidence: EvidencePost | None = None
        if post.sentiment.label is Sentiment.NEGATIVE:
            weight, evidence = _negative(post)
        for tag in post.hashtags:
            if len(tag) > MAX_HASHTAG_LENGTH:  # no incident could be stored for it
                continue
            rows = by_tag.get(tag)
            if rows is None:
                rows = by_tag[tag] = {}
            row = rows.get(start)
            if row is None:
                row = rows[start] = BucketRow(start)
            row.count(created, weight, evidence)
    return {tag: [rows[start] for start in sorted(rows)] for tag, rows in by_tag.items()}


def _first(item: tuple[float, ScoredPost]) -> float:
    return item[0]


def partition_records(rows: dict[str, list[BucketRow]], partitions: int) -> dict[int, bytes]:
    """One record per partition that holds any of the hashtags."""
    by_partition: dict[int, dict[str, list[list[Any]]]] = {}
    for tag, tag_rows in rows.items():
        tags = by_partition.setdefault(partition_of(tag, partitions), {})
        tags[tag] = [_row_json(row) for row in tag_rows]
    return {
        partition: json.dumps({"tags": tags}).encode() for partition, tags in by_partition.items()
    }


def _row_json(row: BucketRow) -> list[Any]:
    evidence = [[getattr(post, name) for name in _EVIDENCE_FIELDS] for post in row.evidence]
    return [row.start, row.total, row.negative, row.engagement, row.first, row.last, evidence]


def read_record(
    key: bytes | None, fields: dict[str, Any], bucket_s: int
) -> list[tuple[str, list[BucketRow]]]:
    """The hashtags of one record with their rows; the records of older workers (one hashtag,
    keyed by it, as ``posts`` or as one ``post``) too."""
    if "tags" in fields:
        return [(tag, [_row_of(row) for row in rows]) for tag, rows in dict(fields["tags"]).items()]
    if not key:
        return []
    return [(key.decode(), bucket_rows(_older_posts(fields), bucket_s))]


def _row_of(row: list[Any]) -> BucketRow:
    start, total, negative, engagement, first, last, evidence = row
    return BucketRow(
        start=float(start),
        total=int(total),
        negative=int(negative),
        engagement=float(engagement),
        first=float(first),
        last=float(last),
        evidence=[EvidencePost(*fields) for fields in evidence],
    )


def _older_posts(fields: dict[str, Any]) -> list[PostSeen]:
    if "posts" not in fields:
        old = fields["post"]
        fields = {
            "posts": [
                [
                    fields["created_at"],
                    fields["negative"],
                    post_weight(old["engagement"], old["followers"]),
                    [old[name] for name in _EVIDENCE_FIELDS],
                ]
            ]
        }
    posts = []
    for row in fields["posts"]:
        evidence = EvidencePost(*row[3]) if len(row) > 3 and row[1] else None
        posts.append(PostSeen(float(row[0]), bool(row[1]), float(row[2]), evidence))
    return posts
