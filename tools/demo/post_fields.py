"""The parts of a post that depend on its network: permalink, media and engagement counts."""

from __future__ import annotations

import re
from random import Random

from tools.demo.corpus import Corpus
from tools.demo.ids import B64URL
from tools.demo.story import Draft

MediaItem = dict[str, str | None]
Engagement = dict[str, int | None]


def permalink(rng: Random, corpus: Corpus, draft: Draft, native_id: str) -> str:
    author = draft.author
    if draft.platform == "mastodon":
        return f"https://{author.instance}/@{author.username}/{native_id}"
    if draft.platform == "bluesky":
        return f"https://bsky.app/profile/{author.handle}/post/{native_id}"
    if draft.platform == "x":
        return f"https://x.com/{author.handle}/status/{native_id}"
    if draft.platform == "instagram":
        shortcode = "D" + "".join(rng.choice(B64URL) for _ in range(10))
        return f"https://www.instagram.com/p/{shortcode}/"
    if draft.platform == "reddit":
        untagged = corpus.brand_tag_re().sub("", draft.text).lower()
        slug = "_".join(re.findall(r"[a-z0-9]+", untagged)[:7])[:50].rstrip("_")
        subreddit = rng.choice(corpus.brands[draft.brand].subreddits)
        return f"https://www.reddit.com/r/{subreddit}/comments/{native_id}/{slug}/"
    if rng.random() < 0.3:
        return f"https://www.youtube.com/shorts/{native_id}"
    return f"https://www.youtube.com/watch?v={native_id}"


def media(rng: Random, corpus: Corpus, draft: Draft, native_id: str) -> list[MediaItem]:
    """A video for every YouTube post; pictures where the text says it shows one, otherwise as
    often as the network's posts carry them."""
    key = f"{draft.platform}-{native_id}"
    if draft.platform == "youtube":
        return [
            {
                "type": "video",
                "url": f"https://media.example.com/demo/{key}.mp4",
                "preview_url": f"https://media.example.com/demo/{key}_thumb.jpg",
                "alt_text": None,
            }
        ]
    platform = corpus.platforms[draft.platform]
    wants = bool(corpus.photo_hint_re().search(draft.text)) and draft.kind != "unsafe"
    rate = platform.media_rate * (0.2 if draft.kind == "giveaway" else 1.0)
    if not wants and rng.random() >= rate:
        return []
    mood = "bad" if draft.sentiment == "negative" else "ok"
    if draft.kind == "burst":
        mood = "burst"
    alt_texts = corpus.brands[draft.brand].alt_texts
    alts = alt_texts.get(mood, alt_texts["ok"])
    count = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
    items: list[MediaItem] = []
    for i, alt in enumerate(rng.sample(alts, min(count, len(alts)))):
        has_alt = rng.random() < platform.alt_text_rate
        items.append(
            {
                "type": "image",
                "url": f"https://media.example.com/demo/{key}-{i}.jpg",
                "preview_url": f"https://media.example.com/demo/{key}-{i}_small.jpg",
                "alt_text": alt if has_alt else None,
            }
        )
    return items


def engagement(rng: Random, corpus: Corpus, draft: Draft) -> Engagement:
    """Counts with a long tail, scaled by audience; the burst is shared far more than usual."""
    platform = draft.platform
    audience = draft.author.followers if draft.author.followers is not None else 900
    if platform == "bluesky" and audience < 50_000 and rng.random() < 0.75:
        # Firehose events carry no counts; only the big accounts are worth a separate lookup.
        return {"likes": None, "reposts": None, "replies": None, "quotes": None}
    scale = corpus.platforms[platform].engagement_scale
    median = max(0.6, audience**0.55 / 6 * scale)
    likes = int(median * rng.lognormvariate(0, 1.1))
    repost_ratio, reply_ratio = rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.4)
    if draft.sentiment == "negative":
        reply_ratio *= 2  # complaints draw replies more than likes
    if draft.kind == "burst":
        likes = int((likes + 3) * rng.uniform(4, 12))
        repost_ratio, reply_ratio = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.9)
    elif draft.kind == "official":
        likes = int(likes * rng.uniform(2, 5))
    reposts = int(likes * repost_ratio)
    replies = int(likes * reply_ratio + rng.random() * 2)
    quotes = int(reposts * rng.uniform(0.02, 0.3 if draft.kind == "burst" else 0.1))
    if platform == "mastodon":
        return {"likes": likes, "reposts": reposts, "replies": replies, "quotes": None}
    if platform in ("instagram", "reddit", "youtube"):
        return {"likes": likes, "reposts": None, "replies": replies, "quotes": None}
    return {"likes": likes, "reposts": reposts, "replies": replies, "quotes": quotes}
