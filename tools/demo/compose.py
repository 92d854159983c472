"""Turns a hand-written base text into a post in one author's voice: openers, closers, emoji,
hashtags, mentions of friends and brands."""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from tools.demo.authors import Author
from tools.demo.corpus import Base, Corpus

#: Kinds whose texts are posted as written: spam, giveaway entries and press are formulaic.
VERBATIM_KINDS = ("unsafe", "giveaway", "press")


class Composer:
    """Composes post texts, never the same text twice."""

    def __init__(self, rng: Random, corpus: Corpus, authors: Sequence[Author]) -> None:
        self.rng = rng
        self.corpus = corpus
        self.seen: set[str] = set()
        self.pairs: set[tuple[str, str]] = set()
        self.by_platform: dict[str, list[Author]] = {}
        for author in authors:
            self.by_platform.setdefault(author.platform, []).append(author)

    def compose(self, base: Base, author: Author, tries: int = 40) -> str | None:
        """A fresh text from ``base``, or None when its variations are used up or this author has
        already posted it (nobody writes the same post twice in two days)."""
        if (author.handle, base.text) in self.pairs:
            return None
        for _ in range(tries):
            text = self.fill(self.variant(base, author), base, author)
            if text not in self.seen:
                self.seen.add(text)
                self.pairs.add((author.handle, base.text))
                return text
        return None

    def fresh(self, pool: Sequence[Base], author: Author) -> list[Base]:
        """The bases in ``pool`` this author has not posted yet."""
        return [b for b in pool if (author.handle, b.text) not in self.pairs]

    def friend(self, author: Author) -> str:
        pool = [a for a in self.by_platform[author.platform] if a is not author]
        return self.rng.choice(pool).mention()

    def tag(self, brand: str) -> str:
        tag = self.corpus.brands[brand].tag
        return tag.lower() if self.rng.random() < 0.15 else tag

    def fill(self, text: str, base: Base, author: Author) -> str:
        friend = self.friend(author)
        friend2 = self.friend(author)
        while friend2 == friend:
            friend2 = self.friend(author)
        return text.format(
            tag=self.tag(base.brand),
            tag_b=self.tag("brewnorth"),
            tag_t=self.tag("trailpeak"),
            tag_g=self.tag("glowlab"),
            brand=self.corpus.brands[base.brand].mentions[author.platform],
            friend=friend,
            friend2=friend2,
        )

    def variant(self, base: Base, author: Author) -> str:
        rng = self.rng
        if base.kind in VERBATIM_KINDS:
            return base.text
        if base.kind == "youtube":
            description = rng.choice(self.corpus.extras.youtube_descriptions)
            return base.text + (f"\n\n{description}" if description else "")
        mood = "burst" if base.kind == "burst" else base.sentiment
        platform = author.platform
        # A post addressed to the brand's account still carries the hashtag the listener follows.
        text = base.text if "{tag" in base.text else base.text + " {tag}"
        if base.lang == "en":
            voice = self.corpus.moods[mood]
            opener = rng.choice(voice.openers)
            # "Small joys: Black Friday came early: ..." reads wrong; one colon up front is enough.
            if rng.random() < 0.3 and not (opener.endswith(": ") and ":" in text[:40]):
                text = opener + text
            if rng.random() < 0.4:
                closer = rng.choice(voice.closers)
                if not ("{brand}" in closer and "{brand}" in base.text):
                    text = f"{text} {closer}"
        elif rng.random() < 0.5:
            closers = self.corpus.languages[base.lang].closers[base.sentiment]
            text = f"{text} {rng.choice(closers)}"
        if platform != "reddit" and rng.random() < {"instagram": 0.8, "x": 0.5}.get(platform, 0.4):
            emoji = (
                self.corpus.brands[base.brand].emoji
                if mood == "positive"
                else self.corpus.moods[mood].emoji
            )
            text = f"{text} {rng.choice(emoji)}"
        text = f"{text}{self.extra_tags(base, platform)}"
        if platform in ("x", "instagram", "bluesky") and rng.random() < 0.07:
            text = text.lower()  # some people just never press shift
        return text

    def extra_tags(self, base: Base, platform: str) -> str:
        rng = self.rng
        if platform in ("reddit", "youtube") or (base.kind == "burst" and rng.random() < 0.8):
            return ""
        pool = list(self.corpus.brands[base.brand].hashtags[base.lang])
        # Seasonal tags ride along on an English post now and then, not on every one.
        if base.lang == "en" and rng.random() < 0.25:
            pool.append(rng.choice(self.corpus.extras.seasonal_hashtags))
        count = {
            "instagram": rng.randint(2, 6),
            "mastodon": rng.choice((0, 0, 1, 2, 3)),
        }.get(platform, rng.choice((0, 0, 0, 1, 2)))
        tags = rng.sample(pool, min(count, len(pool)))
        if not tags:
            return ""
        # Instagram captions stack their tags on a line of their own.
        return ("\n\n" if platform == "instagram" else " ") + " ".join(tags)
