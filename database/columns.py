"""Column types more than one table module uses."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Enum, Integer
from sqlalchemy.types import TypeEngine


def string_enum(enum: type[StrEnum], name: str, *, length: int = 16) -> Enum:
    """An enum stored as VARCHAR + CHECK rather than a native enum type: portable, and adding a
    value is a constraint change instead of an ALTER TYPE."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def big_id() -> TypeEngine[int]:
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
    return BigInteger().with_variant(Integer(), "sqlite")
