"""Splitting a reply into what the consent reader looks at: words, hashtags, mentions, links,
emoji and the few punctuation marks that change meaning ("?", quotes, currency signs).

A hashtag ends at the first character that is not a letter, digit or underscore (Unicode), so
``#YesBrewNorth!`` is the tag ``yesbrewnorth`` and ``#YesBrewNorthFan`` is another tag. Links
are taken out first: ``https://brewnorth.example/#YesBrewNorth`` carries no hashtag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*")
_TOKEN = re.compile(
    r"(?P<tag>(?<![\w#&])#\w+)"
    r"|(?P<mention>(?<![\w@])@\w+(?:[.-]\w+)*(?:@\w+(?:[.-]\w+)*)?)"
    r"|(?P<word>\w+)"
    r"|(?P<other>\S)"
)
_WORD = re.compile(r"\w+")
_QUESTION_MARKS = frozenset("?¿\uff1f")  # the last one: the full-width "?"
_QUOTES = frozenset('"“”„‟«»「」')
# Parts of an emoji sequence that carry no meaning of their own: variation selectors, the
# zero-width joiner, skin tones, the keycap.
_EMOJI_GLUE = frozenset("\ufe0e\ufe0f\u200d\u20e3") | frozenset(map(chr, range(0x1F3FB, 0x1F400)))


def normalized(text: str) -> str:
    """NFC, case-folded, one kind of apostrophe: how replies and word lists are compared."""
    return unicodedata.normalize("NFC", text).casefold().translate(_APOSTROPHES)


@dataclass(frozen=True, slots=True)
class Phrases:
    """A word list split into word sequences, for matching against a reply's words."""

    sequences: frozenset[tuple[str, ...]]
    longest: int


def phrases(entries: Iterable[str]) -> Phrases:
    sequences = frozenset(tuple(_WORD.findall(normalized(entry))) for entry in entries)
    return Phrases(sequences - {()}, max((len(s) for s in sequences), default=0))


@dataclass(slots=True)
class Tokens:
    words: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    emoji: list[str] = field(default_factory=list)
    question_marks: int = 0
    quoted: bool = False
    currency: bool = False

    def label_words(self, lists: Sequence[tuple[str, Phrases]]) -> dict[str, list[str]]:
        """Which phrases of which list the words contain, each word claimed by the first list
        (in the order given) that matches it, longest phrase first; words no list claims are
        under ``"unknown"``."""
        claimed = [False] * len(self.words)
        found: dict[str, list[str]] = {}
        for label, known in lists:
            i = 0
            while i < len(self.words):
                length = _match_at(self.words, claimed, i, known)
                if length:
                    claimed[i : i + length] = [True] * length
                    found.setdefault(label, []).append(" ".join(self.words[i : i + length]))
                    i += length
                else:
                    i += 1
        unknown = [w for w, taken in zip(self.words, claimed, strict=True) if not taken]
        if unknown:
            found["unknown"] = unknown
        return found


def _match_at(words: list[str], claimed: list[bool], start: int, known: Phrases) -> int:
    for length in range(min(known.longest, len(words) - start), 0, -1):
        if any(claimed[start : start + length]):
            continue
        if tuple(words[start : start + length]) in known.sequences:
            return length
    return 0


def tokenize(text: str) -> Tokens:
    """The parts of a reply, normalized (see :func:`normalized`)."""
    tokens = Tokens()
    text = normalized(text)
    tokens.links = _LINK.findall(text)
    for match in _TOKEN.finditer(_LINK.sub(" ", text)):
        kind, value = match.lastgroup, match.group()
        if kind == "tag":
            tokens.hashtags.append(value[1:])
        elif kind == "mention":
            tokens.mentions.add(value[1:].rstrip(".-"))
        elif kind == "word":
            tokens.words.append(value)
        else:
            _add_symbol(tokens, value)
    return tokens


def _add_symbol(tokens: Tokens, char: str) -> None:
    category = unicodedata.category(char)
    if char in _QUESTION_MARKS:
        tokens.question_marks += 1
    elif char in _QUOTES:
        tokens.quoted = True
    elif category == "Sc":
        tokens.currency = True
    elif char in _EMOJI_GLUE or category[0] in "PMZC":
        return
    else:
        tokens.emoji.append(char)
