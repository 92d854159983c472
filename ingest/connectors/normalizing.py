"""What every network's ``normalize`` does the same way, whatever the network's item shape."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import ValidationError

from contract import PoisonMessage, summarize_validation_error


@contextmanager
def invalid_is_poison(what: str) -> Iterator[None]:
    """Turn a :class:`~pydantic.ValidationError` raised in the block (a native item that does not
    fit its model, or a post that does not fit the contract) into ``PoisonMessage("{what}: …")``
    with a readable summary, so that the runner dead-letters the item and goes on."""
    try:
        yield
    except ValidationError as exc:
        raise PoisonMessage(f"{what}: {summarize_validation_error(exc)}") from None


def count(value: int | None) -> int | None:
    """A count as the contract wants it: some APIs report -1 (or a negative score) for a hidden
    or meaningless count; unknown is honest, a negative count is not."""
    return value if value is not None and value >= 0 else None
