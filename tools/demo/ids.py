"""Ids shaped like each network's: accounts, and posts derived from the post time where the network
derives them."""

from __future__ import annotations

import string
from datetime import datetime
from random import Random
from typing import Final

B32_SORT: Final = "234567abcdefghijklmnopqrstuvwxyz"
B32: Final = "abcdefghijklmnopqrstuvwxyz234567"
B64URL: Final = string.ascii_letters + string.digits + "-_"
B36: Final = string.digits + string.ascii_lowercase
TWITTER_EPOCH_MS: Final = 1288834974657


def to_base(value: int, alphabet: str, width: int = 0) -> str:
    digits = ""
    while value:
        value, rem = divmod(value, len(alphabet))
        digits = alphabet[rem] + digits
    return digits.rjust(width, alphabet[0]) or alphabet[0]


def author_id(rng: Random, platform: str) -> str:
    if platform == "mastodon":
        return str(rng.randint(10**17, 115 * 10**15))
    if platform == "bluesky":
        return "did:plc:" + "".join(rng.choice(B32) for _ in range(24))
    if platform == "x":
        return str(rng.choice((rng.randint(10**7, 10**9), rng.randint(10**18, 19 * 10**17))))
    if platform == "instagram":
        return "17841" + "".join(rng.choice(string.digits) for _ in range(12))
    if platform == "reddit":
        return "t2_" + "".join(rng.choice(B36) for _ in range(8))
    return "UC" + "".join(rng.choice(B64URL) for _ in range(22))


class PostIds:
    """Native post ids, never the same one twice."""

    def __init__(self, rng: Random, start: datetime) -> None:
        self.rng = rng
        self.start_s = int(start.timestamp())
        self.used: set[str] = set()

    def make(self, platform: str, ms: int) -> str:
        while True:
            candidate = self._candidate(platform, ms)
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def _candidate(self, platform: str, ms: int) -> str:
        rng = self.rng
        if platform == "mastodon":  # Snowflake: milliseconds << 16, plus a sequence
            return str((ms << 16) + rng.randint(0, 0xFFFF))
        if platform == "x":  # Snowflake from the Twitter epoch
            return str(((ms - TWITTER_EPOCH_MS) << 22) + rng.randint(0, (1 << 22) - 1))
        if platform == "bluesky":  # TID rkey: microseconds << 10 | clock id, base32-sortable
            micros = ms * 1000 + rng.randint(0, 999)
            return to_base((micros << 10) | rng.randint(0, 1023), B32_SORT, 13)
        if platform == "instagram":
            return "18" + "".join(rng.choice(string.digits) for _ in range(15))
        if platform == "reddit":  # one global base36 sequence, a dozen posts a second
            seconds = ms // 1000 - self.start_s
            return to_base(int("1p00000", 36) + seconds * 12 + rng.randint(0, 11), B36)
        last = rng.choice("AEIMQUYcgkosw048")  # a video id's last char carries only 4 bits
        return "".join(rng.choice(B64URL) for _ in range(10)) + last
