"""The demo's two days, part by part: the brands' own posts, the unsafe posts, the giveaway, the
recall burst and everyday chatter, each drafted with an author and a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

from tools.demo.authors import Author, account_author, make_authors, weighted
from tools.demo.compose import Composer
from tools.demo.corpus import Base, Corpus

#: Unsafe posts keep this far from the burst, so that the two stories stay separable.
UNSAFE_BURST_MARGIN = timedelta(minutes=10)


@dataclass
class Draft:
    """A post before serialization, with the story labels the file itself doesn't carry."""

    platform: str
    brand: str
    sentiment: str
    kind: str
    lang: str
    text: str
    author: Author
    created_ms: int
    why: str | None = None


def epoch_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def diurnal_ms(rng: Random, activity: Sequence[int], start: datetime, end: datetime) -> int:
    """A moment between start and end, as likely as the hour's ``activity`` (out of 10)."""
    lo, hi = epoch_ms(start), epoch_ms(end)
    while True:
        ms = rng.randint(lo, hi - 1)
        hour = datetime.fromtimestamp(ms / 1000, UTC).hour
        if rng.random() * 10 < activity[hour]:
            return ms


def pick_author(
    rng: Random,
    authors: Sequence[Author],
    brand: str,
    platform_boost: Mapping[str, float] | None = None,
) -> Author:
    """An author likely to post about ``brand``: their favourite first, then the undecided."""
    boost = platform_boost or {}
    weights = []
    for a in authors:
        affinity = 4.0 if a.fav_brand == brand else (1.0 if a.fav_brand is None else 0.4)
        if a.platform == "youtube":
            # Channels film their own niche, and a video takes longer to make than a post.
            affinity = {brand: 4.0, None: 1.0}.get(a.fav_brand, 0.05)
        weights.append(a.weight * affinity * boost.get(a.platform, 1.0))
    return rng.choices(list(authors), weights=weights)[0]


def pick_base(rng: Random, pool: Sequence[Base], uses: Counter[str]) -> Base:
    """Prefer bases used least so far, so every hand-written text gets its turn."""
    return rng.choices(list(pool), weights=[1 / (1 + uses[b.text]) ** 3 for b in pool])[0]


