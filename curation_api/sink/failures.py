"""How the sink tells failures apart: transient ones are retried, poison is dead-lettered,
and too much poison stops the sink."""

from __future__ import annotations

from kafka.errors import KafkaError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: The sink judges its dead-letter ratio from this many messages on (or a whole window, if that
#: is smaller) rather than only once a window is full, so a bad deploy is stopped early.
DEAD_LETTER_MIN_SAMPLE = 100


def is_transient(exc: BaseException) -> bool:
    """Worth retrying the same step: the broker or the database is away, locked, or not
    migrated yet.

    Only a row the database refuses (``DataError``, ``IntegrityError``) is the message's fault;
    retrying every other database error keeps a broken database from draining the topic into
    the dead-letter topic.
    """
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    if isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and not isinstance(exc, DataError | IntegrityError)
