"""The invented people who post: a few big accounts from the corpus, the brands' own accounts, and a
crowd with names, handles and audiences in each network's style."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random

from tools.demo.corpus import Account, Corpus, Names
from tools.demo.ids import author_id

#: How much more often a big account posts than an ordinary one (before the regulars' boost).
NOTABLE_WEIGHT = 1.5


@dataclass
class Author:
    platform: str
    id: str
    handle: str
    username: str
    display_name: str | None
    followers: int | None
    lang: str
    fav_brand: str | None
    #: How often this author posts, relative to the others.
    weight: float
    instance: str | None = None

    def mention(self) -> str:
        return f"u/{self.username}" if self.platform == "reddit" else f"@{self.handle}"


def weighted(rng: Random, options: Mapping[str, float]) -> str:
    """One key of ``options``, drawn with the values as weights."""
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def account_author(
    rng: Random, account: Account, *, fav_brand: str | None, weight: float
) -> Author:
    return Author(
        platform=account.platform,
        id=author_id(rng, account.platform),
        handle=account.handle,
        username=account.username,
        display_name=account.display_name,
        followers=account.followers,
        lang="en",
        fav_brand=fav_brand,
        weight=weight,
        instance=account.instance,
    )


def make_authors(rng: Random, corpus: Corpus) -> list[Author]:
    """The big accounts first, then a crowd up to the scenario's size, each with a weight."""
    names = corpus.names
    authors = [
        account_author(rng, account, fav_brand=account.fav_brand, weight=NOTABLE_WEIGHT)
        for account in corpus.notable_authors
    ]
    taken = {author.handle.lower() for author in authors}
    langs = {lang: language.author_share for lang, language in corpus.languages.items()}
    platforms = {name: platform.author_share for name, platform in corpus.platforms.items()}
    while len(authors) < corpus.scenario.authors:
        lang = weighted(rng, langs)
        platform = weighted(rng, platforms)
        if lang != "en" and platform in ("reddit", "youtube"):
            platform = "mastodon"  # the non-English corpus is written for short posts, not titles
        first = rng.choice(corpus.languages[lang].first_names)
        word = rng.choice(names.handle_words)
        username = make_username(rng, platform, first, word)
        instance = rng.choice(names.mastodon_instances) if platform == "mastodon" else None
        handle = {"mastodon": f"{username}@{instance}", "bluesky": f"{username}.bsky.social"}.get(
            platform, username
        )
        if handle.lower() in taken:
            continue
        taken.add(handle.lower())
        display = make_display_name(rng, names, platform, first, word)
        # Follower counts are log-normal (median ~250); Reddit exposes none for users.
        followers = (
            None if platform == "reddit" else min(int(math.exp(rng.gauss(5.5, 1.3))), 40_000)
        )
        fav = rng.choice((*corpus.brands, None))
        authors.append(
            Author(
                platform=platform,
                id=author_id(rng, platform),
                handle=handle,
                username=username,
                display_name=display,
                followers=followers,
                lang=lang,
                fav_brand=fav,
                weight=1.0,
                instance=instance,
            )
        )
    # Loyal regulars: a random dozen post far more often than everyone else.
    order = list(range(len(corpus.notable_authors), len(authors)))
    rng.shuffle(order)
    for rank, index in enumerate(order):
        authors[index].weight = 1.0 + 7.0 / (rank + 1) ** 0.9
    return authors


def make_username(rng: Random, platform: str, first: str, word: str) -> str:
    number = str(rng.randint(1, 99))
    if platform == "bluesky":  # handles are DNS labels: no underscores
        return rng.choice((f"{first}{word}", f"{first}-{word}", f"{first}{number}"))
    if platform == "instagram":
        return rng.choice((f"{first}.{word}", f"{first}_{word}", f"{word}.with.{first}"))
    if platform == "reddit":
        return rng.choice(
            (
                f"{first.title()}_{word.title()}_{number}",
                f"{word}{first}{number}",
                f"Throwaway{first.title()}{number}",
            )
        )
    if platform == "youtube":
        return f"{first.title()}{word.title()}"
    return rng.choice((f"{first}_{word}", f"{first}{word}", f"{word}{first}", f"{first}{number}"))


def make_display_name(
    rng: Random, names: Names, platform: str, first: str, word: str
) -> str | None:
    if platform == "reddit":
        return None
    if platform == "youtube":
        return f"{first.title()} {word.title()}"
    initial = rng.choice(string.ascii_uppercase)
    name = rng.choice(
        (f"{first.title()} {initial}.", first.title(), first, f"{first.title()} ({word})")
    )
    return name + rng.choice(names.display_emoji)
