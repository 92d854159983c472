"""Re-reads the built file as a consumer would, checks that the story is in it, and says what it
holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from contract import RawPost
from tools.demo.corpus import Corpus
from tools.demo.posts import Row

MIN_POSTS = 500


class DemoFileInvalid(ValueError):
    """The built file is not what ``ugc up`` needs; the corpus or the builder must change."""


def check(ok: bool, problem: str) -> None:
    if not ok:
        raise DemoFileInvalid(problem)


def validate(path: Path, rows: Sequence[Row], corpus: Corpus) -> list[str]:
    """The summary lines of a file that passed every check, or :class:`DemoFileInvalid`."""
    scenario = corpus.scenario
    posts = [
        RawPost.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()
    ]
    check(len(posts) >= MIN_POSTS, f"only {len(posts)} posts")
    ids = [p.post_id for p in posts]
    check(len(set(ids)) == len(ids), "duplicate post_id")
    check(len({p.text for p in posts}) == len(posts), "duplicate text")
    created = [p.created_at for p in posts]
    check(created == sorted(created), "not sorted by created_at")
    check(
        created[0] >= scenario.start and created[-1] <= scenario.end,
        f"posts from {created[0]} to {created[-1]}, outside the scenario",
    )
    drafts = {str(row["post_id"]): draft for row, draft in rows}
    burst = [p for p in posts if drafts[p.post_id].kind == "burst"]
    unsafe = [p for p in posts if drafts[p.post_id].kind == "unsafe"]
    burst_span = max(p.created_at for p in burst) - min(p.created_at for p in burst)
    check(burst_span <= timedelta(minutes=scenario.burst.minutes), f"burst spans {burst_span}")

    def counts(title: str, counter: Counter[str]) -> str:
        return f"{title:<10} " + ", ".join(f"{k}={v}" for k, v in counter.most_common())

    def mean_likes(group: list[RawPost]) -> float:
        likes = [p.engagement.likes for p in group if p.engagement.likes is not None]
        return sum(likes) / max(len(likes), 1)

    sentiments = Counter(drafts[p.post_id].sentiment for p in posts)
    others = [p for p in posts if drafts[p.post_id].kind not in ("burst", "official")]
    authors = Counter(p.author.handle for p in posts)
    first, last = min(p.created_at for p in burst), max(p.created_at for p in burst)
    return [
        f"{path}: {len(posts)} posts, all valid RawPost, unique post_ids, sorted",
        counts("brand", Counter(tag for p in posts for tag in p.hashtags)),
        counts("platform", Counter(p.platform.value for p in posts)),
        counts("language", Counter(p.language or "?" for p in posts)),
        counts("sentiment", sentiments),
        " " * 11 + ", ".join(f"{k}={v / len(posts):.1%}" for k, v in sentiments.items()),
        counts("kind", Counter(drafts[p.post_id].kind for p in posts)),
        f"burst      {len(burst)} negative #TrailPeak posts between {first:%H:%M:%S} and "
        f"{last:%H:%M:%S} UTC on {scenario.burst.start:%Y-%m-%d} (span {burst_span})",
        counts("unsafe", Counter(drafts[p.post_id].why or "?" for p in unsafe)),
        f"likes      burst mean {mean_likes(burst):.1f} vs other mean {mean_likes(others):.1f}",
        f"media      {sum(1 for p in posts if p.media) / len(posts):.1%} of posts have media",
        f"authors    {len(authors)} distinct; most active: "
        + ", ".join(f"{h}={n}" for h, n in authors.most_common(5)),
        f"corpus     {len({b.text for b in corpus.bases()})} hand-written base texts",
    ]
