"""The listening jobs' value sets, stored in their columns: importable without SQLAlchemy, so
that what describes a network (:mod:`listening.networks`) and every connector stays light.

Connectors and the ingest worker import this, not :mod:`database.models`: the ORM costs an
ingest process tens of thousands of tracked objects, which every full garbage collection then
walks.
"""

from __future__ import annotations

from enum import StrEnum


class ListeningMode(StrEnum):
    POLL = "poll"
    STREAM = "stream"


class JobStatus(StrEnum):
    PENDING = "pending"  # not polled yet (new, or changed since it was)
    OK = "ok"
    BACKING_OFF = "backing_off"  # the last poll failed; it is retried after a backoff
    FAILING = "failing"  # stopped until somebody changes the job (credentials, options)
