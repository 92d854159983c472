"""Drafts to the wire: each draft becomes one ``RawPost``-shaped JSON line, in time order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from random import Random

from tools.demo.corpus import Corpus
from tools.demo.ids import PostIds
from tools.demo.post_fields import engagement, media, permalink
from tools.demo.story import Draft

Row = tuple[dict[str, object], Draft]


def iso(ms: int, platform: str) -> str:
    """The timestamp as the network writes it."""
    when = datetime.fromtimestamp(ms / 1000, UTC)
    if platform in ("mastodon", "bluesky", "x"):
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    if platform == "instagram":
        return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def truncate(ms: int, platform: str) -> int:
    """Networks that only report seconds (or .000 like X) lose the milliseconds."""
    return ms if platform in ("mastodon", "bluesky") else ms - ms % 1000


def serialize(rng: Random, corpus: Corpus, drafts: Sequence[Draft]) -> list[Row]:
    """One row per draft with the draft it came from, sorted by creation time, then post id."""
    ids = PostIds(rng, corpus.scenario.start)
    brand_tag = corpus.brand_tag_re()
    rows: list[Row] = []
    for draft in drafts:
        ms = truncate(draft.created_ms, draft.platform)
        native_id = ids.make(draft.platform, ms)
        lag_lo, lag_hi = corpus.platforms[draft.platform].collect_lag_s
        collected_ms = ms + int(rng.uniform(lag_lo, lag_hi) * 1000)
        author = draft.author
        row: dict[str, object] = {
            "schema_version": 1,
            "platform": draft.platform,
            "native_id": native_id,
            "post_id": f"{draft.platform}:{native_id}",
            "hashtags": list(dict.fromkeys(m.lower() for m in brand_tag.findall(draft.text))),
            "text": draft.text,
            "author": {
                "id": author.id,
                "handle": author.handle,
                "display_name": author.display_name,
                "followers": author.followers,
            },
            "media": media(rng, corpus, draft, native_id),
            "permalink": permalink(rng, corpus, draft, native_id),
            "language": draft.lang,
            "created_at": iso(ms, draft.platform),
            "collected_at": iso(collected_ms, "mastodon"),
            "engagement": engagement(rng, corpus, draft),
        }
        rows.append((row, draft))
    rows.sort(
        key=lambda pair: (
            datetime.fromisoformat(str(pair[0]["created_at"])),
            str(pair[0]["post_id"]),
        )
    )
    return rows


def write(path: Path, rows: Sequence[Row]) -> None:
    """JSON Lines, UTF-8 as is, ``\\n`` line ends on every OS."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row, _ in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
