"""Seeded, realistic post content for the ingest benchmark: what people write under a brand tag.

Texts vary in length (a few words to a few hundred characters), carry the followed tag and up to
three others, sometimes a mention, a link, an ``&`` (escaped by several APIs), emoji and another
language; authors repeat the way they do on a real hashtag (a few regulars, many one-offs).
Every network's builder in :mod:`bench.ingest_pages` draws from one :class:`Corpus`, so the
networks differ by their envelopes, not by their content.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

FOLLOWED = "brand"

_OPENINGS = (
    "Finally got my hands on the new {product}",
    "Morning run in the {product}: {n} km and no blisters",
    "Unboxing the {product} I ordered last week",
    "Is it just me or is the {product} a bit narrow?",
    "Week {n} with the {product}, honest review",
    "Spotted the {product} at the store downtown",
    "My kid refuses to take off the {product}",
    "Three reasons the {product} beats my old pair",
    "Customer service sorted my {product} return in a day",
    "Trail day! The {product} handled the mud like a champ",
)
_MIDDLES = (
    "Comfort is great, sizing runs half a size small.",
    "The colour is even better in person.",
    "Not cheap, but they last.",
    "Laces came undone twice, otherwise perfect.",
    "Paired them with jeans & a white tee.",
    "Would buy again, maybe in black next time.",
    "The sole grips well on wet pavement.",
    "Shipping took forever though.",
    "Ran a half marathon in them without a single complaint from my feet.",
    "Photos don't do the stitching justice, the detail is lovely.",
)
_FOREIGN = (
    ("fr", "Enfin reçu mes nouvelles {product}, trop contente !"),
    ("es", "Mis nuevas {product} son comodísimas, las recomiendo."),
    ("de", "Die neuen {product} sind bequem, aber etwas schmal."),
    ("ja", "新しい{product}、走りやすくて最高です"),
    ("pt", "Amei o meu novo {product}, muito confortável!"),
)
_PRODUCTS = ("Aero 3", "Trail Pro", "Cloudstep", "Retro 85", "Street Lite", "Marathon X")
_TAGS = ("running", "sneakers", "ootd", "fitness", "marathon", "trailrunning", "style", "review")
_EMOJI = ("👟", "🔥", "❤️", "🏃‍♀️", "✨", "😍", "💯")
_ALTS = (
    "A pair of white running shoes on a wooden floor",
    "Close-up of a red sneaker's sole on wet asphalt",
    "Someone tying the laces of blue trail shoes on a rock",
    "Two shoes side by side next to their box",
    "A runner's feet mid-stride on a park path",
)
_NAMES = ("alice", "bob", "carla", "dmitri", "emeka", "fatima", "giulia", "hiro", "ines", "jon")
_HOSTS = ("social.example", "mastodon.example", "fosstodon.example", "toot.example")


def digest(text: str) -> int:
    """A stable number for ``text`` (``hash`` changes from one process to the next)."""
    return zlib.crc32(text.encode())


@dataclass(frozen=True)
class Text:
    """One post's text and what a network's own entities would say about it."""

    body: str
    hashtags: tuple[str, ...]  # as written, without "#", the followed one included
    mention: str | None
    link: str | None
    language: str


@dataclass(frozen=True)
class Person:
    number: int
    handle: str
    display_name: str
    followers: int


class Corpus:
    """Seeded source of texts, authors, alt texts and counts."""

    def __init__(self, seed: int = 4) -> None:
        self._rng = random.Random(seed)

    def text(self) -> Text:
        rng = self._rng
        product = rng.choice(_PRODUCTS)
        language = "en"
        if rng.random() < 0.15:
            language, opening = rng.choice(_FOREIGN)
            parts = [opening.format(product=product)]
        else:
            parts = [rng.choice(_OPENINGS).format(product=product, n=rng.randint(2, 42))]
            parts += rng.sample(_MIDDLES, k=rng.choice((0, 1, 1, 2, 3)))
        if rng.random() < 0.5:
            parts.append(rng.choice(_EMOJI))
        mention = rng.choice(_NAMES) if rng.random() < 0.25 else None
        if mention is not None:
            parts.append(f"cc @{mention}")
        link = None
        if rng.random() < 0.2:
            link = f"https://example.com/reviews/{rng.randint(1000, 9999)}/{product.lower()[:5]}"
            parts.append(link)
        others = rng.sample(_TAGS, k=rng.choice((0, 1, 2, 3)))
        followed = "Brand" if rng.random() < 0.3 else FOLLOWED
        tags = (followed, *others)
        parts.append(" ".join(f"#{t}" for t in tags))
        return Text(" ".join(parts), tags, mention, link, language)

    def person(self) -> Person:
        """A few regulars post most of the time; the rest are one-offs."""
        rng = self._rng
        number = rng.randint(1, 20) if rng.random() < 0.6 else rng.randint(21, 100_000)
        name = _NAMES[number % len(_NAMES)]
        return Person(
            number=number,
            handle=f"{name}{number}",
            display_name=f"{name.title()} {chr(65 + number % 26)}.",
            followers=rng.randint(3, 250_000),
        )

    def host(self, person: Person) -> str:
        return _HOSTS[person.number % len(_HOSTS)]

    def images(self) -> list[str]:
        """Alt texts of the post's pictures (none for most posts; blank alt text sometimes)."""
        rng = self._rng
        count = rng.choice((0, 0, 0, 1, 1, 2, 4))
        return [rng.choice(_ALTS) if rng.random() < 0.7 else "" for _ in range(count)]

    def count(self, high: int = 500) -> int:
        return int(self._rng.paretovariate(1.2)) % high

    def chance(self, probability: float) -> bool:
        return self._rng.random() < probability

    def pick(self, options: tuple[str, ...]) -> str:
        return self._rng.choice(options)
