"""Keyset pagination: a page of rows and the opaque cursor of the next one."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from database.errors import InvalidCursor

T = TypeVar("T")
K = TypeVar("K")
M = TypeVar("M")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(key: tuple[Any, ...]) -> str:
    """An opaque cursor for the sort key of the last item of a page (URL-safe base64 JSON)."""
    raw = json.dumps(
        [v.isoformat() if isinstance(v, datetime) else v for v in key], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, shape: TypeAdapter[K]) -> K:
    """The sort key inside ``cursor``, validated against ``shape``; :class:`InvalidCursor`
    when it was not produced by :func:`encode_cursor` for that shape."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return shape.validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise InvalidCursor(
            "invalid cursor: pass the next_cursor of a previous page unchanged, "
            "or leave it out to start from the first page"
        ) from None


def page_of(
    rows: Sequence[M], *, limit: int, key: Callable[[M], tuple[Any, ...]], item: Callable[[M], T]
) -> Page[T]:
    """The page of the first ``limit`` of ``rows``, fetched with ``limit + 1`` so that one extra
    row tells whether another page follows (its cursor is the key of the page's last row)."""
    shown = rows[:limit]
    more = len(rows) > limit
    return Page(
        items=[item(row) for row in shown],
        next_cursor=encode_cursor(key(shown[-1])) if more and shown else None,
    )
