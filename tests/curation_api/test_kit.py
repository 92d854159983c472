"""Shared API helpers: cursors and ETags."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from curation_api.feeds.cache import etag_matches, strong_etag
from curation_api.kit import POST_KEY, InvalidCursor, decode_cursor, encode_cursor


def test_a_post_cursor_round_trips_and_is_url_safe() -> None:
    key = (datetime(2025, 6, 1, 12, 0, 0, 1, tzinfo=UTC), "bluesky:at://did:plc:x/y?/z")
    cursor = encode_cursor(key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, POST_KEY) == key


@pytest.mark.parametrize("cursor", ["", "%%%", "bm90IGpzb24", "W10", "WzEsMl0"])
def test_garbage_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as error:
        decode_cursor(cursor, POST_KEY)
    assert error.value.status_code == 400


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),
        ('"x", W/"abc"', True),
        ("*", True),
        ('W/"abd"', False),
    ],
)
def test_if_none_match_uses_the_weak_comparison(header: str, matches: bool) -> None:
    assert etag_matches(header, 'W/"abc"') is matches


def test_equal_bodies_have_equal_etags_and_different_ones_differ() -> None:
    assert strong_etag(b"[1]") == strong_etag(b"[1]") != strong_etag(b"[2]")