class Story:
    """Drafts every post of the demo; the parts run in a fixed order because they share one seeded
    random generator."""

    def __init__(self, rng: Random, corpus: Corpus) -> None:
        self.rng = rng
        self.corpus = corpus
        self.scenario = corpus.scenario
        self.bases = corpus.bases()
        self.authors = make_authors(rng, corpus)
        self.composer = Composer(rng, corpus, self.authors)
        self.uses: Counter[str] = Counter()
        self.drafts: list[Draft] = []

    def draft_all(self) -> list[Draft]:
        self.official()
        self.unsafe()
        self.giveaway()
        self.burst()
        self.regular()
        return self.drafts

    def pool(self, **want: str) -> list[Base]:
        return [b for b in self.bases if all(getattr(b, k) == v for k, v in want.items())]

    def activity_ms(self, start: datetime, end: datetime) -> int:
        return diurnal_ms(self.rng, self.scenario.hourly_activity, start, end)

    def official(self) -> None:
        """The brands' own posts, at their pinned times."""
        accounts = [
            account_author(self.rng, post.account, fav_brand=post.brand, weight=0.0)
            for post in self.corpus.official_posts
        ]
        for post, author in zip(self.corpus.official_posts, accounts, strict=True):
            self.composer.seen.add(post.text)
            self.drafts.append(
                Draft(
                    author.platform,
                    post.brand,
                    post.sentiment,
                    "official",
                    "en",
                    post.text,
                    author,
                    epoch_ms(post.at),
                )
            )

    def unsafe(self) -> None:
        """One post per unsafe text, anywhere but around the burst."""
        burst = self.scenario.burst
        quiet_before = epoch_ms(burst.start - UNSAFE_BURST_MARGIN)
        quiet_until = epoch_ms(burst.start + timedelta(minutes=burst.minutes) + UNSAFE_BURST_MARGIN)
        for base in self.pool(kind="unsafe"):
            candidates = [
                a
                for a in self.authors
                if a.platform == base.platform and a.lang == "en" and (a.followers or 0) < 50_000
            ]
            author = self.rng.choice(candidates)
            while True:
                ms = self.activity_ms(self.scenario.start, self.scenario.end)
                if not quiet_before < ms < quiet_until:
                    break
            text = self.composer.compose(base, author)
            if text is None:
                raise ValueError(f"unsafe text posted twice: {base.text!r}")
            self.drafts.append(
                Draft(
                    author.platform,
                    base.brand,
                    base.sentiment,
                    "unsafe",
                    "en",
                    text,
                    author,
                    ms,
                    base.why,
                )
            )

    def giveaway(self) -> None:
        """Entries between the announcement and the deadline."""
        giveaway = self.scenario.giveaway
        entries = self.pool(kind="giveaway")
        entrants = [
            a for a in self.authors if a.platform in ("instagram", "x", "mastodon", "bluesky")
        ]
        count = 0
        while count < giveaway.posts:
            author = pick_author(self.rng, entrants, "glowlab", {"instagram": 4.0})
            base = pick_base(self.rng, entries, self.uses)
            text = self.composer.compose(base, author)
            if text is None:
                continue
            count += 1
            self.uses[base.text] += 1
            ms = self.activity_ms(giveaway.start + timedelta(minutes=3), giveaway.end)
            self.drafts.append(
                Draft(author.platform, "glowlab", "positive", "giveaway", "en", text, author, ms)
            )

    def burst(self) -> None:
        """The recall: outrage travels on X and Bluesky first; big accounts chime in early."""
        burst = self.scenario.burst
        rng = self.rng
        burst_en = self.pool(kind="burst", lang="en")
        burst_other = [b for b in self.bases if b.kind == "burst" and b.lang != "en"]
        burst_authors = [a for a in self.authors if a.platform != "youtube"]
        pinned = [a for a in self.authors if a.username in burst.pinned_authors]
        others = [a for a in burst_authors if a.lang == "en" and a not in pinned]
        start_ms = epoch_ms(burst.start)
        count = 0
        while count < burst.posts:
            if count < len(burst_other):
                base = burst_other[count]
                author = rng.choice([a for a in burst_authors if a.lang == base.lang])
            elif count - len(burst_other) < len(pinned):
                author = pinned[count - len(burst_other)]
                if author.username == burst.press_author:
                    base = self.pool(kind="press")[0]
                else:
                    base = pick_base(rng, burst_en, self.uses)
            else:
                author = pick_author(
                    rng, others, "trailpeak", {"x": 2.5, "bluesky": 2.0, "instagram": 0.5}
                )
                unused = self.composer.fresh(burst_en, author)
                if not unused:
                    continue
                base = pick_base(rng, unused, self.uses)
            text = self.composer.compose(base, author)
            if text is None:
                continue
            count += 1
            self.uses[base.text] += 1
            offset_min = rng.triangular(0, burst.minutes, 9)
            if author in pinned:
                offset_min = rng.uniform(4, 14)
            ms = start_ms + int(offset_min * 60_000)
            self.drafts.append(
                Draft(
                    author.platform, "trailpeak", "negative", "burst", base.lang, text, author, ms
                )
            )

    def regular(self) -> None:
        """Everyday chatter: a fixed sentiment mix, each post's brand and author drawn by weight."""
        rng = self.rng
        plan = [s for s, n in self.scenario.regular.model_dump().items() for _ in range(n)]
        rng.shuffle(plan)
        shares = {name: brand.share for name, brand in self.corpus.brands.items()}
        # The press account only covers the leak; it never reviews a product.
        authors = [a for a in self.authors if a.username != self.scenario.burst.press_author]
        for sentiment in plan:
            brand, base, author, text = self.regular_post(sentiment, shares, authors)
            self.uses[base.text] += 1
            self.drafts.append(
                Draft(
                    author.platform,
                    brand,
                    sentiment,
                    base.kind,
                    base.lang,
                    text,
                    author,
                    self.activity_ms(self.scenario.start, self.scenario.end),
                )
            )

    def regular_post(
        self, sentiment: str, shares: Mapping[str, float], authors: Sequence[Author]
    ) -> tuple[str, Base, Author, str]:
        """Draws brand, author and base until they make a text nobody has posted yet."""
        rng = self.rng
        while True:
            brand = weighted(rng, shares)
            author = pick_author(rng, authors, brand)
            if author.platform == "youtube":
                choices = self.pool(kind="youtube", brand=brand, sentiment=sentiment)
            elif author.lang != "en" and rng.random() < 0.85:
                choices = self.pool(kind="post", brand=brand, sentiment=sentiment, lang=author.lang)
            else:
                choices = self.pool(kind="post", brand=brand, sentiment=sentiment, lang="en")
                choices += [
                    b for b in self.pool(kind="cross", sentiment=sentiment) if b.brand == brand
                ]
            choices = self.composer.fresh(choices, author)
            if not choices:
                continue
            base = pick_base(rng, choices, self.uses)
            text = self.composer.compose(base, author)
            if text is not None:
                return brand, base, author, text
