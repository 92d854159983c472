"""What every network's ``normalize`` does the same way, whatever the network's item shape."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from contract import PoisonMessage, normalize_hashtag, summarize_validation_error
from ingest.connectors.base import ConfigError


class WireModel(BaseModel):
    """A network's item as its API documents it, only the fields the contract needs: anything
    else is ignored, so that a newer API adding fields changes nothing."""

    model_config = ConfigDict(extra="ignore", frozen=True)


@contextmanager
def invalid_is_poison(what: str) -> Iterator[None]:
    """Turn a :class:`~pydantic.ValidationError` raised in the block (a native item that does not
    fit its model, or a post that does not fit the contract) into ``PoisonMessage("{what}: …")``
    with a readable summary, so that the runner dead-letters the item and goes on."""
    try:
        yield
    except ValidationError as exc:
        raise PoisonMessage(f"{what}: {summarize_validation_error(exc)}") from None


def count(value: Any) -> int | None:
    """A count as the contract wants it: some APIs report -1 (or a negative score) for a hidden
    or meaningless count, or nothing usable at all; unknown is honest, a negative count is not."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if value >= 0 else None


def followed_hashtags(network: str, hashtags: Iterable[str]) -> tuple[str, ...]:
    """A streaming job's hashtags, normalized, each once; :class:`ConfigError` when none is
    left, since a stream that matches nothing would run for ever producing nothing."""
    followed = tuple(dict.fromkeys(t for t in map(normalize_hashtag, hashtags) if t))
    if not followed:
        raise ConfigError(f"{network}: the job follows no hashtag")
    return followed
