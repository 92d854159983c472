"""Curated GARM term lists (``garm/terms.json``) and how posts are matched against them.

Matching is case-insensitive and accent-folded, on word boundaries, after masking brand idioms
("killer deal", "shot of espresso"). Most posts mention no risky term at all, so a single
prefilter over every term's first word (compiled as a character trie, which ``re`` walks in one
pass) decides which category patterns are worth running.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TERMS_FILE = Path(__file__).resolve().parent / "garm" / "terms.json"

GARM_IDS: tuple[str, ...] = (
    "adult_explicit",
    "arms_ammunition",
    "crime_harmful_acts",
    "death_injury_military_conflict",
    "online_piracy",
    "hate_speech_aggression",
    "obscenity_profanity",
    "drugs_tobacco_alcohol",
    "spam_harmful_content",
    "terrorism",
    "debated_sensitive_social_issues",
)

# One explicit term is a mention, not proof ("rifle" in a hunting-boots ad): strong evidence
# takes more terms or a close prototype (see classify.risk). Mild terms (beer, abortion) are
# legitimate topics that some brands avoid, hence their smaller weight.
TERM_WEIGHT = 0.5
MILD_TERM_WEIGHT = 0.3


# Every combining mark (accents, diacritics), deleted by ``str.translate`` in one C loop.
_COMBINING_MARKS: dict[int, None] = {
    code: None for code in range(0x300, sys.maxunicode + 1) if unicodedata.combining(chr(code))
}


def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Munición" and "municion" compare equal."""
    if text.isascii():  # most posts: nothing to decompose, and casefold is lower
        return text.lower()
    return unicodedata.normalize("NFKD", text.casefold()).translate(_COMBINING_MARKS)


def _term_pattern(term: str) -> str:
    folded = fold(term).strip()
    wildcard = folded.endswith("*")
    words = re.split(r"[\s]+", folded.rstrip("*"))
    # Hyphens and spaces are interchangeable in posts ("ar-15", "ar 15", "ar15").
    body = r"\s+".join(re.escape(w).replace(r"\-", r"[-\s]?") for w in words)
    return body + (r"\w*" if wildcard else "")


def _first_word(term: str) -> str:
    # The literal start every match of the term begins with (hyphens may become spaces).
    return re.split(r"[\s\-]", fold(term).strip().rstrip("*"))[0]


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words`` as a prefix, shaped as a character trie so that
    ``re`` decides at each position in one walk instead of trying every word in turn."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if "" in node:
            # A shorter word ends here: any prefix match is enough for a prefilter.
            return ""
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)


def _alternation(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Longest first, so that "suicide bomber" wins over "suicide" inside the same alternation.
    patterns = sorted({_term_pattern(t) for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


@dataclass(frozen=True)
class TermHits:
    """The distinct terms of one category found in a post, as they appeared (folded)."""

    terms: tuple[str, ...] = ()
    mild: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        doubt = (1 - TERM_WEIGHT) ** len(self.terms) * (1 - MILD_TERM_WEIGHT) ** len(self.mild)
        return 1 - doubt


class TermMatcher:
    """Compiled term lists: one regex per category and weight, the safe-phrase mask, and the
    first-word prefilter."""

    def __init__(self, safe_phrases: Sequence[str], categories: Mapping[str, Any]) -> None:
        self._safe = _alternation(safe_phrases)
        self._patterns: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}
        self._first_words: dict[str, set[str]] = {}
        for category in GARM_IDS:
            entry = categories.get(category, {})
            strong = [t for terms in entry.get("terms", {}).values() for t in terms]
            mild = [t for terms in entry.get("mild", {}).values() for t in terms]
            self._patterns[category] = (_alternation(strong), _alternation(mild))
            for term in (*strong, *mild):
                self._first_words.setdefault(_first_word(term), set()).add(category)
        self._prefilter = re.compile(r"(?<!\w)" + _trie_pattern(self._first_words))
        self._lengths = sorted({len(word) for word in self._first_words})

    @classmethod
    def from_file(cls, path: Path = TERMS_FILE) -> TermMatcher:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("safe_phrases", []), data["categories"])

    def match(self, text: str) -> dict[str, TermHits]:
        """Hits per category; categories without any hit are left out."""
        folded = fold(text)
        candidates = self._candidates(folded)
        if not candidates:
            return {}
        if self._safe is not None:
            folded = self._safe.sub(" ", folded)
        hits: dict[str, TermHits] = {}
        for category in GARM_IDS:
            if category not in candidates:
                continue
            strong, mild = self._patterns[category]
            found = _distinct(strong, folded)
            found_mild = tuple(t for t in _distinct(mild, folded) if t not in found)
            if found or found_mild:
                hits[category] = TermHits(found, found_mild)
        return hits

    def _candidates(self, folded: str) -> set[str]:
        candidates: set[str] = set()
        for match in self._prefilter.finditer(folded):
            # The trie stops at the shortest first word; longer ones may start here too (only
            # lengths some first word has are worth a look).
            start, shortest = match.start(), match.end() - match.start()
            for length in self._lengths:
                if length >= shortest and start + length <= len(folded):
                    categories = self._first_words.get(folded[start : start + length])
                    if categories:
                        candidates |= categories
        return candidates


def _distinct(pattern: re.Pattern[str] | None, text: str) -> tuple[str, ...]:
    if pattern is None:
        return ()
    return tuple(dict.fromkeys(re.sub(r"\s+", " ", m.group(0)) for m in pattern.finditer(text)))
