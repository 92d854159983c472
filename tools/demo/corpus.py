"""The demo corpus (``corpus.toml``): every invented brand, account, text and number the builder
uses, read into typed, validated models."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

CORPUS_PATH = Path(__file__).with_name("corpus.toml")

Texts = tuple[str, ...]


class _Table(BaseModel):
    # A typo in the data file must fail loudly, not quietly fall back to a default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Regular(_Table):
    positive: int
    neutral: int
    negative: int


class Giveaway(_Table):
    start: datetime
    end: datetime
    posts: int


class Burst(_Table):
    start: datetime
    minutes: int
    posts: int
    pinned_authors: Texts
    press_author: str


class Scenario(_Table):
    seed: int
    start: datetime
    end: datetime
    authors: int
    hourly_activity: tuple[int, ...] = Field(min_length=24, max_length=24)
    regular: Regular
    giveaway: Giveaway
    burst: Burst


class Account(_Table):
    platform: str
    handle: str
    username: str
    display_name: str
    followers: int
    fav_brand: str | None = None
    instance: str | None = None


class OfficialPost(_Table):
    brand: str
    sentiment: str
    at: datetime
    text: str
    account: Account


class Names(_Table):
    handle_words: Texts
    display_emoji: Texts
    mastodon_instances: Texts


class Language(_Table):
    author_share: float
    first_names: Texts
    closers: dict[str, Texts] = {}


class Platform(_Table):
    author_share: float
    media_rate: float
    alt_text_rate: float
    collect_lag_s: tuple[float, float]
    engagement_scale: float


class Brand(_Table):
    tag: str
    share: float
    emoji: Texts
    subreddits: Texts
    mentions: dict[str, str]
    hashtags: dict[str, Texts]
    alt_texts: dict[str, Texts]


class Mood(_Table):
    openers: Texts
    closers: Texts
    emoji: Texts = ()


class Extras(_Table):
    seasonal_hashtags: Texts
    youtube_descriptions: Texts
    photo_words: Texts


class TextGroup(_Table):
    brand: str
    sentiment: str
    kind: str = "post"
    lang: str = "en"
    platform: str | None = None
    why: str | None = None
    lines: Texts


@dataclass(frozen=True)
class Base:
    """One hand-written text and what its group says about it."""

    brand: str
    sentiment: str
    kind: str
    lang: str
    text: str
    platform: str | None = None
    why: str | None = None


class Corpus(_Table):
    scenario: Scenario
    official_posts: tuple[OfficialPost, ...]
    notable_authors: tuple[Account, ...]
    names: Names
    languages: dict[str, Language]
    platforms: dict[str, Platform]
    brands: dict[str, Brand]
    moods: dict[str, Mood]
    extras: Extras
    texts: tuple[TextGroup, ...]

    def bases(self) -> list[Base]:
        """Every hand-written text, in file order (the seeded choices depend on it)."""
        return [
            Base(g.brand, g.sentiment, g.kind, g.lang, line, g.platform, g.why)
            for g in self.texts
            for line in g.lines
        ]

    def brand_tag_re(self) -> re.Pattern[str]:
        """Finds the brand hashtags in a text, whatever their case."""
        return re.compile(rf"#({'|'.join(self.brands)})\b", re.IGNORECASE)

    def photo_hint_re(self) -> re.Pattern[str]:
        """Matches a text that says it shows something."""
        words = "|".join(re.escape(word) for word in self.extras.photo_words)
        return re.compile(rf"\b({words})\b", re.IGNORECASE)


def load_corpus(path: Path = CORPUS_PATH) -> Corpus:
    with path.open("rb") as data:
        return Corpus.model_validate(tomllib.load(data))
