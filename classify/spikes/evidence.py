"""What an alert shows a person about a burst: its most-engaged negative posts, the words they
use, the networks they come from and their ids (for the moderation queue), bounded in size.

Kept as plain JSON-able data because it lives in a faust table (``spike-state``): every
negative post adds to it, so adding must stay cheap and the whole must stay small. Adding a
post therefore does not tokenize it: the evidence keeps the texts of the last
:data:`TEXTS_KEPT` negative posts, and the top terms are counted from them only when an alert
message is built (a few times per burst, instead of once per negative post).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contract import MAX_ALERT_POST_IDS, AlertPost

TOP_POSTS = 5
TOP_TERMS = 10
# Negative texts kept for the top terms (the latest ones): a burst's words repeat, so a sample
# of this size ranks them as the whole would.
TEXTS_KEPT = 100

_URL = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]{2,}")
# Words too common to say anything about a burst (English; other languages pass through).
_STOPWORDS_TEXT = (
    "about after again all also amp and any are aren't been being but can can't could didn't "
    "doesn't don't even for from get got had has have he her here hers him his how i'm "
    "i've into isn't it's its just like lol many me mine more most much my new not now "
    "one only our ours out over own really rt same she should some still such than that "
    "the their them then there these they this those today too two us very via was wasn't "
    "we were what when where who why will with won't would you your yours "
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def terms_of(text: str, *, hashtag: str) -> list[str]:
    """The words of a post worth counting: lower-cased, no links, no stopwords, no numbers,
    not the hashtag itself (every post of the burst carries it)."""
    words = _WORD.findall(_URL.sub(" ", text.casefold()))
    return [
        w for w in words if w not in STOPWORDS and w != hashtag and w.strip("'\u2019-") != hashtag
    ]


@dataclass(frozen=True)
class EvidencePost:
    """One negative post as the evidence keeps it."""

    post_id: str
    text: str
    permalink: str | None
    network: str
    engagement: int
    followers: int | None

    def rank(self) -> tuple[int, int, str]:
        return (self.engagement, self.followers or 0, self.post_id)

    def to_alert_post(self) -> AlertPost:
        return AlertPost(
            post_id=self.post_id,
            text=self.text,
            permalink=self.permalink,
            network=self.network,
            engagement=self.engagement,
            followers=self.followers,
        )


@dataclass
class Evidence:
    top: list[EvidencePost] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    networks: dict[str, int] = field(default_factory=dict)
    post_ids: list[str] = field(default_factory=list)

    def add(self, post: EvidencePost) -> None:
        """Count one negative post."""
        top = self.top
        if len(top) < TOP_POSTS or post.rank() > top[-1].rank():
            self._add_top([post])
        self.texts.append(post.text)
        if len(self.texts) > 2 * TEXTS_KEPT:
            del self.texts[:-TEXTS_KEPT]
        self.networks[post.network] = self.networks.get(post.network, 0) + 1
        if len(self.post_ids) < MAX_ALERT_POST_IDS and post.post_id not in self.post_ids:
            self.post_ids.append(post.post_id)

    def merge(self, other: Evidence) -> None:
        self._add_top(other.top)
        self.texts.extend(other.texts)
        del self.texts[:-TEXTS_KEPT]
        for network, count in other.networks.items():
            self.networks[network] = self.networks.get(network, 0) + count
        known = set(self.post_ids)
        for post_id in other.post_ids:
            if len(self.post_ids) >= MAX_ALERT_POST_IDS:
                break
            if post_id not in known:
                self.post_ids.append(post_id)
                known.add(post_id)

    def top_terms(self, *, hashtag: str) -> list[str]:
        """The most frequent terms of the kept texts (ties by the term)."""
        counts: dict[str, int] = {}
        for text in self.texts[-TEXTS_KEPT:]:
            for term in terms_of(text, hashtag=hashtag):
                counts[term] = counts.get(term, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [term for term, _ in ranked[:TOP_TERMS]]

    def _add_top(self, posts: list[EvidencePost]) -> None:
        kept = {p.post_id: p for p in self.top}
        for post in posts:
            kept.setdefault(post.post_id, post)
        self.top = sorted(kept.values(), key=EvidencePost.rank, reverse=True)[:TOP_POSTS]

    def to_json(self) -> dict[str, Any]:
        return {
            "top": [vars(p) for p in self.top],
            "texts": self.texts[-TEXTS_KEPT:],
            "networks": self.networks,
            "post_ids": self.post_ids,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        # States written before the texts were kept hold counted "terms": they are dropped
        # (a burst in progress across that upgrade shows the terms of its later posts).
        return cls(
            top=[EvidencePost(**p) for p in data.get("top", [])],
            texts=list(data.get("texts", [])),
            networks=dict(data.get("networks", {})),
            post_ids=list(data.get("post_ids", [])),
        )
